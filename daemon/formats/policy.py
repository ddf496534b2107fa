"""What happens to a field the target format cannot express: dropped with a debug log, or
rejected with a client error. Codecs call `drop` or `reject`, never decide silently, so every
such decision is greppable by its field name.
"""

from __future__ import annotations

import logging

from daemon.errors import TranslationError
from daemon.model import WireFormat

log = logging.getLogger("cliproxy.formats")


def drop(field: str, target: WireFormat, reason: str) -> None:
    """Leave `field` out of a request for `target`, and say so at debug level."""
    log.debug("dropping %s for %s: %s", field, target, reason)


def reject(field: str, target: WireFormat, reason: str) -> TranslationError:
    """The error to raise when `field` cannot be sent to `target` at all."""
    return TranslationError(f"{field} cannot be sent to a {target} upstream: {reason}", param=field)

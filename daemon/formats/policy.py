"""What happens to a field the target format cannot express: dropped with a debug log, or
rejected with a client error. Codecs call `drop` or `reject`, never decide silently, so every
such decision is greppable by its field name.
"""

from __future__ import annotations

import logging

from daemon.errors import TranslationError
from daemon.model import Request, WireFormat

log = logging.getLogger("cliproxy.formats")


def drop(field: str, target: WireFormat, reason: str) -> None:
    """Leave `field` out of a request for `target`, and say so at debug level."""
    log.debug("dropping %s for %s: %s", field, target, reason)


def reject(field: str, target: WireFormat, reason: str) -> TranslationError:
    """The error to raise when `field` cannot be sent to `target` at all."""
    return TranslationError(f"{field} cannot be sent to a {target} upstream: {reason}", param=field)


def check_translatable(request: Request, target: WireFormat) -> None:
    """Raise the policy error when `request` holds input only its own format can express
    (`Request.same_format_only`) and is bound for an upstream of another format."""
    if request.source_format != target and request.same_format_only:
        listed = request.same_format_only
        more = f" ({len(listed) - 1} more such inputs)" if len(listed) > 1 else ""
        raise reject(
            listed[0],
            target,
            f"only {request.source_format} upstreams understand it{more}; "
            "send it to a model served by one, or leave it out",
        )

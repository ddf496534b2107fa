from __future__ import annotations

from cliproxyctl.render import mask
from daemon.masking import mask_secret


def test_long_secrets_keep_their_ends_and_short_ones_nothing() -> None:
    assert mask_secret("sk-test-client-key-0123456789abcdef") == "sk-t…cdef"
    assert mask_secret("123456789012") == "****"


def test_the_cli_masks_exactly_as_the_daemon_does() -> None:
    for value in ("short", "sk-ant-api03-abcdefghijklmnop"):
        assert mask(value) == mask_secret(value)

from __future__ import annotations

import pytest

from daemon.formats.base import codec_for
from daemon.model import WireFormat


@pytest.mark.parametrize("wire_format", list(WireFormat))
def test_every_format_has_a_codec_that_says_so(wire_format: WireFormat) -> None:
    codec = codec_for(wire_format)
    assert codec.format == wire_format
    for method in (
        "decode_request",
        "encode_request",
        "decode_response",
        "encode_response",
        "stream_decoder",
        "stream_encoder",
        "decode_error",
        "encode_error",
    ):
        assert callable(getattr(codec, method))

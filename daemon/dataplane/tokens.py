"""count_tokens / countTokens: ask the upstream when it has such an endpoint, else estimate.

The local estimate is documented and deliberately simple: one token per four characters of
every text, tool definition and tool argument, plus four tokens of framing per message. It is
within a factor of two of real tokenizers for English prose and code, which is what clients use
it for (deciding when to compact a conversation).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from daemon.dataplane.plane import DataPlane
from daemon.errors import UpstreamFailed
from daemon.formats.base import codec_for
from daemon.model import Request, TextPart, ThinkingPart, ToolCallPart, ToolResultPart, WireFormat

PER_MESSAGE = 4
# Fields of an Anthropic count_tokens request; the endpoint refuses others (max_tokens, stream).
ANTHROPIC_COUNT_FIELDS = ("model", "messages", "system", "tools", "tool_choice", "thinking")


def estimate_tokens(request: Request) -> int:
    chars = 0
    for message in request.messages:
        chars += PER_MESSAGE * 4
        for part in message.parts:
            if isinstance(part, TextPart | ThinkingPart):
                chars += len(part.text)
            elif isinstance(part, ToolCallPart):
                chars += len(part.name) + len(part.arguments)
            elif isinstance(part, ToolResultPart):
                chars += sum(len(p.text) for p in part.content if isinstance(p, TextPart))
    for tool in request.tools:
        chars += len(tool.name) + len(tool.description or "")
        chars += len(orjson.dumps(tool.parameters or {}))
    return max(1, chars // 4)


async def count_tokens(
    plane: DataPlane,
    client_format: WireFormat,
    body: dict[str, Any],
    model: str,
    headers: Mapping[str, str],
) -> int:
    resolution = plane.registry.resolve(model)
    target = plane.router.peek(resolution)
    decodable = dict(body)
    if client_format == WireFormat.ANTHROPIC:
        decodable.setdefault("max_tokens", 1)  # count_tokens bodies have none; decoding needs it
    canonical = codec_for(client_format).decode_request(decodable)
    canonical.model = target.upstream_model
    upstream_format = target.provider.wire_format
    upstream_body = codec_for(upstream_format).encode_request(canonical)
    if upstream_format == WireFormat.ANTHROPIC:
        upstream_body = {k: v for k, v in upstream_body.items() if k in ANTHROPIC_COUNT_FIELDS}
    request = target.provider.build_count_tokens(
        target.credential, target.upstream_model, upstream_body, client_headers=headers
    )
    if request is None:
        return estimate_tokens(canonical)
    proxy = target.credential.proxy_url or plane.state.settings.proxy_url
    response = await plane.pool.open(request, proxy)
    try:
        raw = await plane.pool.read_body(response, 1024 * 1024)
    finally:
        response.close()
    if response.status >= 400:
        error = codec_for(upstream_format).decode_error(response.status, raw)
        error.message = plane.state.masker.mask(error.message)
        raise UpstreamFailed(error)
    parsed = orjson.loads(raw)
    count = parsed.get("input_tokens", parsed.get("totalTokens"))
    return int(count) if isinstance(count, int) else estimate_tokens(canonical)

"""Reading a client's JSON request body, with the size limit and clear errors."""

from __future__ import annotations

from typing import Any

import orjson

from daemon.asgi import Receive, Scope, read_body
from daemon.errors import InvalidRequest


async def parse_json_body(scope: Scope, receive: Receive, limit_mb: int) -> dict[str, Any]:
    raw = await read_body(scope, receive, limit_mb * 1024 * 1024)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise InvalidRequest(f"the request body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise InvalidRequest("the request body must be a JSON object")
    return body


def model_of(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("'model' is required and must be a string", param="model")
    return model

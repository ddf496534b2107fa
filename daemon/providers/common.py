"""Small pieces every API-key provider shares: headers, model placement, JSON bodies.

Header names are lowercased so that a configured header replaces a default one whatever its
spelling. A configured header whose value starts with ``$`` copies the client's header of that
name (``X-Session: $X-Claude-Code-Session-Id``), as in CLIProxyAPI; it is left out when the
client did not send it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import orjson

from daemon.providers.base import Credential

JSON = "application/json"
EVENT_STREAM = "text/event-stream"


def lowered(headers: Mapping[str, str]) -> dict[str, str]:
    """`headers` with lowercase names (the last spelling wins)."""
    return {name.lower(): value for name, value in headers.items()}


def entry_headers(
    configured: Mapping[str, str], client_headers: Mapping[str, str]
) -> dict[str, str]:
    """The credential's configured headers, ``$Name`` values copied from the client."""
    client = lowered(client_headers)
    out: dict[str, str] = {}
    for name, value in configured.items():
        if value.startswith("$"):
            copied = client.get(value[1:].strip().lower())
            if copied is not None:
                out[name.lower()] = copied
        else:
            out[name.lower()] = value
    return out


def base_headers(stream: bool) -> dict[str, str]:
    return {"content-type": JSON, "accept": EVENT_STREAM if stream else JSON}


def finish_headers(
    headers: dict[str, str], credential: Credential, client_headers: Mapping[str, str]
) -> dict[str, str]:
    """Apply the credential's configured headers last: what the user wrote wins."""
    headers.update(entry_headers(credential.headers, client_headers))
    return headers


def body_with_model(body: Mapping[str, Any], model: str, stream: bool | None) -> bytes:
    """Serialize a body whose format carries the model (OpenAI, Anthropic) in the body.

    `stream` True sets ``"stream": true``; False clears a ``stream`` key the body carries; None
    leaves the key alone (count-token bodies). The caller's dict is not modified.
    """
    out = dict(body)
    out["model"] = model
    if stream:
        out["stream"] = True
    elif stream is not None and "stream" in out:
        out["stream"] = False
    return orjson.dumps(out)


def body_without_model(body: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a Gemini-format body without ``model`` (Gemini carries it in the URL)."""
    return {key: value for key, value in body.items() if key != "model"}


def only(body: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """A copy of `body` with only the given keys."""
    allowed = frozenset(keys)
    return {key: value for key, value in body.items() if key in allowed}


def model_segment(model: str) -> str:
    """A model id made safe for one URL path segment."""
    return quote(model, safe="-._~@:")

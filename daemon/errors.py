"""The proxy's error family, and the one place an error becomes an API-shaped response.

ProxyError                      status 500, kind server_error
├── InvalidRequest              400  bad JSON, missing fields, unsupported values
│   ├── TranslationError        400  a field the target format cannot express
│   └── ModelNotFound           400  code model_not_found
├── AuthenticationFailed        401  missing or wrong client key
├── PermissionDenied            403  e.g. the example keys are still configured
├── NotFound                    404  unknown route
├── RequestTooLarge             413
├── RateLimited                 429  with retry_after
└── UpstreamFailed              the upstream's own status and message (secrets masked)
"""

from __future__ import annotations

import importlib
from typing import ClassVar

import orjson

from daemon.model import ApiError, ErrorKind, WireFormat


class ProxyError(Exception):
    status: ClassVar[int] = 500
    kind: ClassVar[ErrorKind] = "server_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param
        self.retry_after = retry_after

    def to_api_error(self) -> ApiError:
        return ApiError(
            kind=self.kind,
            message=self.message,
            status=self.status,
            code=self.code,
            param=self.param,
            retry_after=self.retry_after,
        )


class InvalidRequest(ProxyError):
    status = 400
    kind = "invalid_request"


class TranslationError(InvalidRequest):
    """A request field has no faithful equivalent in the upstream's format."""


class ModelNotFound(InvalidRequest):
    def __init__(self, model: str) -> None:
        super().__init__(
            f"model {model!r} is not served by this proxy; list the available models with "
            "GET /v1/models or `cliproxyctl models`",
            code="model_not_found",
            param="model",
        )


class AuthenticationFailed(ProxyError):
    status = 401
    kind = "authentication"


class PermissionDenied(ProxyError):
    status = 403
    kind = "permission"


class NotFound(ProxyError):
    status = 404
    kind = "not_found"


class RequestTooLarge(ProxyError):
    status = 413
    kind = "request_too_large"


class RateLimited(ProxyError):
    status = 429
    kind = "rate_limit"


class ModelCooldown(RateLimited):
    def __init__(
        self, *, model: str, provider: str, reset_at: str, seconds: float, reason: str | None
    ) -> None:
        why = f" (last: {reason})" if reason else ""
        super().__init__(
            f"every credential serving model {model!r} ({provider}) is cooling down{why}; "
            f"the soonest is usable again at {reset_at}, in {seconds:.0f}s",
            code="model_cooldown",
            param="model",
            retry_after=seconds,
        )
        self.model = model
        self.provider = provider
        self.reset_at = reset_at


class InternalError(ProxyError):
    """A failure of the proxy's own (a bug): the client still gets an answer in its shape."""


class UpstreamFailed(ProxyError):
    """An upstream error passed on with the upstream's status."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(
            error.message, code=error.code, param=error.param, retry_after=error.retry_after
        )
        self.error = error

    def to_api_error(self) -> ApiError:
        return self.error


_ERROR_MODULES: dict[WireFormat, str] = {
    WireFormat.OPENAI_CHAT: "daemon.formats.openai_chat.errors",
    WireFormat.OPENAI_RESPONSES: "daemon.formats.openai_responses.errors",
    WireFormat.ANTHROPIC: "daemon.formats.anthropic.errors",
    WireFormat.GEMINI: "daemon.formats.gemini.errors",
}


def render_error(wire_format: WireFormat, error: ApiError) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of `error` in the shape clients of `wire_format` expect."""
    module = importlib.import_module(_ERROR_MODULES[wire_format])
    body = orjson.dumps(module.encode_error(error))
    headers = {"content-type": "application/json"}
    if error.retry_after is not None:
        headers["retry-after"] = str(max(1, round(error.retry_after)))
    return error.status, headers, body

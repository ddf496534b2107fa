"""The control-socket client: HTTP over the daemon's private Unix socket.

httpx is imported when a client is made, not with this module: every command imports this one,
and httpx is a third of the CLI's start-up, which shell completion pays on each TAB."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

from cliproxyctl.errors import CliError, NotRunning


class ControlClient:
    def __init__(self, socket_path: Path, timeout: float = 5.0) -> None:
        import httpx

        self.socket_path = socket_path
        self._client = httpx.Client(
            transport=httpx.HTTPTransport(uds=str(socket_path)),
            base_url="http://cliproxy",
            timeout=timeout,
        )

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if not self.socket_path.exists():
            raise NotRunning(f"the daemon is not running (no control socket at {self.socket_path})")
        import httpx

        try:
            return self._client.request(method, path, **kwargs)
        # NetworkError, not just ConnectError: a socket that accepts and hangs up at once (the
        # daemon's same-user check) shows as a reset on read or write.
        except (httpx.NetworkError, httpx.RemoteProtocolError) as error:
            raise NotRunning(
                f"the daemon is not running (control socket {self.socket_path} does not answer)"
            ) from error
        except httpx.TimeoutException as error:
            raise CliError(f"the daemon did not answer in time: {error}") from error

    def is_running(self) -> bool:
        try:
            self._request("GET", "/status")
        except CliError:
            return False
        return True

    def status(self) -> dict[str, Any]:
        result: dict[str, Any] = self._request("GET", "/status").json()
        return result

    def models(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._request("GET", "/models").json()["models"]
        return result

    def reload(self) -> dict[str, Any]:
        result: dict[str, Any] = self._request("POST", "/reload").json()
        return result

    def reset_quota(self, credential: str | None) -> dict[str, Any]:
        body = {"credential": credential} if credential else {}
        response = self._request("POST", "/reset-quota", json=body)
        result: dict[str, Any] = response.json()
        if response.status_code >= 400:
            raise CliError(str(result.get("error", f"the daemon answered {response.status_code}")))
        return result

    def shutdown(self) -> None:
        self._request("POST", "/shutdown")

    def logs(self, lines: int) -> list[str]:
        result: list[str] = self._request("GET", "/logs", params={"lines": lines}).json()["lines"]
        return result

    def follow_logs(self, lines: int) -> Iterator[str]:
        if not self.socket_path.exists():
            raise NotRunning(f"the daemon is not running (no control socket at {self.socket_path})")
        params = {"lines": lines, "follow": 1}
        import httpx

        try:
            with self._client.stream("GET", "/logs", params=params, timeout=None) as response:
                yield from response.iter_lines()
        except (httpx.NetworkError, httpx.RemoteProtocolError) as error:
            raise NotRunning("the daemon went away") from error

"""Logging for the daemon: secrets masked in every line, a ring of recent lines for
`GET /logs`, stderr always, and a size-capped rotating file when configured."""

from __future__ import annotations

import asyncio
import logging
import logging.handlers
import re
from collections import deque
from collections.abc import Iterable
from pathlib import Path

from daemon.masking import mask_secret

# Token-like strings worth masking even when the config does not list them.
_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)([A-Za-z0-9._~+/=-]{8,})"),
    re.compile(
        r"(?i)((?:x-api-key|x-goog-api-key|api[-_]key|access_token|refresh_token)"
        r"[\"']?\s*[:=]\s*[\"']?)([A-Za-z0-9._~+/=-]{8,})"
    ),
    re.compile(r"([?&]key=)([^&\s\"']{8,})"),
    re.compile(r"\b(sk-(?:ant-)?)([A-Za-z0-9_-]{16,})"),
    re.compile(r"\b(AIza)([A-Za-z0-9_-]{20,})"),
]

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class SecretMasker:
    """Masks the configured secrets and token-shaped strings in text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self.update(secrets)

    def update(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def mask(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, mask_secret(secret))
        for pattern in _PATTERNS:
            text = pattern.sub(_mask_match, text)
        return text


def _mask_match(match: re.Match[str]) -> str:
    if "…" in match.group(2):  # masked already, by the configured-secret pass
        return match.group(0)
    return match.group(1) + mask_secret(match.group(2))


class MaskingFormatter(logging.Formatter):
    def __init__(self, masker: SecretMasker) -> None:
        super().__init__(FORMAT)
        self.masker = masker

    def format(self, record: logging.LogRecord) -> str:
        return self.masker.mask(super().format(record))


class RecentLines(logging.Handler):
    """Keeps the last lines in memory and fans new ones out to followers."""

    def __init__(self, capacity: int = 2000) -> None:
        super().__init__()
        self.lines: deque[str] = deque(maxlen=capacity)
        self._followers: set[asyncio.Queue[str]] = set()

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        self.lines.append(line)
        for queue in list(self._followers):
            if queue.full():
                continue  # a slow follower loses lines rather than stalling the daemon
            queue.put_nowait(line)

    def tail(self, count: int) -> list[str]:
        if count <= 0:
            return []
        return list(self.lines)[-count:]

    def follow(self) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1000)
        self._followers.add(queue)
        return queue

    def unfollow(self, queue: asyncio.Queue[str]) -> None:
        self._followers.discard(queue)


def configure_logging(
    masker: SecretMasker,
    recent: RecentLines,
    *,
    debug: bool,
    log_file: Path | None,
    max_total_mb: int,
) -> None:
    """Point the root logger (and uvicorn's) at stderr, the ring and the optional file."""
    formatter = MaskingFormatter(masker)
    handlers: list[logging.Handler] = [logging.StreamHandler(), recent]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        backups = 4
        handlers.append(
            logging.handlers.RotatingFileHandler(
                log_file,
                maxBytes=max(1, max_total_mb * 1024 * 1024 // (backups + 1)),
                backupCount=backups,
                encoding="utf-8",
            )
        )
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if handler is not recent:
            handler.close()
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    set_debug(debug)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True


def set_debug(debug: bool) -> None:
    logging.getLogger().setLevel(logging.DEBUG if debug else logging.INFO)
    # Access lines only in debug: a busy proxy would otherwise log every request.
    logging.getLogger("uvicorn.access").setLevel(logging.INFO if debug else logging.WARNING)

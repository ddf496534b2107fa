"""daemon.logs: secret masking, the ring of recent lines, and logging set-up with rotation."""

from __future__ import annotations

import logging
import logging.handlers
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.logs import (
    MaskingFormatter,
    RecentLines,
    SecretMasker,
    configure_logging,
    set_debug,
)
from daemon.masking import mask_secret

# --------------------------------------------------------------------------- mask_secret


def test_mask_secret_hides_short_values_completely() -> None:
    assert mask_secret("abc") == "****"
    assert mask_secret("123456789012") == "****"


def test_mask_secret_keeps_four_characters_at_each_end() -> None:
    assert mask_secret("1234567890123") == "1234…0123"
    assert mask_secret("sk-test-client-key-0123456789abcdef") == "sk-t…cdef"


# --------------------------------------------------------------------------- SecretMasker

SECRET = "my-configured-secret-value"


def test_configured_secrets_are_masked_everywhere() -> None:
    masker = SecretMasker([SECRET])
    text = f"first {SECRET} and again {SECRET}."
    assert masker.mask(text) == "first my-c…alue and again my-c…alue."


def test_secrets_shorter_than_four_characters_are_not_masked() -> None:
    masker = SecretMasker(["abc", "abcd"])
    assert masker.mask("abc") == "abc"
    assert masker.mask("xabcdx") == "x****x"


def test_the_longest_secret_is_masked_whole() -> None:
    masker = SecretMasker(["abcdefgh", "abcdefgh12345678"])
    assert masker.mask("k=abcdefgh12345678;") == "k=abcd…5678;"
    assert masker.mask("k=abcdefgh;") == "k=****;"


def test_update_replaces_the_secret_set() -> None:
    masker = SecretMasker(["old-secret-value-1"])
    masker.update(["new-secret-value-2"])
    assert masker.mask("old-secret-value-1") == "old-secret-value-1"
    assert masker.mask("new-secret-value-2") == "new-…ue-2"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abcdefghijklmnopqrst", "Authorization: Bearer abcd…qrst"),
        ("authorization: bearer abcdefghij", "authorization: bearer ****"),
        ("x-api-key: 0123456789abcdefXYZ", "x-api-key: 0123…fXYZ"),
        ("X-Goog-Api-Key=0123456789abcdefXYZ", "X-Goog-Api-Key=0123…fXYZ"),
        ('{"api_key": "0123456789abcdefXYZ"}', '{"api_key": "0123…fXYZ"}'),
        ("api-key=0123456789abcdefXYZ", "api-key=0123…fXYZ"),
        ("access_token=0123456789abcdefXYZ&x=1", "access_token=0123…fXYZ&x=1"),
        ("'refresh_token': 'abcdefghijklmnopq'", "'refresh_token': 'abcd…nopq'"),
        ("GET /v1/models?key=0123456789abcdef HTTP/1.1", "GET /v1/models?key=0123…cdef HTTP/1.1"),
        ("/x?alt=sse&key=0123456789abcdef&y=2", "/x?alt=sse&key=0123…cdef&y=2"),
        ("use sk-abcdefghijklmnopqrstuvwx now", "use sk-abcd…uvwx now"),
        ("use sk-ant-api03-abcdefghijklmnop now", "use sk-ant-api0…mnop now"),
        ("AIzaSyA0123456789abcdefghijklmnop", "AIzaSyA0…mnop"),
    ],
)
def test_token_shaped_strings_are_masked_without_configuration(text: str, expected: str) -> None:
    assert SecretMasker().mask(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "an ordinary log line about 200 requests",
        "Bearer short",  # under eight characters
        "x-api-key: abc",
        "/v1/models?key=short",
        "task-abcdefghijklmnopqrstuvwxyz",  # sk- inside a word is not a key
        "sk-tooshort",
        "AIzaShort",
        "monkey=0123456789abcdef",  # "key=" only counts after ? or &
    ],
)
def test_innocent_text_is_left_alone(text: str) -> None:
    assert SecretMasker().mask(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The configured-secret pass runs first; the patterns must not mask its output again.
        ("GET /v1/models?key=sk-cliproxy-abcdefghijkl", "GET /v1/models?key=sk-c…ijkl"),
        ("Authorization: Bearer sk-cliproxy-abcdefghijkl", "Authorization: Bearer sk-c…ijkl"),
        ("x-api-key: sk-cliproxy-abcdefghijkl", "x-api-key: sk-c…ijkl"),
    ],
)
def test_a_configured_secret_is_not_masked_twice(text: str, expected: str) -> None:
    masker = SecretMasker(["sk-cliproxy-abcdefghijkl"])
    assert masker.mask(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "GET /v1/models?key=0123456789abcdef",
        "Authorization: Bearer abcdefghijklmnopqrst",
        "x-api-key: 0123456789abcdefXYZ",
        "sk-abcdefghijklmnopqrstuvwx",
        "AIzaSyA0123456789abcdefghijklmnop",
        f"{SECRET} ?key={SECRET}",
    ],
)
def test_masking_is_idempotent(text: str) -> None:
    masker = SecretMasker([SECRET])
    once = masker.mask(text)
    assert once != text
    assert masker.mask(once) == once


def test_masking_formatter_masks_the_formatted_message() -> None:
    formatter = MaskingFormatter(SecretMasker([SECRET]))
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "key is %s", (SECRET,), None)
    line = formatter.format(record)
    assert SECRET not in line
    assert line.endswith("INFO    t: key is my-c…alue")


# --------------------------------------------------------------------------- RecentLines


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("t", logging.INFO, __file__, 1, message, None, None)


def _ring(capacity: int = 2000) -> RecentLines:
    ring = RecentLines(capacity)
    ring.setFormatter(logging.Formatter("%(message)s"))
    return ring


def test_tail_returns_the_last_lines_in_order() -> None:
    ring = _ring(capacity=3)
    for n in range(5):
        ring.handle(_record(f"line {n}"))
    assert ring.tail(10) == ["line 2", "line 3", "line 4"]
    assert ring.tail(2) == ["line 3", "line 4"]
    assert ring.tail(0) == []
    assert ring.tail(-5) == []


def test_followers_get_new_lines_until_they_unfollow() -> None:
    ring = _ring()
    ring.handle(_record("before"))
    first = ring.follow()
    second = ring.follow()
    ring.handle(_record("one"))
    ring.unfollow(second)
    ring.handle(_record("two"))
    assert [first.get_nowait(), first.get_nowait()] == ["one", "two"]
    assert first.empty()
    assert second.get_nowait() == "one"
    assert second.empty()
    ring.unfollow(second)  # twice is harmless


def test_a_full_follower_loses_lines_instead_of_blocking() -> None:
    ring = _ring()
    queue = ring.follow()
    for n in range(queue.maxsize + 10):
        ring.handle(_record(f"l{n}"))
    assert queue.full()
    assert queue.get_nowait() == "l0"
    assert len(ring.tail(5000)) == queue.maxsize + 10  # the ring itself keeps everything


# --------------------------------------------------------------------------- configure_logging


@pytest.fixture
def clean_logging() -> Iterator[None]:
    """Run a test with no root handlers, and put pytest's back afterwards."""
    root = logging.getLogger()
    saved_handlers = list(root.handlers)
    saved_level = root.level
    named = {n: logging.getLogger(n) for n in ("uvicorn", "uvicorn.error", "uvicorn.access")}
    saved_named = {n: (lg.handlers[:], lg.propagate, lg.level) for n, lg in named.items()}
    for handler in saved_handlers:
        root.removeHandler(handler)
    try:
        yield
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)
        for name, (handlers, propagate, level) in saved_named.items():
            named[name].handlers = handlers
            named[name].propagate = propagate
            named[name].setLevel(level)


@pytest.mark.usefixtures("clean_logging")
def test_configure_logging_without_a_file() -> None:
    masker = SecretMasker([SECRET])
    ring = RecentLines()
    configure_logging(masker, ring, debug=False, log_file=None, max_total_mb=1)
    root = logging.getLogger()
    assert len(root.handlers) == 2
    assert ring in root.handlers
    assert all(isinstance(h.formatter, MaskingFormatter) for h in root.handlers)
    assert root.level == logging.INFO
    assert logging.getLogger("uvicorn.access").level == logging.WARNING
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        assert logging.getLogger(name).handlers == []
        assert logging.getLogger(name).propagate is True

    logging.getLogger("cliproxy.test").info("secret %s", SECRET)
    logging.getLogger("cliproxy.test").debug("hidden at info level")
    assert len(ring.tail(10)) == 1
    assert ring.tail(1)[0].endswith("cliproxy.test: secret my-c…alue")
    logging.getLogger("uvicorn.error").warning("from uvicorn")
    assert ring.tail(1)[0].endswith("uvicorn.error: from uvicorn")


@pytest.mark.usefixtures("clean_logging")
def test_set_debug_switches_levels() -> None:
    set_debug(True)
    assert logging.getLogger().level == logging.DEBUG
    assert logging.getLogger("uvicorn.access").level == logging.INFO
    set_debug(False)
    assert logging.getLogger().level == logging.INFO
    assert logging.getLogger("uvicorn.access").level == logging.WARNING


@pytest.mark.usefixtures("clean_logging")
def test_reconfiguring_replaces_handlers_but_keeps_the_ring(tmp_path: Path) -> None:
    masker = SecretMasker()
    ring = RecentLines()
    log_file = tmp_path / "logs" / "daemon.log"
    configure_logging(masker, ring, debug=True, log_file=log_file, max_total_mb=1)
    first_file = next(h for h in logging.getLogger().handlers if isinstance(h, logging.FileHandler))
    logging.getLogger("x").info("kept")
    configure_logging(masker, ring, debug=False, log_file=None, max_total_mb=1)
    handlers = logging.getLogger().handlers
    assert len(handlers) == 2
    assert ring in handlers
    assert first_file not in handlers
    assert first_file.stream is None  # closed
    assert ring.tail(1)[0].endswith("x: kept")


@pytest.mark.usefixtures("clean_logging")
def test_log_file_rotates_within_the_size_cap(tmp_path: Path) -> None:
    masker = SecretMasker([SECRET])
    ring = RecentLines(capacity=10)
    log_file = tmp_path / "logs" / "daemon.log"
    configure_logging(masker, ring, debug=False, log_file=log_file, max_total_mb=1)
    assert stat.S_IMODE(log_file.parent.stat().st_mode) == 0o700
    handler = next(
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.handlers.RotatingFileHandler)
    )
    per_file = 1024 * 1024 // 5
    assert handler.maxBytes == per_file
    assert handler.backupCount == 4

    # Keep the test's stderr quiet: only the file handler and the ring matter here.
    for other in logging.getLogger().handlers:
        if type(other) is logging.StreamHandler:
            logging.getLogger().removeHandler(other)
    log = logging.getLogger("cliproxy.flood")
    payload = "x" * 1000
    for n in range(1500):  # ~1.5 MB of lines: more than the 1 MB cap holds
        log.info("line-%05d %s %s", n, SECRET, payload)

    files = sorted(p.name for p in log_file.parent.iterdir())
    assert files == ["daemon.log", *(f"daemon.log.{n}" for n in range(1, 5))]
    sizes = [(log_file.parent / name).stat().st_size for name in files]
    assert all(size <= per_file for size in sizes)
    assert sum(sizes) <= 1024 * 1024
    text = log_file.read_text()
    assert SECRET not in text
    assert "my-c…alue" in text
    assert "line-01499" in text  # the newest line is in the live file
    assert "line-00000" not in "".join((log_file.parent / f).read_text() for f in files)

"""Helpers shared by the openai_chat tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "formats" / "openai_chat"


def load_json(name: str) -> dict[str, Any]:
    data = orjson.loads((FIXTURES / name).read_bytes())
    assert isinstance(data, dict)
    return data


def load_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()

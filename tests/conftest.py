from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemon import Sandbox, make_sandbox


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """Private CLIPROXY_* folders for one test; any daemon left running is stopped."""
    yield from make_sandbox(tmp_path)

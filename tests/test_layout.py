"""Cheap meta-tests that keep the codebase honest as it grows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_PLANE = ("starlette", "uvicorn", "aiohttp", "daemon.formats", "daemon.app", "daemon.server")


# A codec or the config is one concept spread over small modules; its tests are named after the
# package (test_anthropic_request.py covers anthropic/blocks.py through the codec's API).
PACKAGE_TESTED = (
    "formats/openai_chat",
    "formats/openai_responses",
    "formats/anthropic",
    "formats/gemini",
    "config",
)


def test_every_public_module_has_a_test_file() -> None:
    test_names = {p.stem for p in (ROOT / "tests").rglob("test_*.py")}
    missing = []
    for package in ("daemon", "cliproxyctl"):
        for module in sorted((ROOT / package).rglob("*.py")):
            name = module.stem
            if name.startswith("_") or name in {"__init__", "__main__"}:
                continue
            relative = module.relative_to(ROOT).as_posix()
            family = next((f for f in PACKAGE_TESTED if f"/{f}/" in relative), None)
            wanted = family.rsplit("/", 1)[-1] if family else name
            if not any(wanted in test for test in test_names):
                missing.append(relative)
    assert not missing, f"modules with no test file naming them: {missing}"


def test_the_cli_does_not_import_the_data_plane() -> None:
    probe = (
        "import sys\n"
        "from cliproxyctl.app import app\n"
        "import cliproxyctl.commands.daemon, cliproxyctl.control\n"
        f"bad = [m for m in sys.modules if m.startswith({DATA_PLANE!r})]\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


def test_the_cli_imports_httpx_only_to_talk() -> None:
    """Shell completion runs the CLI on every TAB: httpx (a third of its start-up) waits until
    a command makes a client."""
    probe = (
        "import sys\n"
        "from cliproxyctl.app import app\n"
        "assert 'httpx' not in sys.modules\n"
        "from pathlib import Path\n"
        "from cliproxyctl.control import ControlClient\n"
        "ControlClient(Path('/nonexistent')).__exit__()\n"
        "assert 'httpx' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=60)


def test_the_embedding_api_is_small_and_lazy() -> None:
    probe = (
        "import sys, daemon\n"
        "assert sorted(daemon.__all__) == ['__version__', 'build_app', 'serve'], daemon.__all__\n"
        "assert 'daemon.app' not in sys.modules\n"
        "assert callable(daemon.build_app) and callable(daemon.serve)\n"
        "assert 'daemon.app' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=60)

"""Write the committed completion scripts and man pages from the CLI itself.

    python -m cliproxyctl.generate            # into ./completions and ./man
    python -m cliproxyctl.generate --check    # exit 1 if those files are out of date

Rerun it after changing commands, options or help texts; a test fails until the committed
files match. The committed man page has no date; packagers who want one pass `--dated`, which
takes it from SOURCE_DATE_EPOCH.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from cliproxyctl import completions, manpages


def outputs(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Relative path → content of every generated file."""
    from cliproxyctl.app import app

    found = {
        f"completions/{name}": completions.script(shell)
        for shell, name in completions.FILE_NAMES.items()
    }
    date = manpages.source_date(dict(environ or {}))
    for name, text in manpages.pages(app, date).items():
        found[f"man/{name}"] = text
    return found


def write(root: Path, environ: Mapping[str, str] | None = None) -> list[Path]:
    """Write every generated file under `root`; the paths written."""
    written: list[Path] = []
    for relative, text in outputs(environ).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def stale(root: Path, environ: Mapping[str, str] | None = None) -> list[str]:
    """The generated files under `root` that are missing or differ from a fresh generation."""
    found: list[str] = []
    for relative, text in outputs(environ).items():
        path = root / relative
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            found.append(relative)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cliproxyctl.generate", description=__doc__)
    parser.add_argument(
        "root",
        nargs="?",
        default=".",
        type=Path,
        help="the repository root (default: the current folder)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a generated file is out of date",
    )
    parser.add_argument(
        "--dated",
        action="store_true",
        help="date the man page from SOURCE_DATE_EPOCH (not for the committed copy)",
    )
    args = parser.parse_args(argv)
    environ = os.environ if args.dated else {}
    if args.check:
        out_of_date = stale(args.root, environ)
        for relative in out_of_date:
            print(f"out of date: {relative}", file=sys.stderr)
        return 1 if out_of_date else 0
    for path in write(args.root, environ):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

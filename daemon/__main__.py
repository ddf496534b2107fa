"""`python -m daemon`: run the proxy in the foreground (what `cliproxyctl serve` runs)."""

from __future__ import annotations

import argparse
import os
import sys

from daemon.bootstrap import ensure_config
from daemon.paths import default_paths, find_config_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m daemon", description=__doc__)
    parser.add_argument(
        "--config", help="config file (default: $CLIPROXY_CONFIG or the user config dir)"
    )
    args = parser.parse_args(argv)
    environ = dict(os.environ)
    paths = default_paths(environ)
    config_path = find_config_file(paths, args.config, environ)
    created_key = ensure_config(config_path)
    if created_key is not None:
        print(
            f"Created {config_path} with a new client API key (shown once, keep it):\n"
            f"  {created_key}",
            file=sys.stderr,
        )
    from daemon.server import serve

    return serve(config_path, paths, environ)


if __name__ == "__main__":
    sys.exit(main())

"""cliproxy's daemon, importable as a library: `build_app(config)` and `serve(config)`.

Both are resolved lazily so that importing `daemon` (as cliproxyctl does for paths and the
version) costs nothing of the data plane.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from daemon.version import __version__

if TYPE_CHECKING:
    from daemon.app import build_app
    from daemon.server import serve

__all__ = ["__version__", "build_app", "serve"]


def __getattr__(name: str) -> Any:
    if name == "build_app":
        from daemon.app import build_app

        return build_app
    if name == "serve":
        from daemon.server import serve

        return serve
    raise AttributeError(name)

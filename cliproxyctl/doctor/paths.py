"""paths.*: every folder cliproxy uses exists (or can be created), is ours, is writable, and is
no looser than it should be: the credential folder 0700 and its files 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cliproxyctl.doctor.env import Snapshot
from cliproxyctl.doctor.model import Check, Repaired, Status, fail, ok, skipped, warn

PRIVATE = 0o077  # no access at all for group and others
NO_WRITE = 0o022  # group and others may read, not write


def checks(snap: Snapshot) -> list[Check]:
    paths = snap.env.paths
    uid = snap.env.uid
    auth_dir = snap.auth_dir
    return [
        folder("paths.config_dir", paths.config_dir, uid, NO_WRITE, Status.FAIL),
        config_file(snap),
        folder("paths.data_dir", paths.data_dir, uid, NO_WRITE, Status.FAIL),
        folder("paths.auth_dir", auth_dir, uid, PRIVATE, Status.FAIL),
        auth_files(auth_dir, uid),
        folder("paths.runtime_dir", paths.runtime_dir, uid, PRIVATE, Status.WARN),
        folder("paths.log_dir", paths.log_dir, uid, NO_WRITE, Status.FAIL),
    ]


def _mode(bits: int) -> str:
    return f"{stat.S_IMODE(bits):04o}"


def _chmod(path: Path, mode: int) -> Repaired:
    before = _mode(path.stat().st_mode)
    path.chmod(mode)
    return Repaired(f"chmod {mode:04o} {path} (was {before})")


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")


def folder(id: str, path: Path, uid: int, forbidden: int, severity: Status) -> Check:
    """A folder's existence, owner, writability and permissions.

    `forbidden`: mode bits that must be clear; `severity`: the status when they are not.
    """
    if not path.exists():
        parent = _nearest_existing(path)
        if os.access(parent, os.W_OK | os.X_OK):
            return ok(id, f"{path} does not exist yet (created when needed)", subject=str(path))
        return fail(
            id,
            f"{path} does not exist and {parent} is not writable",
            f"create it: mkdir -p -m 700 {path}",
            subject=str(path),
        )
    if not path.is_dir():
        return fail(id, f"{path} is not a folder", f"move {path} out of the way", subject=str(path))
    info = path.stat()
    if info.st_uid != uid:
        return fail(
            id,
            f"{path} belongs to uid {info.st_uid}, not to you (uid {uid})",
            f"chown {uid} {path}",
            subject=str(path),
        )
    if not os.access(path, os.W_OK | os.X_OK):
        return fail(id, f"{path} is not writable", f"chmod u+rwx {path}", subject=str(path))
    loose = info.st_mode & forbidden
    if loose:
        wanted = stat.S_IMODE(info.st_mode) & ~forbidden
        return Check(
            id,
            severity,
            f"{path} is {_mode(info.st_mode)}: "
            + ("others can get in" if forbidden == PRIVATE else "others can write in it"),
            f"chmod {wanted:04o} {path} (`cliproxyctl doctor --fix` does it)",
            subject=str(path),
            repair=lambda: _chmod(path, wanted),
        )
    return ok(id, f"{path} ({_mode(info.st_mode)})", subject=str(path))


def config_file(snap: Snapshot) -> Check:
    path = snap.env.config_path
    if not path.exists():
        return skipped("paths.config_file", "no config file", subject=str(path))
    info = path.stat()
    if info.st_uid != snap.env.uid:
        return warn(
            "paths.config_file",
            f"{path} belongs to uid {info.st_uid}, not to you",
            f"chown {snap.env.uid} {path}",
            subject=str(path),
        )
    if info.st_mode & PRIVATE:
        return warn(
            "paths.config_file",
            f"{path} is {_mode(info.st_mode)}: others can read the keys in it",
            f"chmod 0600 {path} (`cliproxyctl doctor --fix` does it)",
            subject=str(path),
            repair=lambda: _chmod(path, 0o600),
        )
    return ok("paths.config_file", f"{path} ({_mode(info.st_mode)})", subject=str(path))


def auth_files(auth_dir: Path, uid: int) -> Check:
    subject = str(auth_dir)
    if not auth_dir.is_dir():
        return skipped("paths.auth_files", f"no folder {auth_dir}", subject=subject)
    files = sorted(p for p in auth_dir.iterdir() if p.is_file() and not p.is_symlink())
    foreign = [p.name for p in files if p.stat().st_uid != uid]
    if foreign:
        return fail(
            "paths.auth_files",
            f"credential file(s) not yours: {', '.join(foreign)}",
            f"chown {uid} the files in {auth_dir}, or remove them",
            subject=subject,
        )
    loose = [p for p in files if p.stat().st_mode & PRIVATE]
    if loose:

        def tighten() -> Repaired:
            done = [_chmod(path, 0o600).message for path in loose if path.exists()]
            return Repaired("; ".join(done))

        shown = ", ".join(f"{p.name} ({_mode(p.stat().st_mode)})" for p in loose)
        return fail(
            "paths.auth_files",
            f"credential file(s) others can read: {shown}",
            f"chmod 0600 {auth_dir}/* (`cliproxyctl doctor --fix` does it)",
            subject=subject,
            repair=tighten,
        )
    return ok(
        "paths.auth_files",
        f"{len(files)} credential file(s), none readable by others",
        subject=subject,
    )

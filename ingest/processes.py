"""Processes by their ids: whether one still runs, and scratch folders named after the process
that made them (`<prefix><pid>-<random>`), which a process killed before it removed its own
leaves behind and a later process making one of the same kind removes."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

READ_FOLDER = "portal-warehouse-read-"  # prefix of `read_folder`'s folders


def make_folder(prefix: str, root: Path) -> Path:
    """A new scratch folder of this process in `root`."""
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=root))


@contextmanager
def read_folder() -> Iterator[Path]:
    """A folder of this process in the system's temporary folder, for what reading a landed file
    needs (a plain-named link to it, a decompressed copy), removed after the read; those of
    killed processes go with this process's first."""
    root = Path(tempfile.gettempdir())
    _remove_abandoned_once(root)
    folder = make_folder(READ_FOLDER, root)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@cache
def _remove_abandoned_once(root: Path) -> None:
    remove_abandoned(root, READ_FOLDER)


def owner(folder: Path, prefix: str) -> int | None:
    """The id of the process that made `folder` (None for a folder not named by `make_folder`)."""
    pid = folder.name.removeprefix(prefix).split("-", 1)[0]
    return int(pid) if folder.name.startswith(prefix) and pid.isdigit() else None


def remove_abandoned(root: Path, prefix: str) -> None:
    """Remove the scratch folders of `prefix` in `root` whose process has ended."""
    for folder in root.glob(f"{prefix}*-*"):
        pid = owner(folder, prefix)
        if pid is not None and not alive(pid):
            shutil.rmtree(folder, ignore_errors=True)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    return True

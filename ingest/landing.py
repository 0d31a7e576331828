"""The landing folder: which of its entries are deliveries, each taken literally and on its own.

A delivery is a regular file `<landing>/<stream>/<name>` of a known stream. Its name is a name,
never a pattern: DuckDB's readers take a path as a glob (`*`, `?`, `[`), so they are handed a
path of our own making (`literal_path`). What is found is one of three things:

- a **file** to ingest, in the order the loader takes them (the registry first, then each
  stream's files by modification time, then name); a file of an unknown format in a stream
  folder is a delivery too, which the loader records as unreadable;
- a **rejected** file, recorded in the ledger with its reason and never read: a name that is
  not UTF-8 (kept with `\\xNN` escapes), a symlink whose target lies outside the landing folder;
- a **skipped** entry, which is not a delivery and is only listed (ingest report, `status`):
  folders inside a stream folder, folders that are not a stream's, files outside a stream
  folder, hidden entries, symlinks to nothing, anything that is not a regular file, and with a
  settle interval a file modified too recently (it may still be being written).
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ingest.contract import FORMATS, STREAM_ORDER, file_format
from ingest.processes import read_folder

GLOB_CHARACTERS = "*?[]{}"


@dataclass(frozen=True)
class LandedFile:
    stream: str
    path: Path  # what is read: the file, or the target of a symlink that stays in the landing
    relative: str  # what the ledger and raw tables call it: '<stream>/<name>'
    fmt: str | None  # None: not one of the five formats
    rejected: str | None = None  # why it is recorded without being read
    size: int | None = None  # at discovery (of the link itself when rejected)
    mtime_ns: int | None = None

    @property
    def stamp(self) -> str:
        """Size and modification time: what changes when the file does."""
        return f"{self.size}:{self.mtime_ns}"


@dataclass(frozen=True)
class Skipped:
    path: str  # relative to the landing folder, as text
    reason: str


class Discovery(NamedTuple):
    files: list[LandedFile]  # to ingest or to record as rejected, in the order to take them
    skipped: list[Skipped]  # not deliveries: listed, never recorded


def display_name(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 become `\\xNN` escapes."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes come as lone surrogates (surrogateescape)
        return False
    return True


def check_streams(streams: Iterable[str] | None) -> list[str]:
    """The streams asked for, in the order they are read; ValueError names an unknown one."""
    if streams is None:
        return list(STREAM_ORDER)
    asked = set(streams)
    unknown = sorted(asked - set(STREAM_ORDER))
    if unknown:
        raise ValueError(
            f"unknown stream {', '.join(map(repr, unknown))}; the streams are"
            f" {', '.join(STREAM_ORDER)}"
        )
    return [s for s in STREAM_ORDER if s in asked]


def discover(
    landing: Path,
    streams: Iterable[str] | None = None,
    settle_seconds: float = 0,
    now: float | None = None,
) -> Discovery:
    """What the landing folder holds for the given streams (all by default): the files to take,
    in order, and the entries that are not deliveries with the reason each is skipped.

    With `settle_seconds` > 0 a file modified less than that long ago (by `now`, seconds since
    the epoch) is skipped as still being written; a later run takes it."""
    wanted = check_streams(streams)
    root = Path(landing)
    if not root.is_dir():
        return Discovery([], [])
    inside = root.resolve()
    now = time.time() if now is None else now
    skipped: list[Skipped] = []
    files: list[LandedFile] = []
    folders = {}
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        name = display_name(entry.name)
        if entry.name in STREAM_ORDER and entry.is_dir():
            folders[entry.name] = entry
        elif entry.name.startswith("."):
            skipped.append(Skipped(name, "hidden (its name starts with '.')"))
        elif entry.is_dir():
            skipped.append(
                Skipped(name, f"not a stream's folder (the streams are {', '.join(STREAM_ORDER)})")
            )
        else:
            skipped.append(Skipped(name, "not in a stream's folder: files land in <stream>/"))
    for stream in wanted:
        if stream not in folders:
            continue
        found = [
            _examine(stream, entry, inside, settle_seconds, now)
            for entry in folders[stream].iterdir()
        ]
        skipped += sorted((s for s in found if isinstance(s, Skipped)), key=lambda s: s.path)
        landed = [f for f in found if isinstance(f, LandedFile)]
        landed.sort(key=lambda f: (f.mtime_ns, f.relative))
        files += landed
    return Discovery(files, skipped)


def _examine(
    stream: str, entry: Path, inside: Path, settle_seconds: float, now: float
) -> LandedFile | Skipped:
    name = display_name(entry.name)
    relative = f"{stream}/{name}"
    if entry.name.startswith("."):
        return Skipped(relative, "hidden (its name starts with '.')")
    try:
        link = entry.lstat()
    except FileNotFoundError:  # renamed or removed since the folder was listed
        return Skipped(relative, "gone while the folder was read")
    target = entry
    if stat.S_ISLNK(link.st_mode):
        try:
            target = entry.resolve(strict=False)
        except (OSError, RuntimeError) as e:  # a loop of links
            return Skipped(relative, f"symlink that cannot be followed ({type(e).__name__})")
        if not target.is_relative_to(inside):
            return LandedFile(
                stream,
                entry,
                relative,
                file_format(Path(name)),
                rejected="symlink leading out of the landing folder, to"
                f" {display_name(str(target))}; not read",
                size=link.st_size,
                mtime_ns=link.st_mtime_ns,
            )
        try:
            info = target.stat()
        except OSError:
            return Skipped(relative, "symlink to nothing")
    else:
        info = link
    if stat.S_ISDIR(info.st_mode):
        return Skipped(relative, "a folder inside a stream's folder: only its files are taken")
    if not stat.S_ISREG(info.st_mode):
        return Skipped(relative, "not a regular file")
    if not _is_utf8(entry.name):
        return LandedFile(
            stream,
            entry,
            relative,
            file_format(Path(name)),
            rejected="file name is not UTF-8; rename it to deliver it",
            size=info.st_size,
            mtime_ns=info.st_mtime_ns,
        )
    age = now - info.st_mtime
    if settle_seconds > 0 and age < settle_seconds:
        when = f"modified {age:.0f}s ago" if age >= 0 else f"modified {-age:.0f}s from now"
        return Skipped(relative, f"still being written ({when})")
    return LandedFile(
        stream,
        target,
        relative,
        file_format(Path(entry.name)),
        size=info.st_size,
        mtime_ns=info.st_mtime_ns,
    )


def sha256_of(path: Path, limit: int | None = None) -> str:
    """The file's sha256, or that of its first `limit` bytes."""
    digest = hashlib.sha256()
    left = limit
    with open(path, "rb") as f:
        while left is None or left > 0:
            chunk = f.read(1 << 20 if left is None else min(1 << 20, left))
            if not chunk:
                break
            digest.update(chunk)
            if left is not None:
                left -= len(chunk)
    return digest.hexdigest()


# How long a file must have held still before it is read for its stamp to be kept: the file
# system's clock is coarse, and a write within one of its ticks leaves the times as they were,
# so a file changed just before or while it was read could keep a stamp its bytes no longer match.
SETTLED_SECONDS = 2.0


def file_stamp(path: Path) -> str:
    """Size, modification and status-change times, inode: what changes when the bytes may have
    (a write, a rename, `touch`, a copy over it; the status-change time cannot be set back)."""
    return _stamp(path.stat())


def sha256_and_stamp(path: Path) -> tuple[str, str | None]:
    """The file's sha256, and its stamp when the file had held still for SETTLED_SECONDS
    before it was read and did not change while it was: the ledger keeps that stamp, so that a
    later run trusts the sha256 while the stamp stays the same instead of reading the file
    again (every landed file at every run: 0.2 s at 10M events, growing with the landing's
    history). None otherwise."""
    before = path.stat()
    started_ns = time.time_ns()
    sha256 = sha256_of(path)
    after = path.stat()
    settled = max(after.st_mtime_ns, after.st_ctime_ns) <= started_ns - SETTLED_SECONDS * 1e9
    return sha256, _stamp(after) if settled and _stamp(before) == _stamp(after) else None


def _stamp(info: os.stat_result) -> str:
    return f"{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}"


@contextmanager
def literal_path(landed: LandedFile) -> Iterator[Path]:
    """A path to the landed file that DuckDB's readers cannot take as a pattern: a symlink with a
    plain name (keeping the format's suffix) in a private folder, to the file's absolute path."""
    name = landed.relative.rsplit("/", 1)[-1].lower()
    suffix = next((s for s in sorted(FORMATS, key=len, reverse=True) if name.endswith(s)), "")
    with read_folder() as folder:
        if any(c in str(folder) for c in GLOB_CHARACTERS):
            raise RuntimeError(f"the temporary folder {str(folder)!r} would be read as a pattern")
        link = folder / f"landed{suffix}"
        link.symlink_to(Path(landed.path).absolute())
        yield link

"""Failures the command line reports as one `error: ...` line, each with its exit code.

`orchestration.cli.main` maps them in one place (README, "Exit codes"); a run's failed steps
are read the same way from their messages (`orchestration.runs`):

- 2 `ConfigError`: bad input or configuration (a time zone, a missing folder or warehouse, a
  period with no events), found before anything is written;
- 4 `StorageError` and every `OSError` or DuckDB error of the storage below (disk full, file too
  large, read-only or not writable, a path that is a directory or not a DuckDB file), and DuckDB
  running out of its memory limit (`MemoryLimitError` when it was reading a landed file).
"""

from __future__ import annotations

import errno
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

OK = 0
FAILED = 1  # a run failed, or a contract blocked its publish
BAD_INPUT = 2
IN_USE = 3  # DuckDB allows one writer: another process holds the warehouse
STORAGE = 4


class ConfigError(ValueError):
    """Bad input or configuration, found before anything was written (exit 2)."""

    exit_code = BAD_INPUT


class StorageError(RuntimeError):
    """The storage cannot hold what must be written, or a path is not what it must be (exit 4)."""

    exit_code = STORAGE


class MemoryLimitError(StorageError):
    """A landed file could not be checked within DuckDB's memory limit (exit 4): its transaction
    was rolled back and no ledger row says it was read, so the next run takes it again."""


# DuckDB's words when a query needs more than its memory limit: `Out of Memory Error: failed to
# allocate data of size 16.0 MiB (938.0 MiB/953.6 MiB used)`, then lines of advice.
_OUT_OF_MEMORY = re.compile(r"Out of Memory Error: (?P<detail>[^\n]*)")
MEMORY_ADVICE = (
    "raise the memory limit (PORTAL_WAREHOUSE_MEMORY_LIMIT for an ingest,"
    " PORTAL_WAREHOUSE_DBT_MEMORY_LIMIT for dbt) and run again"
)


def out_of_memory_detail(text: str) -> str | None:
    """What DuckDB's out-of-memory message says it failed to do (`failed to allocate data of
    size 16.0 MiB (938.0 MiB/953.6 MiB used)`), or None when the text is not one."""
    m = _OUT_OF_MEMORY.search(text)
    return m["detail"].rstrip(".") if m else None


# The storage failures, by errno and by what the system says (strerror) in DuckDB's messages.
FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
STORAGE_ERRNOS = FULL | {errno.EROFS, errno.EACCES, errno.EPERM, errno.EISDIR}
_STRERRORS = {
    "No space left on device": errno.ENOSPC,
    "Disk quota exceeded": errno.EDQUOT,
    "File too large": errno.EFBIG,
    "Read-only file system": errno.EROFS,
    "Permission denied": errno.EACCES,
    "Operation not permitted": errno.EPERM,
    "Is a directory": errno.EISDIR,
}
# DuckDB's own words: `Could not write file "/x/w.duckdb": No space left on device`,
# `Cannot open file "/x/w.duckdb": Read-only file system`, `The file "/x/w.duckdb" exists, but
# it is not a valid DuckDB database file!`
_DUCKDB_FILE = re.compile(
    r'file "(?P<path>[^"]+)": (?P<reason>' + "|".join(map(re.escape, _STRERRORS)) + ")"
)
NOT_DUCKDB = "is not a valid DuckDB database file"
_NOT_DUCKDB = re.compile(r'The file "(?P<path>[^"]+)" exists, but it ' + NOT_DUCKDB)
# an OSError as text: `[Errno 30] Read-only file system: '/x/publish'`
_OS_ERROR = re.compile(r"\[Errno (?P<errno>\d+)\] (?P<reason>[^:\n]+)(?:: '(?P<path>[^'\n]+)')?")


def phrase(code: int, path: object, strerror: str) -> str:
    """One line for a storage failure on `path`."""
    where = f" {path}" if path else ""
    if code in FULL:
        return f"cannot write{where}: {strerror} (nothing was half-written: make room, run again)"
    if code == errno.EISDIR:
        return f"{path} is a directory, not a file"
    if code in (errno.EACCES, errno.EPERM):  # reading or writing
        return f"cannot use{where}: {strerror}"
    return f"cannot write{where}: {strerror}"


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def storage_reason(exc: BaseException) -> str | None:
    """One line saying which storage failure `exc` (or what caused it) is, or None."""
    for e in _chain(exc):
        if isinstance(e, StorageError):
            return str(e)
        if isinstance(e, OSError) and e.errno in STORAGE_ERRNOS:
            return phrase(e.errno, e.filename, e.strerror)
        reason = storage_reason_in(str(e))
        if reason:
            return reason
    return None


def storage_reason_in(text: str) -> str | None:
    """The storage failure a message names (DuckDB's, or an OSError's as text), or None."""
    if detail := out_of_memory_detail(text):
        return f"out of memory: DuckDB {detail}; {MEMORY_ADVICE}"
    if m := _NOT_DUCKDB.search(text):
        return f"{m['path']} is not a DuckDB database file"
    if m := _DUCKDB_FILE.search(text):
        return phrase(_STRERRORS[m["reason"]], m["path"], m["reason"])
    for m in _OS_ERROR.finditer(text):
        if int(m["errno"]) in STORAGE_ERRNOS:
            return phrase(int(m["errno"]), m["path"], m["reason"])
    return None


def check_writable(path: Path, what: str) -> None:
    """StorageError unless a directory can be made at `path` (or inside it, when it exists):
    tried for real, since neither permission bits nor os.access see every read-only mount."""
    path = Path(path)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise StorageError(f"{what} {path}: {existing} is not a directory")
    try:
        probe = tempfile.mkdtemp(prefix=".write-check-", dir=existing)
    except OSError as e:
        raise StorageError(f"{what} {path} is not writable: {e.strerror}") from None
    Path(probe).rmdir()

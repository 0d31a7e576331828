"""Where things live: environment variables with documented fallbacks under ./data/."""

from __future__ import annotations

import difflib
import functools
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ingest.errors import ConfigError

DEFAULT_TZ = "Asia/Ho_Chi_Minh"


@functools.cache
def duckdb_time_zones() -> frozenset[str]:
    """The zone names DuckDB knows (ICU), which every local date and dbt's SQL are drawn in."""
    import duckdb

    with duckdb.connect() as con:  # in memory: nothing is opened on disk
        return frozenset(
            r[0] for r in con.execute("SELECT name FROM pg_timezone_names()").fetchall()
        )


def check_time_zone(tz: str) -> str:
    """`tz` when both DuckDB and Python (zoneinfo) know it by that exact name, else ConfigError."""
    try:
        known = bool(tz) and ZoneInfo(tz) is not None and tz in duckdb_time_zones()
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        known = False
    if not known:
        close = difflib.get_close_matches(str(tz), sorted(duckdb_time_zones()), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else f", e.g. {DEFAULT_TZ}"
        raise ConfigError(
            f"unknown time zone {tz!r} (PORTAL_WAREHOUSE_TZ or --tz): give a zone name{hint}"
        )
    return tz


# A TOML file of source database tables (ingest.sources), each an asset of the code location
SOURCES_VARIABLE = "PORTAL_WAREHOUSE_SOURCES"


@dataclass(frozen=True)
class Settings:
    landing: Path  # PORTAL_WAREHOUSE_LANDING, default ./data/landing
    db: Path  # PORTAL_WAREHOUSE_DB, default ./data/warehouse.duckdb
    publish: Path  # PORTAL_WAREHOUSE_PUBLISH, default ./data/publish
    tz: str  # PORTAL_WAREHOUSE_TZ, default Asia/Ho_Chi_Minh
    pii_key: bytes | None  # PORTAL_WAREHOUSE_PII_KEY; without it no asker key is kept at all
    # PORTAL_WAREHOUSE_REFERENCE: the deployment's reference folder (ingest.reference); without
    # it every reference file is the bundled one
    reference: Path | None = None
    # PORTAL_WAREHOUSE_SETTLE_SECONDS, default 60: how long a landed file must not have changed
    # before the landing sensor's and the schedule's runs take it (`ingest` and `run` do not wait)
    settle_seconds: float = 60.0

    def __post_init__(self) -> None:
        check_time_zone(self.tz)  # before anything is opened: every date depends on it

    @property
    def alerts_log(self) -> Path:
        """Where alerts go when they cannot be e-mailed (orchestration/alerts.py), beside the
        run logs; `status` shows the last ones."""
        return self.db.parent / "logs" / "alerts.log"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Read the environment; keyword arguments that are not None (command-line flags) win."""
        env = os.environ
        key = env.get("PORTAL_WAREHOUSE_PII_KEY")
        reference = env.get("PORTAL_WAREHOUSE_REFERENCE")
        given = {k: v for k, v in overrides.items() if v is not None}
        for name in ("landing", "db", "publish", "reference"):
            if name in given:
                given[name] = Path(given[name])
        settings = cls(
            landing=Path(env.get("PORTAL_WAREHOUSE_LANDING", "data/landing")),
            db=Path(env.get("PORTAL_WAREHOUSE_DB", "data/warehouse.duckdb")),
            publish=Path(env.get("PORTAL_WAREHOUSE_PUBLISH", "data/publish")),
            # a --tz flag wins before the environment's zone is checked
            tz=given.pop("tz") if "tz" in given else env.get("PORTAL_WAREHOUSE_TZ", DEFAULT_TZ),
            pii_key=key.encode() if key else None,
            reference=Path(reference) if reference else None,
            settle_seconds=_seconds(
                "PORTAL_WAREHOUSE_SETTLE_SECONDS", env.get("PORTAL_WAREHOUSE_SETTLE_SECONDS", "60")
            ),
        )
        return replace(settings, **given)


# PORTAL_WAREHOUSE_LOCK_TIMEOUT: how long a writer waits for another process's lock on the
# warehouse (DuckDB allows one writer) before it fails naming that process
DEFAULT_LOCK_TIMEOUT = 30.0


def lock_timeout() -> float:
    """Read when the warehouse is opened (ingest.warehouse.connect), which every writer does."""
    return _seconds(
        "PORTAL_WAREHOUSE_LOCK_TIMEOUT",
        os.environ.get("PORTAL_WAREHOUSE_LOCK_TIMEOUT", str(DEFAULT_LOCK_TIMEOUT)),
    )


def _seconds(variable: str, text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not seconds >= 0 or math.isinf(seconds):
        raise ConfigError(f"{variable} {text!r} is not a number of seconds (0 or more)")
    return seconds

"""Where things live: environment variables with documented fallbacks under ./data/."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_TZ = "Asia/Ho_Chi_Minh"


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

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Read the environment; keyword arguments that are not None (command-line flags) win."""
        env = os.environ
        key = env.get("PORTAL_WAREHOUSE_PII_KEY")
        reference = env.get("PORTAL_WAREHOUSE_REFERENCE")
        settings = cls(
            landing=Path(env.get("PORTAL_WAREHOUSE_LANDING", "data/landing")),
            db=Path(env.get("PORTAL_WAREHOUSE_DB", "data/warehouse.duckdb")),
            publish=Path(env.get("PORTAL_WAREHOUSE_PUBLISH", "data/publish")),
            tz=env.get("PORTAL_WAREHOUSE_TZ", DEFAULT_TZ),
            pii_key=key.encode() if key else None,
            reference=Path(reference) if reference else None,
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        for name in ("landing", "db", "publish", "reference"):
            if name in given:
                given[name] = Path(given[name])
        return replace(settings, **given)

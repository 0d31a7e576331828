"""The warehouse as a Dagster resource: the same settings the command line reads."""

import dagster as dg

from ingest.settings import Settings

# DuckDB allows one writer: every asset that writes the file (ingest, dbt) runs in this pool,
# which orchestration/dagster.yaml gives one slot.
WRITER_POOL = "duckdb_writer"


class WarehouseResource(dg.ConfigurableResource):
    """Paths left empty fall back to the PORTAL_WAREHOUSE_* environment, then to ./data/."""

    landing: str | None = None
    db: str | None = None
    publish: str | None = None
    tz: str | None = None
    # the deployment's reference folder (PORTAL_WAREHOUSE_REFERENCE): its files replace the
    # bundled seeds of the same name (ingest/reference.py)
    reference: str | None = None

    def settings(self) -> Settings:
        return Settings.from_env(
            landing=self.landing,
            db=self.db,
            publish=self.publish,
            tz=self.tz,
            reference=self.reference,
        )

"""One asset per configured source database (PORTAL_WAREHOUSE_SOURCES, a TOML file of
`[[source]]` tables; ingest.sources): each reads its table's new rows into its stream's raw table.
No variable, no sources, no assets; and ingest.sources, which loads SQLAlchemy, is imported only
when there are sources."""

import os
from typing import TYPE_CHECKING

import dagster as dg

from ingest.reference import ReferenceDataError
from ingest.settings import SOURCES_VARIABLE
from orchestration.assets.ingest import raw_key, warn_restatable
from orchestration.resources import WRITER_POOL, WarehouseResource

if TYPE_CHECKING:
    from ingest.sources import SourceConfig


def source_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", "source", name])


def source_asset(config: "SourceConfig") -> dg.AssetsDefinition:
    """The asset of one source; its URL is read (and `${VAR}` expanded) only when it runs, and
    never shown: the metadata names the source without credentials."""

    @dg.asset(
        key=source_key(config.name),
        group_name="raw",
        kinds={"duckdb"},
        pool=WRITER_POOL,
        # the registry first: events of a portal it does not know yet are quarantined
        deps=[] if config.stream == "portal" else [raw_key("portal")],
        description=(
            f"`{config.stream}` events of source table `{config.table}`, read by cursor"
            f" `{config.cursor}` in batches of {config.batch_size:,} into"
            f" raw.{config.stream}_events."
        ),
    )
    def _source(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        from ingest.sources import SourceError, ingest_source

        try:
            report = ingest_source(
                warehouse.settings(),
                config.url,
                config.table,
                config.stream,
                cursor=config.cursor,
                batch_size=config.batch_size,
            )
        except (SourceError, ReferenceDataError) as e:  # one line; never the URL's password
            raise dg.Failure(description=f"source {config.name}: {e}") from None
        totals = report.totals()
        batches = report.files
        context.log.info(f"{config.name}: {totals}")
        warn_restatable(context, report)
        return dg.MaterializeResult(
            metadata={
                "source": batches[0].source_file if batches else config.table,
                "batches": len(batches),
                "rows_read": totals["rows_read"],
                "accepted": totals["accepted"],
                "duplicates": totals["duplicates"],
                "quarantined": totals["quarantined"],
                "cursor_from": batches[0].cursor_from if batches else "",
                "cursor_to": batches[-1].cursor_to if batches else "",
                "run_id": report.run_id,
            }
        )

    return _source


def configured_source_assets(path: str | None = None) -> list[dg.AssetsDefinition]:
    """The assets of the sources file named by PORTAL_WAREHOUSE_SOURCES (none when unset); a
    file that does not hold valid sources stops the code location with its one-line reason."""
    path = path or os.environ.get(SOURCES_VARIABLE)
    if not path:
        return []
    from ingest.sources import load_sources

    return [source_asset(config) for config in load_sources(path)]

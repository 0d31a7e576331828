"""The serving copy of the marts that BI tools and the published report read."""

import dagster as dg

from orchestration.assets.transform import dbt_models
from orchestration.partitions import report_periods
from orchestration.resources import WRITER_POOL, WarehouseResource
from publish.serving import write_serving_copy

# Every mart the dbt project builds, period and warehouse-wide, as the manifest names them; the
# period marts' blocking contracts stand between them and the copy.
MART_KEYS = sorted(key for key in dbt_models.keys if key.path[0] == "marts")


@dg.asset(
    key=["serving", "marts"],
    group_name="serving",
    deps=MART_KEYS,
    partitions_def=report_periods,
    pool=WRITER_POOL,  # one writer of the serving copy at a time, as of the warehouse
    kinds={"duckdb"},
)
def serving_marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """The marts, every period, copied to `<warehouse>.serving.duckdb` and swapped in whole,
    after the period's contracts passed: the period's rows are this build's, the other periods'
    those readers already had. Readers never block a run, nor a run its readers."""
    settings = warehouse.settings()
    copy = write_serving_copy(settings.db, settings.tz, context.partition_key)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(copy.path.resolve())),
            "relations": dg.MetadataValue.json(copy.rows),  # relation -> rows, every period
            "rows": sum(copy.rows.values()),
            "bytes": copy.bytes,
            "seconds": round(copy.seconds, 2),
        }
    )

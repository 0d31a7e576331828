"""What a build of the dbt models reads, and whether the last build read the same: a build with
the same inputs would change nothing, one with the same reference data and project would load
the same seeds. Without Dagster or dbt, so that `portal-warehouse run` can tell at once that a
period is up to date."""

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.contract import STREAMS
from ingest.landing import discover, file_stamp, sha256_of
from ingest.reference import PROJECT, Reference
from ingest.settings import SOURCES_VARIABLE, Settings
from ingest.warehouse import connect, literal
from publish.versions import code_version, latest_manifest

# A build's inputs, one row per whole build: a later build with the same inputs is not run.
BUILDS_TABLE = "raw.model_builds"
BUILD_READS = (*(s.table for s in STREAMS.values()), "raw.quarantine", "raw.ingest_ledger")


def build_inputs(
    con, tz: str, reference: Reference, period_id: str | None, cutoff: str | None, manifest: Path
) -> str:
    """Everything a build reads, as one text: the rows of the raw tables dbt reads (events,
    quarantine with its releases, ledger: they only grow, but for releases), the reference data,
    the dbt project as parsed (its manifest), the period, the cutoff and the time zone."""
    present = {f"{schema}.{name}" for schema, name in _relations_present(con)}
    counts = {
        table: con.execute(f"select count(*) from {table}").fetchone()[0]
        for table in BUILD_READS
        if table in present
    }
    if "raw.quarantine" in present:
        counts["released"] = con.execute(
            "select count(released_at) from raw.quarantine"
        ).fetchone()[0]
    return json.dumps(
        {
            "raw": counts,
            "reference": [(e["name"], e["sha256"]) for e in reference.manifest()],
            "project": hashlib.sha256(Path(manifest).read_bytes()).hexdigest(),
            "period_id": period_id,
            "cutoff": cutoff,
            "tz": tz,
        },
        sort_keys=True,
    )


def last_build(
    con, period_id: str | None, inputs: str, manifest: Path
) -> tuple[str, datetime] | None:
    """(run, time) of the last whole build of this period (or of the warehouse models alone),
    when it had these very inputs and every relation it built is still there."""
    if not _has_table(con, BUILDS_TABLE):
        return None
    last = con.execute(
        f"select run_id, built_at, inputs from {BUILDS_TABLE}"
        f" where period_id is not distinct from {literal(period_id)}"
        " order by built_at desc limit 1"
    ).fetchone()
    if last is None or last[2] != inputs:
        return None
    return (last[0], last[1]) if _all_built(con, manifest, {"model", "seed"}) else None


def record_build(con, period_id: str | None, inputs: str, run_id: str) -> None:
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {BUILDS_TABLE} (
            period_id VARCHAR,  -- null: the warehouse models alone
            run_id VARCHAR NOT NULL,
            built_at TIMESTAMPTZ NOT NULL,
            inputs VARCHAR NOT NULL  -- build_inputs()
        )"""
    )
    con.execute(
        f"INSERT INTO {BUILDS_TABLE} VALUES (?, ?, ?, ?)",
        [period_id, run_id, datetime.now(UTC), inputs],
    )


# The reference seeds as a whole build left them: a later build with the same reference files
# and dbt project leaves the seeds and the tests of them alone out (38 of a build's 140 dbt nodes).
SEEDS_TABLE = "raw.seeds_loaded"


def _seeds_key(inputs: str) -> str:
    """What the seeds are loaded from: the reference files and the project (its seeds' SQL,
    column types and tests), out of a build's `build_inputs`."""
    read = json.loads(inputs)
    return json.dumps({"reference": read["reference"], "project": read["project"]})


def seeds_loaded(con, inputs: str, manifest: Path) -> str | None:
    """The run whose whole build loaded the seeds from what a build with `inputs` would load
    them from, their tests passing, when every seed's table is still there; else None."""
    if not _has_table(con, SEEDS_TABLE):
        return None
    loaded = con.execute(f"select run_id, loaded_from from {SEEDS_TABLE}").fetchone()
    if loaded is None or loaded[1] != _seeds_key(inputs):
        return None
    return loaded[0] if _all_built(con, manifest, {"seed"}) else None


def forget_seeds(con) -> None:
    """Before a build that loads the seeds: until it has passed, nobody knows what they hold."""
    if _has_table(con, SEEDS_TABLE):
        con.execute(f"DELETE FROM {SEEDS_TABLE}")


def record_seeds(con, inputs: str, run_id: str) -> None:
    """After a whole build that loaded the seeds and passed their tests."""
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {SEEDS_TABLE} (
            run_id VARCHAR NOT NULL,
            loaded_from VARCHAR NOT NULL  -- _seeds_key()
        )"""
    )
    con.execute(f"DELETE FROM {SEEDS_TABLE}")
    con.execute(f"INSERT INTO {SEEDS_TABLE} VALUES (?, ?)", [run_id, _seeds_key(inputs)])


# The code each replay's rows were built with. A replay (an incremental model of no period:
# dossiers, posts, questions) keeps the rows earlier builds made and replays only what new events
# touch: after a change of its code (a new release, a fix), the rows of the old code would stay
# beside those of the new one. Such a replay is dropped before the build, which then replays
# every event with the new code, once.
REPLAY_CODE_TABLE = "raw.replay_code"


def replay_code(manifest: dict[str, Any], tz: str, period_tag: str) -> dict[str, str]:
    """Each replay's relation ("schema.name") with a hash of what its rows depend on besides the
    events: its SQL and its ancestors' (the staging views), the project's macros (dbt records
    only those called at parse time), dbt's version (its materializations) and the time zone."""
    nodes = manifest["nodes"]

    def ancestors(uid: str) -> set[str]:
        parents = {p for p in nodes[uid]["depends_on"]["nodes"] if p in nodes}
        return parents.union(*(ancestors(p) for p in parents))

    project = manifest["metadata"]["project_name"]
    macros = sorted(
        (uid, macro["macro_sql"])
        for uid, macro in manifest["macros"].items()
        if macro["package_name"] == project
    )
    code = {}
    for uid, node in nodes.items():
        if node["config"].get("materialized") != "incremental" or period_tag in node["tags"]:
            continue
        sql = sorted((u, nodes[u]["checksum"]["checksum"]) for u in {uid} | ancestors(uid))
        read = [sql, macros, manifest["metadata"]["dbt_version"], tz]
        relation = f"{node['schema']}.{node.get('alias') or node['name']}"
        code[relation] = hashlib.sha256(json.dumps(read).encode()).hexdigest()
    return code


def drop_changed_replays(con, code: dict[str, str]) -> list[str]:
    """Drop each replay of `code` built with other code, or by a release that did not record
    it; return their relations."""
    present = _relations_present(con)
    recorded = {}
    if tuple(REPLAY_CODE_TABLE.split(".")) in present:
        recorded = dict(con.execute(f"select relation, code from {REPLAY_CODE_TABLE}").fetchall())
    changed = [
        relation
        for relation, hashed in code.items()
        if tuple(relation.split(".")) in present and recorded.get(relation) != hashed
    ]
    for relation in changed:
        con.execute(f"drop table {relation}")
    return changed


def record_replay_code(con, code: dict[str, str], run_id: str) -> None:
    """After a build of these replays that passed."""
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {REPLAY_CODE_TABLE} (
            relation VARCHAR PRIMARY KEY,  -- schema.name
            code VARCHAR NOT NULL,  -- replay_code()
            run_id VARCHAR NOT NULL
        )"""
    )
    con.executemany(
        f"INSERT OR REPLACE INTO {REPLAY_CODE_TABLE} VALUES (?, ?, ?)",
        [(relation, hashed, run_id) for relation, hashed in code.items()],
    )


def _relations_present(con) -> set[tuple[str, str]]:
    """(schema, name) of every table and view the warehouse holds."""
    return set(
        con.execute(
            "select schema_name, table_name from duckdb_tables()"
            " where database_name = current_database() union all"
            " select schema_name, view_name from duckdb_views()"
            " where database_name = current_database()"
        ).fetchall()
    )


def _has_table(con, name: str) -> bool:
    return tuple(name.split(".")) in _relations_present(con)


def _all_built(con, manifest: Path, kinds: set[str]) -> bool:
    """Whether every relation the project builds of these kinds (model, seed) is there."""
    present = _relations_present(con)
    return all(
        (node["schema"], node.get("alias") or node["name"]) in present
        for node in manifest_nodes(manifest).values()
        if node["resource_type"] in kinds and node["config"].get("materialized") != "ephemeral"
    )


def manifest_nodes(manifest: Path) -> dict[str, Any]:
    """The dbt manifest's nodes: models, seeds, tests, with their relations and dependencies."""
    return json.loads(Path(manifest).read_text())["nodes"]


# Where `dbt parse` writes the project's manifest (orchestration.dbt_project's, checked by the
# tests), named here without importing dagster-dbt.
PROJECT_MANIFEST = PROJECT / "target" / "manifest.json"


def up_to_date(
    settings: Settings,
    period_id: str,
    cutoff: str | None,
    report_number: str | None,
    report_date: str | None,
    reference: Reference,
) -> Path | None:
    """The period's latest published version when publishing again would only repeat it: no
    landed file is new to the ledger, the period's last build read what a build would read now
    and was published since, with the same cutoff, report number and date and the same code,
    and every file of that version is there as published. None otherwise, or when in doubt."""
    if os.environ.get(SOURCES_VARIABLE):  # the run reads source databases too: unknown here
        return None
    latest = latest_manifest(Path(settings.publish) / period_id)
    if latest is None or not PROJECT_MANIFEST.is_file() or not settings.db.is_file():
        return None
    version, published = latest
    asked = {"cutoff": cutoff, "report_number": report_number, "report_date": report_date}
    if any(published.get(key) != value for key, value in asked.items()):
        return None
    if published.get("code_version") != code_version():
        return None
    if not all(c.get("passed") for c in published.get("contracts", [])):
        return None
    con = connect(settings.db, settings.tz, read_only=True)
    try:
        if _new_landed_files(con, settings.landing):
            return None
        inputs = build_inputs(con, settings.tz, reference, period_id, cutoff, PROJECT_MANIFEST)
        built = last_build(con, period_id, inputs, PROJECT_MANIFEST)
    finally:
        con.close()
    if built is None or built[1] > datetime.fromisoformat(published["published_at"]):
        return None
    for entry in published.get("files", []):
        path = version / entry["name"]
        if not path.is_file() or sha256_of(path) != entry["sha256"]:
            return None
    return version


def _new_landed_files(con, landing: Path) -> bool:
    """Whether the next ingest would find anything: a landed file whose name and content the
    ledger does not hold, or one it would reject. A file whose stamp the ledger holds for its
    name is not read (ingest.landing.sha256_and_stamp)."""
    stamped = "file_stamp" if _has_file_stamps(con) else "NULL"
    ledger = con.execute(f"SELECT source_file, sha256, {stamped} FROM raw.ingest_ledger").fetchall()
    seen = {(source, sha) for source, sha, _ in ledger}
    vouched = {(source, stamp) for source, _, stamp in ledger if stamp is not None}
    return any(
        landed.rejected
        or (
            (landed.relative, file_stamp(landed.path)) not in vouched
            and (landed.relative, sha256_of(landed.path)) not in seen
        )
        for landed in discover(landing).files
    )


def _has_file_stamps(con) -> bool:
    """Whether the ledger has its `file_stamp` column: a warehouse made before it gains it at its
    next ingest, and this reads it read-only."""
    return (
        con.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'raw'"
            " AND table_name = 'ingest_ledger' AND column_name = 'file_stamp'"
        ).fetchone()[0]
        == 1
    )

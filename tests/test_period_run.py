"""A report period end to end: the Dagster job on generated events, checked against an
independent replay of the raw events, published, read back, and blocked by a broken contract."""

import csv
import hashlib
import json
import os
import re
import shutil
import zipfile
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import openpyxl
import pyarrow.parquet as pq
import pytest

from ingest.reference import dbt_dir
from orchestration import dbt_project
from orchestration.builds import PROJECT_MANIFEST, manifest_nodes
from orchestration.checks import check_evaluations
from orchestration.dbt_project import RESULT_EVENTS, environment
from orchestration.definitions import defs
from orchestration.resources import WarehouseResource
from orchestration.runs import CONTRACT_BLOCKED, run_period
from sample import generate
from tests.conftest import DBT_DEBUG_LOG, Warehouse, dossier

PERIOD, CUTOFF = "2023-9M", "2023-09-25"
START, END = date(2023, 1, 1), date(2023, 9, 25)
PREVIOUS = (date(2022, 1, 1), date(2022, 9, 25))
LISTED = Path(__file__).parent.parent / "models" / "seeds" / "rubric_listed_agencies.csv"
CELLS = [f"resolved_l{lv}_{t}" for lv in (2, 3, 4) for t in ("early", "on_time", "late")]


@pytest.fixture(scope="module")
def instance():
    """The module's Dagster history: its later runs read what the first one recorded."""
    return dg.DagsterInstance.ephemeral()


@pytest.fixture(scope="module")
def built(tmp_path_factory, instance):
    root = tmp_path_factory.mktemp("period")
    warehouse = Warehouse(root)
    generate(warehouse.landing, scale=0.05)
    dbt_project._manifests.clear()  # as in a new process: no project parsed yet
    with environment(DBT_DEBUG_LOG):
        outcome = run_period(
            defs, PERIOD, cutoff=CUTOFF, resources=warehouse.resources(), instance=instance
        )
    assert outcome.exit_code == 0, outcome.summary()
    return warehouse, outcome, root


def given_again(instance: dg.DagsterInstance, run_id: str, by: str) -> dict:
    """The verdicts run `run_id` gave again from run `by` (which it did not evaluate itself)."""
    return {
        key: evaluation
        for key, evaluation in check_evaluations(instance, run_id).items()
        if "verdict_of_run" in evaluation.metadata
        and evaluation.metadata["verdict_of_run"].value == by
    }


def completed(invocation: list[dict], command: str) -> bool:
    said = f" {command}` succeeded"  # `Command `cli build` succeeded at …`
    return any(e["name"] == "CommandCompleted" and said in e["msg"] for e in invocation)


def rows(warehouse: Warehouse, mart: str, columns: list[str], period=PERIOD) -> dict:
    found = warehouse.query(
        f"SELECT portal_id, {', '.join(columns)} FROM marts.{mart} WHERE period_id = ?", [period]
    )
    return {r[0]: dict(zip(columns, r[1:], strict=True)) for r in found}


# An independent reading of EVENTS.md: replay each dossier and question in Python, event by
# event in `occurred_at` order, and count the window the way the contract words it.


def replay_dossiers(warehouse: Warehouse) -> dict[str, dict]:
    events = warehouse.query(
        "SELECT dossier_id, event_type, portal_id, channel, service_level, occurred_on,"
        " timezone('Asia/Ho_Chi_Minh', due_at)::date FROM raw.dossier_events"
        " ORDER BY occurred_at, event_id"
    )
    dossiers: dict[str, dict] = {}
    for dossier_id, kind, portal, channel, level, on, due in events:
        d = dossiers.get(dossier_id)
        if kind == "received" and d is None:
            dossiers[dossier_id] = dict(
                portal=portal, channel=channel, level=level, received=on, due=due, closed=None
            )
        elif d is None or d["closed"]:
            continue  # an orphan, or after the dossier was closed
        elif kind in ("received", "due_changed"):
            d["due"] = due
        else:
            d["closed"] = (kind, on, d["due"])
    return dossiers


def expected_dossiers(dossiers, start, end) -> dict[str, Counter]:
    counts: dict[str, Counter] = defaultdict(Counter)
    for d in dossiers.values():
        kind, closed_on, due = d["closed"] or (None, None, None)
        if d["received"] > end or (closed_on and closed_on < start):
            continue
        c = counts[d["portal"]]
        c["total"] += 1
        if d["received"] < start:
            c["carried_over"] += 1
        else:
            c[f"received_{d['channel']}"] += 1
        if closed_on and closed_on <= end:
            if kind == "withdrawn":
                c["withdrawn"] += 1
            else:
                c["resolved"] += 1
                t = "early" if closed_on < due else "on_time" if closed_on == due else "late"
                c[f"resolved_l{d['level']}_{t}"] += 1
    for c in counts.values():
        c["in_progress"] = c["total"] - c["resolved"] - c["withdrawn"]
    return counts


def expected_questions(warehouse: Warehouse, start, end) -> dict[str, Counter]:
    events = warehouse.query(
        "SELECT question_id, event_type, portal_id, occurred_on FROM raw.question_events"
        " WHERE event_type <> 'rated' ORDER BY occurred_at, event_id"
    )
    submitted, status = {}, {}
    names = {
        "submitted": "waiting_acceptance",
        "accepted": "waiting_answer",
        "answered": "answered",
        "deleted": "deleted",
    }
    for question_id, kind, portal, on in events:
        if kind == "submitted" and question_id not in submitted:
            submitted[question_id] = (portal, on)
        if on <= end:
            status[question_id] = names[kind]
    counts: dict[str, Counter] = defaultdict(Counter)
    for question_id, (portal, on) in submitted.items():
        if start <= on <= end:
            counts[portal]["total"] += 1
            counts[portal][status[question_id]] += 1
    return counts


def current_portals(warehouse: Warehouse, end: date) -> set[str]:
    found = warehouse.query(
        "SELECT portal_id FROM raw.portal_events WHERE occurred_on <= ?"
        " GROUP BY portal_id HAVING count(*) FILTER (WHERE event_type = 'retired') = 0",
        [end],
    )
    return {p for (p,) in found}


def listed(appendix: str, end: date) -> set[str]:
    with LISTED.open() as f:
        return {
            r["portal_id"]
            for r in csv.DictReader(f)
            if r["appendix"] == appendix and date.fromisoformat(r["listed_from"]) <= end
        }


def test_appendix_03_equals_an_independent_replay_row_for_row(built):
    warehouse, _, _ = built
    dossiers = replay_dossiers(warehouse)
    expected = expected_dossiers(dossiers, START, END)
    took_part_before = set(expected_dossiers(dossiers, *PREVIOUS))
    columns = ["total", "carried_over", "received_counter", "received_online", *CELLS]
    columns += ["resolved", "withdrawn", "in_progress"]
    mart = rows(warehouse, "appendix_03_dossiers", columns)
    agencies = set(expected) | (
        (took_part_before | listed("03", END)) & current_portals(warehouse, END)
    )
    assert set(mart) == agencies
    for portal_id, row in mart.items():
        assert row == {c: expected[portal_id][c] for c in columns}, portal_id
    assert sum(r["total"] for r in mart.values()) > 5_000  # the comparison covered real volume


def test_appendix_02_equals_an_independent_replay_row_for_row(built):
    warehouse, _, _ = built
    expected = expected_questions(warehouse, START, END)
    took_part_before = set(expected_questions(warehouse, *PREVIOUS))
    columns = ["total", "answered", "waiting_answer", "waiting_acceptance", "deleted"]
    mart = rows(warehouse, "appendix_02_questions", columns)
    agencies = set(expected) | (
        (took_part_before | listed("02", END)) & current_portals(warehouse, END)
    )
    assert set(mart) == agencies
    for portal_id, row in mart.items():
        assert row == {c: expected[portal_id][c] for c in columns}, portal_id


def test_rates_follow_their_counts_and_names_are_those_in_force_at_the_period_end(built):
    warehouse, _, _ = built
    mart = rows(
        warehouse,
        "appendix_03_dossiers",
        ["portal_name", "total", "resolved", "resolution_rate", "on_time_rate"],
    )
    for row in mart.values():
        if row["total"] == 0:
            assert row["resolution_rate"] is None and row["on_time_rate"] is None
        else:
            assert row["resolution_rate"] == pytest.approx(row["resolved"] / row["total"])
    # renamed on 15/06/2023: the 9-month report prints the new name
    assert mart["bql-kkt"]["portal_name"] == "Ban Quản lý Khu kinh tế tỉnh"


def test_dbt_runs_in_the_steps_process_and_leaves_the_warehouse_closed(built):
    """No dbt subprocess to start and import (about 6 s a build): dbt runs in the step's
    process, and closes the warehouse when it ends (dbt-duckdb would keep it open, and DuckDB
    refuses this process another configuration of an open file)."""
    warehouse, _, _ = built
    assert {e["pid"] for invocation in warehouse.dbt_invocations() for e in invocation} == {
        os.getpid()
    }
    duckdb.connect(str(warehouse.settings.db), read_only=True, config={"threads": 1}).close()


def test_a_processs_first_build_parses_the_project_from_its_parse_state(built):
    """dbt keeps a parse state only while the profile's connection is the same: the warehouse is
    `~/warehouse.duckdb` to dbt (dbt_project.profile_env), as when `make` parsed the project,
    with the same time zone, and the period is read only when its model runs: the parse before
    a process's first build reads no file again; the build uses what it parsed."""
    warehouse, _, _ = built
    parse, build = warehouse.dbt_invocations()
    names = {e["name"] for e in parse}
    assert completed(parse, "parse") and "PartialParsingSkipParsing" in names
    assert "UnableToPartialParse" not in names
    assert "PartialParsingFile" not in names  # dbt's event for each file it parses again
    assert completed(build, "build")


def test_the_build_leaves_its_run_results_and_no_manifest(built):
    """The warehouse's dbt target keeps what the build did (run_results.json: each node it ran,
    with its time), not the manifest and graph dbt writes with it, which nobody reads
    (dagster-dbt reads the project's): 0.1 s of every build, whatever its data."""
    warehouse, _, _ = built
    target = dbt_dir(warehouse.settings.db) / "target"
    results = json.loads((target / "run_results.json").read_text())["results"]
    _, build = warehouse.dbt_invocations()
    ran = [e for e in build if e["name"] in RESULT_EVENTS]
    assert len(results) == len(ran) > 100
    assert {r["status"] for r in results} == {"success", "pass"}
    assert not (target / "manifest.json").exists() and not (target / "graph.gpickle").exists()


def test_orphans_are_findings_not_counts(built):
    warehouse, _, _ = built
    findings = {
        (portal, finding): count
        for portal, finding, count in warehouse.query(
            "SELECT portal_id, finding, count FROM marts.data_quality_findings WHERE period_id = ?",
            [PERIOD],
        )
    }
    # the seed's negative "đang giải quyết" for UBND tỉnh came from such resolutions
    assert findings[("ubnd-tinh", "orphan_resolution")] > 0
    in_progress = warehouse.query(
        "SELECT min(in_progress) FROM marts.appendix_03_dossiers WHERE period_id = ?", [PERIOD]
    )
    assert in_progress[0][0] >= 0


def test_the_published_workbooks_read_back_like_the_seed(built):
    warehouse, outcome, root = built
    version = Path(outcome.published)
    assert version == root / "publish" / PERIOD / "v1"
    sheet = openpyxl.load_workbook(version / "appendix_03_dossiers.xlsx").active
    cells = {c.value: c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)}
    assert "(Tính từ 01/01/2023 đến 25/09/2023)" in cells
    assert {"MCĐT", "Trực tuyến", "Trước hạn", "Đúng hạn", "Trễ hạn"} <= set(cells)
    total_row = cells["TỔNG CỘNG"].row
    values = [c.value for c in sheet[total_row]]
    numbers = [v for v in values if isinstance(v, int | float)]
    total = warehouse.scalar(
        "SELECT sum(total) FROM marts.appendix_03_dossiers WHERE period_id = ?", [PERIOD]
    )
    assert numbers[0] == total
    formats = {c.number_format for c in sheet[total_row] if isinstance(c.value, int | float)}
    assert formats == {"#,##0", "0.0%"}
    questions = openpyxl.load_workbook(version / "appendix_02_questions.xlsx").active
    texts = [c.value for row in questions.iter_rows() for c in row if c.value is not None]
    assert "Tổng số" in texts or "Tổng số:" in texts
    assert "Sở Giáo dục và Đào tạo" in texts


def delivered_personal_values(landing: Path) -> set[str]:
    """Every asker's email, phone and question body the sample delivered, in any format."""
    con = duckdb.connect()
    found = set()
    for path in sorted((landing / "question").iterdir()):
        name = path.name.removesuffix(".gz")
        reader = {".jsonl": "read_json", ".csv": "read_csv", ".parquet": "read_parquet"}.get(
            path.suffix if name == path.name else Path(name).suffix
        )
        if reader is None:
            continue
        try:
            columns = {c for c, *_ in con.execute(f"DESCRIBE FROM {reader}('{path}')").fetchall()}
        except duckdb.Error:  # the sample's planted unreadable files
            continue
        for column in {"asker_email", "asker_phone", "body"} & columns:
            found |= {
                v
                for (v,) in con.execute(
                    f"SELECT DISTINCT {column}::VARCHAR FROM {reader}('{path}')"
                ).fetchall()
                if v and len(v) >= 8
            }
    return found


RE2_SPECIAL = set("\\.+*?()|[]{}^$")


def occurring(values: set[str], texts: list[str], warehouse: Warehouse) -> set[str]:
    """The values that occur in any of the texts or any row of any table of the warehouse.

    One pass of DuckDB's RE2 over each (alternations of the values as literals: DFAs, linear in
    the text whatever the number of values), rather than one scan of everything per value; a
    value that starts inside another's match is still a match (the alternation's leftmost).
    The values go in alternations of 100: one of the sample's 500 ran twice as slow as five of
    100 (RE2's DFA outgrows its memory budget and falls back to a slower matcher)."""
    ordered = sorted(values)
    patterns = {
        f"p{n}": "|".join(
            "".join("\\" + c if c in RE2_SPECIAL else c for c in value)
            for value in ordered[n : n + 100]
        )
        for n in range(0, len(ordered), 100)
    }
    matches = " || ".join(f"regexp_extract_all(s, ${name})" for name in patterns)
    found_in = f"SELECT list_distinct(flatten(list({matches}))) FROM (SELECT {{}} AS s FROM {{}})"
    found = (
        duckdb.connect()
        .execute(found_in.format("t", "unnest($texts) AS u(t)"), patterns | {"texts": texts})
        .fetchone()[0]
        or []
    )
    tables = warehouse.query(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary"
    )
    for schema, table in tables:
        row = found_in.format("t::VARCHAR", f'"{schema}"."{table}" AS t')
        found += warehouse.scalar(row, patterns) or []
    return set(found)


def test_no_personal_value_reaches_the_warehouse_the_published_files_or_the_logs(built):
    warehouse, outcome, root = built
    personal = delivered_personal_values(warehouse.landing)
    assert len(personal) > 100  # the sample does deliver them
    texts = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "landing" not in p.parts):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                texts += [book.read(n).decode("utf-8", "replace") for n in book.namelist()]
        elif path.suffix == ".parquet":
            texts.append(str(pq.read_table(path).to_pylist()))
        elif path.suffix != ".duckdb":
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    known = "Sở Giáo dục và Đào tạo"  # the search does read the outputs: a name they hold
    assert occurring({known, "không có ở đâu cả"}, texts, warehouse) == {known}
    assert occurring(personal, texts, warehouse) == set()


def test_a_broken_contract_blocks_the_publish_and_keeps_earlier_versions(built, tmp_path):
    warehouse, outcome, root = built
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse.settings.db, db)
    publish = tmp_path / "publish"
    shutil.copytree(root / "publish", publish)
    v1 = publish / PERIOD / "v1"
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in v1.iterdir()}
    with duckdb.connect(str(db)) as con:  # the seed's impossible row: resolutions never received
        con.execute(
            "UPDATE marts.appendix_03_dossiers SET resolved_l4_early = resolved_l4_early + 100,"
            " resolved = resolved + 100, in_progress = in_progress - 100"
            " WHERE period_id = ? AND portal_id = 'huyen-bao-yen'",
            [PERIOD],
        )
    broken = run_period(
        defs,
        PERIOD,
        cutoff=CUTOFF,
        resources={
            "warehouse": WarehouseResource(
                landing=str(root / "landing"), db=str(db), publish=str(publish)
            )
        },
        job_name="publish_job",
    )
    assert broken.exit_code == CONTRACT_BLOCKED
    assert broken.published is None
    message = "\n".join(broken.failed_contracts)
    assert "appendix_03_dossiers" in message and "huyen-bao-yen" in message
    assert "in_progress" in message
    assert sorted(p.name for p in (publish / PERIOD).iterdir()) == ["v1"]
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in v1.iterdir()}
    assert after == before


def test_a_run_with_nothing_new_keeps_the_models_and_one_with_more_parses_nothing(built, instance):
    """A second run with nothing new does not start dbt: its inputs (raw rows, reference data,
    project, period, cutoff) are the last build's, and so are its dbt tests' verdicts, which it
    gives again where the Dagster instance holds them. One with a new delivery builds with the
    project this process parsed for the first: nothing is parsed again; the reference seeds,
    loaded from the same files by the first, are kept, with their tests' verdicts; a replay
    built with other code (an earlier release) is replayed whole, one built with this code only
    where the delivery touches it. (Last in this module: it adds events and published
    versions.)"""
    warehouse, first, root = built
    appendix = "SELECT portal_id, total FROM marts.appendix_03_dossiers WHERE period_id = ?"
    before, built_before = warehouse.dbt_invocations(), sorted(warehouse.query(appendix, [PERIOD]))
    again = run_period(
        defs, PERIOD, cutoff=CUTOFF, resources=warehouse.resources(), instance=instance
    )
    assert again.exit_code == 0, again.summary()
    assert warehouse.dbt_invocations() == before
    assert sorted(warehouse.query(appendix, [PERIOD])) == built_before
    assert again.published.endswith("v2")  # published again, from the same marts
    # every check has a verdict; each dbt test's is the first run's, saying so
    tests = [n for n in manifest_nodes(PROJECT_MANIFEST).values() if n["resource_type"] == "test"]
    first_verdicts, again_verdicts = (
        check_evaluations(instance, first.run_id),
        check_evaluations(instance, again.run_id),
    )
    assert again_verdicts.keys() == first_verdicts.keys()
    kept = given_again(instance, again.run_id, by=first.run_id)
    assert {key.name for key in kept} == {n["name"] for n in tests}
    assert all(
        (v.passed, v.severity) == (first_verdicts[k].passed, first_verdicts[k].severity)
        for k, v in kept.items()
    )
    # a Dagster instance without the first run's history has no verdict to give: the run says so
    elsewhere = dg.DagsterInstance.ephemeral()
    apart = run_period(
        defs, PERIOD, cutoff=CUTOFF, resources=warehouse.resources(), instance=elsewhere
    )
    assert apart.exit_code == 0, apart.summary()
    said = [
        e.user_message for e in elsewhere.all_logs(apart.run_id) if "no verdict" in e.user_message
    ]
    assert len(said) == 1
    assert said[0].startswith(f"{len(tests)} checks have no verdict of run {first.run_id} ")
    assert not given_again(elsewhere, apart.run_id, by=first.run_id)

    portal = warehouse.scalar(
        "SELECT portal_id FROM marts.appendix_03_dossiers WHERE period_id = ? ORDER BY 1 LIMIT 1",
        [PERIOD],
    )
    warehouse.land("dossier", "later.jsonl", [dossier("later-1", portal_id=portal)])
    # one row of two replays marked (an ingest time no build wrote), and the dossiers' replay as
    # an earlier release would have left it: built with other code
    replays = [("int_dossier_lifecycle", "dossier_id"), ("int_post_publications", "post_id")]
    marked = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"
    with duckdb.connect(str(warehouse.settings.db)) as con:
        for table, key in replays:
            con.execute(
                f"UPDATE intermediate.{table} SET last_ingested_at = {marked}"
                f" WHERE {key} = (SELECT min({key}) FROM intermediate.{table})"
            )
        con.execute(
            "UPDATE raw.replay_code SET code = 'an earlier release'"
            " WHERE relation = 'intermediate.int_dossier_lifecycle'"
        )

    def marks() -> list[int]:
        return [
            warehouse.scalar(
                f"SELECT count(*) FROM intermediate.{table} WHERE last_ingested_at = {marked}"
            )
            for table, _ in replays
        ]

    assert marks() == [1, 1]
    with environment(DBT_DEBUG_LOG):
        more = run_period(
            defs, PERIOD, cutoff=CUTOFF, resources=warehouse.resources(), instance=instance
        )
    assert more.exit_code == 0, more.summary()
    after = warehouse.dbt_invocations()
    last = after[-1]
    assert len(after) == len(before) + 1 and completed(last, "build")
    assert not any("Pars" in e["name"] for e in last)  # the project parsed earlier is kept
    # the seeds are the first build's: not loaded again, nor the tests that read only them; a
    # test of a model against a seed is run, and each seed's materialization says whose it is
    assert not [e["msg"] for e in last if e["name"] == "LogSeedResult"]
    of_seeds = {
        n["name"] for n in tests if all(d.startswith("seed.") for d in n["depends_on"]["nodes"])
    }
    tested = {m[2] for e in last if (m := re.search(r" (PASS|FAIL|WARN) (\w+) ", e["msg"]))}
    assert "relationships_dim_portal_portal_group__portal_group__ref_portal_groups_" in tested
    assert len(of_seeds) > 10 and not tested & of_seeds
    assert len(tested) == len(tests) - len(of_seeds)
    assert {key.name for key in given_again(instance, more.run_id, by=first.run_id)} == of_seeds
    assert check_evaluations(instance, more.run_id).keys() == first_verdicts.keys()
    groups = instance.get_latest_materialization_event(dg.AssetKey(["reference", "portal_groups"]))
    metadata = groups.asset_materialization.metadata
    assert metadata["unchanged_since_run"].value == first.run_id
    assert metadata["dagster/row_count"].value > 0
    counted = dict(warehouse.query(appendix, [PERIOD]))
    assert counted[portal] == dict(built_before)[portal] + 1
    assert marks() == [0, 1]  # the dossiers replayed whole; the untouched post kept as it was
    # the delivery is dated in the period, published before it came: its own run restates it,
    # and does not warn of it
    assert not [
        e for e in instance.all_logs(more.run_id) if e.user_message.startswith("published ")
    ]
    assert warehouse.query("SELECT relation, run_id FROM raw.replay_code ORDER BY 1") == [
        (f"intermediate.{table}", more.run_id)
        for table in ("int_dossier_lifecycle", "int_post_publications", "int_question_status")
    ]

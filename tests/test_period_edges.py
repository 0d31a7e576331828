"""Period semantics on hand-made events, through the real ingest, dbt and Dagster: boundaries in
UTC and local time, carried-over dossiers, changed due dates, orphans, late answers, renames;
then more events arrive and the incremental build must equal a rebuild from scratch."""

import re
import shutil

import duckdb
import pytest

from ingest.warehouse import connect, ensure_schema
from orchestration.dbt_project import environment
from orchestration.definitions import defs
from orchestration.runs import run_period
from tests.conftest import DBT_DEBUG_LOG, REGISTRY, Warehouse, dossier, invoke_dbt, run_dbt

PERIOD, CUTOFF = "2023-9M", "2023-09-25"
MARTS = ("appendix_02_questions", "appendix_03_dossiers", "data_quality_findings")


def question(event_id, event_type, occurred_at, question_id, portal_id="huyen-bao-yen", **f):
    return {
        "event_id": event_id,
        "event_type": event_type,
        "occurred_at": occurred_at,
        "portal_id": portal_id,
        "question_id": question_id,
    } | f


def received(dossier_id, occurred_at, due_at, channel="online", **fields):
    return dossier(
        f"{dossier_id}.r",
        dossier_id=dossier_id,
        occurred_at=occurred_at,
        due_at=due_at,
        channel=channel,
        **fields,
    )


def closed(dossier_id, occurred_at, kind="resolved", suffix=""):
    return dossier(
        f"{dossier_id}.{kind}{suffix}", kind, dossier_id=dossier_id, occurred_at=occurred_at
    )


def post(event_id, post_id, day, portal_id="so-tttt"):
    return {
        "event_id": event_id,
        "event_type": "published",
        "occurred_at": f"{day}T09:00:00+07:00",
        "portal_id": portal_id,
        "post_id": post_id,
        "kind": "article",
        "category": "news",
    }


DOSSIERS = [
    # the cutoff day ends at 23:59:59 local (16:59:59 UTC); naive times are local
    received("b1", "2023-09-25T16:59:59Z", "2023-10-05T17:00:00+07:00"),
    received("b2", "2023-09-25T17:00:00Z", "2023-10-05T17:00:00+07:00"),
    received("b3", "2023-09-25T23:59:59", "2023-10-05T17:00:00"),
    received("b4", "2023-09-26T00:00:00", "2023-10-05T17:00:00"),
    # the year starts at 17:00 UTC on 31/12: b5 is carried over, b6 received in the period
    received("b5", "2022-12-31T16:59:59Z", "2023-01-10T17:00:00+07:00"),
    received("b6", "2022-12-31T17:00:00Z", "2023-01-10T17:00:00+07:00", channel="counter"),
    # due 06/03 moved to 10/03 before the resolution on 08/03: early, not late
    received("b7", "2023-03-01T09:00:00+07:00", "2023-03-06T17:00:00+07:00"),
    dossier(
        "b7.due",
        "due_changed",
        dossier_id="b7",
        occurred_at="2023-03-04T09:00:00+07:00",
        due_at="2023-03-10T17:00:00+07:00",
    ),  # fmt: skip
    closed("b7", "2023-03-08T10:00:00+07:00"),
    # resolved after the cutoff: still in progress at its end
    received("b8", "2023-09-20T09:00:00+07:00", "2023-09-29T17:00:00+07:00"),
    closed("b8", "2023-09-26T10:00:00+07:00"),
    # resolved with no receipt: a finding, not a count
    closed("b9", "2023-05-01T10:00:00+07:00"),
    # resolved twice: counted once, the second is a finding
    received("b10", "2023-04-01T09:00:00+07:00", "2023-04-10T17:00:00+07:00"),
    closed("b10", "2023-04-02T10:00:00+07:00"),
    closed("b10", "2023-04-03T10:00:00+07:00", suffix="-2"),
    # an agency registered on 01/05/2023 whose first dossier is dated before that
    received("b11", "2023-04-01T09:00:00+07:00", "2023-04-10T17:00:00+07:00", portal_id="xa-moi"),
]
QUESTIONS = [
    question("q1.s", "submitted", "2023-09-25T17:30:00Z", "q1"),  # 00:30 on 26/09 local
    question("q2.s", "submitted", "2023-09-20T08:00:00", "q2"),
    question("q2.a", "accepted", "2023-09-21T08:00:00", "q2"),
    question("q2.b", "answered", "2023-09-27T08:00:00", "q2"),  # after the cutoff
    question("q3.s", "submitted", "2023-05-01T08:00:00", "q3"),
    question("q3.d", "deleted", "2023-05-02T08:00:00", "q3", deletion_reason="duplicate"),
    question("q4.a", "accepted", "2023-06-01T08:00:00", "q4"),  # never submitted
    question("q5.s", "submitted", "2023-02-01T08:00:00", "q5"),
    question("q5.b", "answered", "2023-02-03T08:00:00", "q5"),
    question("q6.s", "submitted", "2023-08-01T08:00:00", "q6", portal_id="ban-tuyen-giao"),
]
PORTALS = [
    {
        "event_id": "reg-xa-moi",
        "event_type": "registered",
        "occurred_at": "2023-05-01T08:00:00+07:00",
        "portal_id": "xa-moi",
        "name": "Xã Mới",
        "portal_group": "commune",
        "bloc": "government",
        "scored": False,
    },
    {
        "event_id": "upd-ban-tuyen-giao",
        "event_type": "updated",
        "occurred_at": "2023-06-15T10:00:00+07:00",
        "portal_id": "ban-tuyen-giao",
        "name": "Ban Tuyên giáo và Dân vận Tỉnh ủy",
    },
]


def mart_rows(db, period=PERIOD) -> dict[str, list[tuple]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            mart: con.execute(
                f"SELECT * FROM marts.{mart} WHERE period_id = ? ORDER BY ALL", [period]
            ).fetchall()
            for mart in MARTS
        }


@pytest.fixture(scope="module")
def edges(tmp_path_factory):
    warehouse = Warehouse(tmp_path_factory.mktemp("edges"))
    warehouse.land("portal", "registry.jsonl", REGISTRY + PORTALS)
    warehouse.land("dossier", "a.jsonl", DOSSIERS[:8])
    warehouse.land("dossier", "b.csv", DOSSIERS[8:])
    warehouse.land("question", "q.jsonl", QUESTIONS)
    outcome = run_period(defs, PERIOD, cutoff=CUTOFF, resources=warehouse.resources())
    assert outcome.exit_code == 0, outcome.summary()
    return warehouse


def appendix_row(warehouse, mart, portal_id, columns):
    found = warehouse.query(
        f"SELECT {', '.join(columns)} FROM marts.{mart} WHERE period_id = ? AND portal_id = ?",
        [PERIOD, portal_id],
    )
    return dict(zip(columns, found[0], strict=True)) if found else None


def test_dossier_windows_are_drawn_on_local_dates(edges):
    columns = ["total", "carried_over", "received_counter", "received_online", "resolved"]
    columns += ["resolved_l4_early", "resolved_l4_late", "withdrawn", "in_progress"]
    assert appendix_row(edges, "appendix_03_dossiers", "so-tttt", columns) == {
        "total": 7,  # b1 b3 b5 b6 b7 b8 b10
        "carried_over": 1,  # b5
        "received_counter": 1,  # b6
        "received_online": 5,
        "resolved": 2,  # b7 early, b10 once
        "resolved_l4_early": 2,
        "resolved_l4_late": 0,
        "withdrawn": 0,
        "in_progress": 5,
    }


def test_question_status_is_the_one_in_force_at_the_cutoff(edges):
    columns = ["total", "answered", "waiting_answer", "waiting_acceptance", "deleted"]
    row = appendix_row(edges, "appendix_02_questions", "huyen-bao-yen", columns)
    assert row == {
        "total": 3,
        "answered": 1,
        "waiting_answer": 1,
        "waiting_acceptance": 0,
        "deleted": 1,
    }


def test_names_are_those_in_force_at_the_period_end_and_history_is_kept(edges):
    row = appendix_row(edges, "appendix_02_questions", "ban-tuyen-giao", ["portal_name"])
    assert row == {"portal_name": "Ban Tuyên giáo và Dân vận Tỉnh ủy"}
    history = edges.query(
        "SELECT name, is_current FROM marts.dim_portal WHERE portal_id = 'ban-tuyen-giao'"
        " ORDER BY valid_from"
    )
    assert history == [
        ("Ban Tuyên giáo Tỉnh ủy", False),
        ("Ban Tuyên giáo và Dân vận Tỉnh ủy", True),
    ]


def test_what_cannot_be_followed_is_reported(edges):
    # the bundled rubric lists the sample province's agencies, which this registry lacks: those
    # are findings of their own (tests/test_reference.py), not of the replay
    findings = edges.query(
        "SELECT finding, portal_id, count, example_ids FROM marts.data_quality_findings"
        " WHERE period_id = ? AND finding != 'reference_unknown_portal' ORDER BY finding",
        [PERIOD],
    )
    assert findings == [
        ("duplicate_resolution", "so-tttt", 1, ["b10.resolved-2"]),
        ("event_before_portal_registered", "xa-moi", 1, ["b11.r"]),
        ("orphan_question_event", "huyen-bao-yen", 1, ["q4.a"]),
        ("orphan_resolution", "so-tttt", 1, ["b9.resolved"]),
    ]


def test_more_events_incrementally_equal_a_rebuild_and_other_periods_stay(edges, tmp_path):
    with environment(DBT_DEBUG_LOG):
        other = run_period(defs, "2023-Q3", resources=edges.resources())
    assert other.exit_code == 0, other.summary()
    # the period is not a dbt var, and is read only when its model runs: another period's build
    # uses the project as this process parsed it, and parses nothing
    names = {event["name"] for event in edges.dbt_invocations()[-1]}
    assert "CommandCompleted" in names and not any("Pars" in name for name in names)
    q3_before = mart_rows(edges.settings.db, "2023-Q3")
    # later deliveries: the orphan's receipt arrives, a dossier is withdrawn, a new quarter
    edges.land(
        "dossier",
        "c.jsonl",
        [
            received("b9", "2023-04-20T09:00:00+07:00", "2023-04-28T17:00:00+07:00"),
            closed("b6", "2023-02-01T09:00:00+07:00", kind="withdrawn"),
            received("c1", "2024-01-03T09:00:00+07:00", "2024-01-10T17:00:00+07:00"),
        ],
    )
    # the first posts, after a first build that had none
    edges.land("post", "p.jsonl", [post("p1", "P1", "2023-05-02"), post("p2", "P2", "2023-10-02")])
    # the orphan's submission arrives, and a new question
    edges.land(
        "question",
        "q-late.jsonl",
        [
            question("q4.s", "submitted", "2023-05-30T08:00:00", "q4"),
            question("q7.s", "submitted", "2023-09-01T08:00:00", "q7"),
        ],
    )
    incremental = run_period(defs, PERIOD, cutoff=CUTOFF, resources=edges.resources())
    assert incremental.exit_code == 0, incremental.summary()
    after = mart_rows(edges.settings.db)
    so_tttt = appendix_row(edges, "appendix_03_dossiers", "so-tttt", ["total", "withdrawn"])
    assert so_tttt == {"total": 8, "withdrawn": 1}  # b9 now followed from its receipt
    columns = ["total", "waiting_answer", "waiting_acceptance"]
    bao_yen = appendix_row(edges, "appendix_02_questions", "huyen-bao-yen", columns)
    # q4 now followed from its submission (accepted since 01/06), q7 waits for acceptance
    assert bao_yen == {"total": 5, "waiting_answer": 2, "waiting_acceptance": 1}
    assert mart_rows(edges.settings.db, "2023-Q3") == q3_before  # only 2023-9M was replaced

    # named as the warehouse, so that its first build starts from the project's parse state
    rebuilt = tmp_path / "rebuilt" / edges.settings.db.name
    rebuilt.parent.mkdir()
    shutil.copy(edges.settings.db, rebuilt)
    with duckdb.connect(str(rebuilt)) as con:
        for schema in ("staging", "intermediate", "marts"):
            con.execute(f"DROP SCHEMA {schema} CASCADE")
    full = run_period(defs, PERIOD, cutoff=CUTOFF, resources=edges.resources(rebuilt))
    assert full.exit_code == 0, full.summary()
    assert mart_rows(rebuilt) == after
    for replay in ("int_dossier_lifecycle", "int_post_publications", "int_question_status"):
        rows = f"SELECT * EXCLUDE (last_ingested_at) FROM intermediate.{replay}"
        with duckdb.connect(str(rebuilt), read_only=True) as con:
            from_scratch = sorted(con.execute(rows).fetchall())
        assert sorted(edges.query(rows)) == from_scratch, replay
    posts = "SELECT post_id, published_on::VARCHAR FROM intermediate.int_post_publications"
    assert sorted(edges.query(posts)) == [("P1", "2023-05-02"), ("P2", "2023-10-02")]


def test_the_replays_take_what_their_last_build_had_not_seen(tmp_path):
    """The incremental replays (dossiers, posts, questions) start from the latest ingest their
    table has seen: first built on no event, they take the first ones when they come; an event
    that comes late and happened first (a post's earlier publication, a question's submission)
    replays what it belongs to; a table built by a version without that column is replayed
    whole, once."""
    warehouse = Warehouse(tmp_path)
    warehouse.land("portal", "registry.jsonl", REGISTRY)
    warehouse.ingest()
    replays = [
        "--select",
        "+int_dossier_lifecycle",
        "+int_post_publications",
        "+int_question_status",
    ]

    def build() -> None:
        warehouse.ingest()
        run_dbt(warehouse.settings.db, "run", *replays, target=tmp_path / "t")

    def replayed() -> tuple[list, list, list]:
        return (
            sorted(warehouse.query("SELECT dossier_id, received_on::VARCHAR, closed_by"
                                   " FROM intermediate.int_dossier_lifecycle")),
            sorted(warehouse.query("SELECT post_id, published_on::VARCHAR"
                                   " FROM intermediate.int_post_publications")),
            sorted(warehouse.query("SELECT question_id, submitted_on::VARCHAR, status"
                                   " FROM intermediate.int_question_status")),
        )  # fmt: skip

    build()
    assert replayed() == ([], [], [])
    warehouse.land(
        "dossier",
        "d.jsonl",
        [received("d1", "2023-03-01T09:00:00+07:00", "2023-03-06T17:00:00+07:00")],
    )
    warehouse.land(
        "post", "p.jsonl", [post("p1", "P1", "2023-05-02"), post("p2", "P2", "2023-06-01")]
    )
    # q1's acceptance comes before its submission: followed only from the submission
    warehouse.land(
        "question",
        "q.jsonl",
        [
            question("q1.a", "accepted", "2023-06-02T08:00:00", "q1"),
            question("q2.s", "submitted", "2023-06-01T08:00:00", "q2"),
        ],
    )
    build()
    assert replayed() == (
        [("d1", "2023-03-01", None)],
        [("P1", "2023-05-02"), ("P2", "2023-06-01")],
        [("q2", "2023-06-01", "waiting_acceptance")],
    )

    # rows no new event touches are not replayed: marked here, they keep the mark
    with duckdb.connect(str(warehouse.settings.db)) as con:
        con.execute(
            "UPDATE intermediate.int_post_publications SET kind = 'kept' WHERE post_id = 'P1'"
        )
        con.execute(
            "UPDATE intermediate.int_question_status SET deletion_reason = 'kept'"
            " WHERE question_id = 'q2'"
        )
    # P2 was first published in April, delivered now; d1 is resolved; q1's submission comes
    warehouse.land("post", "p2.jsonl", [post("p2-first", "P2", "2023-04-03")])
    warehouse.land("dossier", "d2.jsonl", [closed("d1", "2023-03-02T10:00:00+07:00")])
    warehouse.land(
        "question", "q2.jsonl", [question("q1.s", "submitted", "2023-06-01T09:00:00", "q1")]
    )
    build()
    assert replayed() == (
        [("d1", "2023-03-01", "resolved")],
        [("P1", "2023-05-02"), ("P2", "2023-04-03")],
        [
            ("q1", "2023-06-01", "waiting_acceptance"),
            ("q1", "2023-06-01", "waiting_answer"),
            ("q2", "2023-06-01", "waiting_acceptance"),
        ],
    )
    kept = warehouse.query(
        "SELECT post_id FROM intermediate.int_post_publications WHERE kind = 'kept'"
        " UNION ALL SELECT question_id FROM intermediate.int_question_status"
        " WHERE deletion_reason = 'kept'"
    )
    assert sorted(kept) == [("P1",), ("q2",)]

    # as a warehouse built before the posts' replay kept the column
    with duckdb.connect(str(warehouse.settings.db)) as con:
        con.execute("ALTER TABLE intermediate.int_post_publications DROP COLUMN last_ingested_at")
    warehouse.land("post", "p3.jsonl", [post("p3", "P3", "2023-07-01")])
    build()
    assert replayed()[1] == [("P1", "2023-05-02"), ("P2", "2023-04-03"), ("P3", "2023-07-01")]
    # a later publication of P2, delivered last: replayed with its earlier ones, P2 stays April's
    warehouse.land("post", "p4.jsonl", [post("p2-again", "P2", "2023-08-01")])
    build()
    assert replayed()[1] == [("P1", "2023-05-02"), ("P2", "2023-04-03"), ("P3", "2023-07-01")]


def test_a_key_twice_fails_its_uniqueness_test(edges, tmp_path):
    """`unique_combination` (models/macros/tests.sql, by the key's hash first) finds every
    repeated key, one with a null part included, and nothing where the keys are unique."""
    db = tmp_path / edges.settings.db.name  # a copy: the module's warehouse stays as built
    shutil.copy(edges.settings.db, db)
    with duckdb.connect(str(db)) as con:
        for table in ("intermediate.int_question_status", "marts.fct_dossiers_period"):
            con.execute(f"INSERT INTO {table} SELECT * FROM {table} LIMIT 1")
        con.execute(  # twice, with no event id: one key repeated, its null part included
            "INSERT INTO intermediate.int_question_status SELECT q.* REPLACE (NULL AS event_id)"
            " FROM (FROM intermediate.int_question_status LIMIT 1) AS q, range(2)"
        )
    selected = ["int_question_status", "fct_dossiers_period", "appendix_03_dossiers"]
    invocation, printed = invoke_dbt(db, "test", "--select", *selected, target=tmp_path / "t")
    assert not invocation.success
    found = re.finditer(r" (PASS|FAIL \d+) (unique_combination_\w+) ", printed)
    verdicts = {m[2]: m[1] for m in found}
    assert verdicts == {
        "unique_combination_int_question_status_question_id__event_id": "FAIL 2",
        "unique_combination_fct_dossiers_period_period_id__period_window__portal_id": "FAIL 1",
        "unique_combination_appendix_03_dossiers_period_id__portal_id": "PASS",
    }


def test_dbt_unit_tests_pass(tmp_path):
    """The models' unit tests (models/*/_*.yml), which production runs leave out."""
    db = tmp_path / "warehouse.duckdb"
    con = connect(db, "Asia/Ho_Chi_Minh")
    ensure_schema(con)  # the raw tables the models' inputs are read from
    con.close()
    printed = run_dbt(db, "build", "--select", "+test_type:unit", target=tmp_path / "t")
    for name in UNIT_TESTS:
        assert f"PASS {name}" in printed, name


UNIT_TESTS = (
    "int_dossier_lifecycle::dossier_replay_follows_occurrence_not_arrival",
    "int_question_status::question_status_holds_until_the_next_event",
    "int_report_periods::report_period_ends_at_the_cutoff",
    "fct_dossiers_period::dossier_counts_in_a_window",
    "fct_questions_period::question_status_at_the_end_of_the_window",
    "dim_portal::portal_renamed_mid_year_keeps_its_history",
)

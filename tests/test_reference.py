"""Reference data a deployment owns (ingest/reference.py): a folder of the province's own files
replaces the bundled seeds of the same name, is checked before anything is built, and the
published manifest says which files were used.

The period run is real: hand-made events of "another province" (its own registry ids, listed
agencies, dossier tiers, rubric parameters, holidays and one post category of its own) landed,
ingested and run through the Dagster job for 2024-Q1."""

import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from ingest.contract import STREAMS, post_categories, streams
from ingest.reference import (
    BUNDLED,
    FILES,
    REPORT_OWN,
    ReferenceDataError,
    claim_dbt_dir,
    dbt_dir,
    load_reference,
    prepare_seeds,
)
from ingest.settings import Settings
from orchestration.cli import main
from orchestration.definitions import defs
from orchestration.resources import WarehouseResource
from orchestration.runs import run_period
from tests.conftest import Warehouse, dossier

PERIOD = "2024-Q1"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def bundled(name: str) -> str:
    return (BUNDLED / name).read_text(encoding="utf-8")


def problems(folder: Path) -> list[str]:
    with pytest.raises(ReferenceDataError) as caught:
        load_reference(folder)
    return caught.value.problems


# ---------------------------------------------------------------------------------------------
# The declaration: once, and the same as the dbt seeds'


def test_the_bundled_files_pass_their_own_rules():
    reference = load_reference(None)
    assert {f.origin for f in reference.files.values()} == {"bundled"}
    assert sorted(reference.files) == sorted(f.name for f in FILES)
    assert reference.values("post_categories", "category") == post_categories()


def test_the_declaration_agrees_with_the_seeds_properties_and_files():
    """ingest/reference.py declares each file; models/seeds/_seeds.yml must say the same types,
    keys and allowed values, and the bundled files must have exactly the declared columns."""
    properties = yaml.safe_load((BUNDLED / "_seeds.yml").read_text(encoding="utf-8"))
    seeds = {s["name"]: s for s in properties["seeds"]}
    on_disk = {p.stem for p in BUNDLED.glob("*.csv")}
    # a new seed is declared in ingest/reference.py: FILES (a province's) or REPORT_OWN
    assert on_disk == {f.name for f in FILES} | set(REPORT_OWN)
    for spec in FILES:
        seed = seeds[spec.name]
        types = seed.get("config", {}).get("column_types", {})
        assert types == {c.name: c.type for c in spec.columns}, spec.name
        header = (BUNDLED / spec.file_name).read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == [c.name for c in spec.columns], spec.name
        keys, allowed = set(), {}
        for test in seed.get("data_tests", []):
            if isinstance(test, dict) and "unique_combination" in test:
                keys.add(tuple(test["unique_combination"]["arguments"]["columns"]))
        for column in seed.get("columns", []):
            for test in column.get("data_tests", []):
                if test == "unique":
                    keys.add((column["name"],))
                elif isinstance(test, dict) and "accepted_values" in test:
                    values = test["accepted_values"]["arguments"]["values"]
                    allowed[column["name"]] = tuple(values)
                elif test == "not_null":
                    assert spec.column(column["name"]).required, (spec.name, column["name"])
        assert keys == {spec.key}, spec.name
        for name, values in allowed.items():
            assert set(spec.column(name).values) == set(values), (spec.name, name)


# ---------------------------------------------------------------------------------------------
# Checking a folder: file, line and rule


TIERS_HEADER = "effective_from,min_on_time_rate,score,label_vi\n"


@pytest.mark.parametrize(
    "name, text, expected",
    [
        (
            "rubric_dossier_tiers.csv",
            TIERS_HEADER + "2024-01-01,0.9,30,từ 90%\n2024-01-01,abc,20,dưới 90%\n",
            "rubric_dossier_tiers.csv line 3: min_on_time_rate 'abc' is not a number",
        ),
        (
            "rubric_dossier_tiers.csv",
            TIERS_HEADER + "2024-01-01,1.5,30,x\n2024-01-01,0,20,y\n",
            "rubric_dossier_tiers.csv line 2: min_on_time_rate '1.5' is above 1",
        ),
        (
            "rubric_dossier_tiers.csv",
            TIERS_HEADER + "2024-01-01,0.9,30,x\n2024-01-01,0.5,20,y\n",
            "rubric_dossier_tiers.csv line 2: the tiers from 2024-01-01 have no tier with"
            " min_on_time_rate 0",
        ),
        (
            "rubric_listed_agencies.csv",
            "appendix,portal_id,listed_from\n02,so-a,2024-01-01\n2,so-b,2024-01-01\n",
            "rubric_listed_agencies.csv line 3: appendix '2' is not one of 02, 03",
        ),
        (
            "rubric_listed_agencies.csv",
            "appendix,portal_id,listed_from\n02,so-a,2024-13-01\n",
            "rubric_listed_agencies.csv line 2: listed_from '2024-13-01' is not a date"
            " (YYYY-MM-DD)",
        ),
        (
            "rubric_listed_agencies.csv",
            "appendix,portal_id,listed_from\n02,so-a,2024-01-01\n03,so-a,2024-01-01\n"
            "02,so-a,2024-01-01\n",
            "rubric_listed_agencies.csv line 4: appendix '02', portal_id 'so-a', listed_from"
            " '2024-01-01' repeats line 2",
        ),
        (
            "rubric_listed_agencies.csv",
            "appendix,portal,listed_from\n02,so-a,2024-01-01\n",
            "rubric_listed_agencies.csv line 1: missing column portal_id; unknown column portal;"
            " expected the columns appendix,portal_id,listed_from",
        ),
        (
            "rubric_listed_agencies.csv",
            "appendix,portal_id,listed_from\n02,,2024-01-01\n",
            "rubric_listed_agencies.csv line 2: portal_id is empty",
        ),
        (
            "rubric_listed_agencies.csv",
            "appendix,portal_id,listed_from\n02,so-a\n",
            "rubric_listed_agencies.csv line 2: 2 values for 3 columns",
        ),
        (
            "public_holidays.csv",
            "day,is_working_day,name_vi\n2024-03-05,no,Ngày hội\n",
            "public_holidays.csv line 2: is_working_day 'no' is not true or false",
        ),
        (
            "commune_units.csv",
            "effective_from,commune_units,note_vi\n2020-01-01,1.5,\n",
            "commune_units.csv line 2: commune_units '1.5' is not a whole number",
        ),
        (
            "rubric_mandatory_categories.csv",
            "effective_from,bloc,category\n2020-01-01,government,tin_tuc\n",
            "rubric_mandatory_categories.csv line 2: category 'tin_tuc' is not a category of"
            " post_categories.csv",
        ),
        (
            "portal_groups.csv",
            "portal_group,label_vi,reporting_group,display_order,effective_from,effective_to\n"
            "province,Tỉnh,province,1,2000-01-01,\nthon,Thôn,lang,2,2000-01-01,\n",
            "portal_groups.csv line 3: reporting_group 'lang' is not a portal_group of"
            " portal_groups.csv",
        ),
        (
            "rubric_parameters.csv",
            "effective_from,parameter,bloc,value,description\n2020-01-01,qa_score_bas,all,15,\n",
            "rubric_parameters.csv line 2: parameter 'qa_score_bas' is not one of the rubric's"
            " parameters",
        ),
        (
            "rubric_parameters.csv",
            "effective_from,parameter,bloc,value,description\n2020-01-01,qa_score_base,all,15,\n",
            "rubric_parameters.csv: parameter 'information_scale' has no value for bloc"
            " government or party",
        ),
        (
            "summary_metrics.csv",
            bundled("summary_metrics.csv"),
            "summary_metrics.csv: summary_metrics.csv is the report's own list",
        ),
        (
            "rubric_tiers.csv",
            TIERS_HEADER,
            "rubric_tiers.csv: not a reference file; expected any of post_categories.csv,",
        ),
        (
            "post_categories.csv",
            "category,label_vi\n",
            "post_categories.csv: no rows; at least 1 needed",
        ),
    ],
)
def test_a_malformed_file_is_named_with_its_line_and_rule(tmp_path, name, text, expected):
    folder = tmp_path / "reference"
    write(folder, name, text)
    found = problems(folder)
    assert any(expected in problem for problem in found), found
    assert all(problem.startswith(f"{folder}/") for problem in found), found


def test_a_missing_folder_and_a_file_that_is_not_utf8(tmp_path):
    assert problems(tmp_path / "nowhere") == [
        f"reference folder {tmp_path / 'nowhere'} does not exist"
    ]
    folder = tmp_path / "reference"
    folder.mkdir()
    (folder / "post_categories.csv").write_bytes(
        b"category,label_vi\nnews,Tin t\xf9c\n"  # Windows-1258, as an old Excel saves it
    )
    assert problems(folder)[0].startswith(f"{folder / 'post_categories.csv'}: not UTF-8 text")


def test_a_spreadsheets_csv_is_read_and_handed_to_dbt_as_checked(tmp_path):
    """A BOM, CRLF line ends, TRUE in capitals, columns in another order and a blank last line
    are what a spreadsheet writes: accepted, and dbt gets the file plainly written."""
    folder = tmp_path / "reference"
    (folder).mkdir()
    (folder / "public_holidays.csv").write_bytes(
        "\ufeffname_vi,day,is_working_day\r\nNgày hội,2024-03-05,FALSE\r\n,2024-03-09,TRUE\r\n\r\n"
        .encode()
    )  # fmt: skip
    reference = load_reference(folder)
    assert reference.from_deployment == ["public_holidays.csv"]
    seeds = prepare_seeds(reference, tmp_path / "seeds")
    assert (seeds / "public_holidays.csv").read_text(encoding="utf-8") == (
        "day,is_working_day,name_vi\n2024-03-05,FALSE,Ngày hội\n2024-03-09,TRUE,\n"
    )
    # every other seed, the report's own and the seeds' properties, as bundled
    assert {p.name for p in seeds.iterdir()} == {p.name for p in BUNDLED.iterdir()}
    assert (seeds / "_seeds.yml").read_bytes() == (BUNDLED / "_seeds.yml").read_bytes()
    # prepared again: what did not change is not rewritten, what is gone is removed
    (seeds / "stale.csv").write_text("x\n")
    before = (seeds / "rubric_parameters.csv").stat().st_mtime_ns
    prepare_seeds(load_reference(None), seeds)
    assert (seeds / "rubric_parameters.csv").stat().st_mtime_ns == before
    assert not (seeds / "stale.csv").exists()
    assert (seeds / "public_holidays.csv").read_bytes() == (
        BUNDLED / "public_holidays.csv"
    ).read_bytes()


def test_ingest_checks_records_against_the_runs_own_reference_data(tmp_path):
    """The contract's post categories and portal groups are the run's: no state kept between
    runs with different folders in one process."""
    folder = tmp_path / "reference"
    write(
        folder,
        "post_categories.csv",
        bundled("post_categories.csv") + "tin_dia_phuong,Tin địa phương\n",
    )
    own = load_reference(folder)

    def categories(contract):
        return next(f for f in contract["post"].fields if f.name == "category").values

    assert "tin_dia_phuong" in categories(streams(own))
    assert "tin_dia_phuong" not in categories(STREAMS)
    assert streams(load_reference(None)) is STREAMS

    def post(n: int) -> dict:
        return {
            "event_id": f"p{n}", "event_type": "published",
            "occurred_at": "2024-01-05T09:00:00+07:00", "portal_id": "so-tttt",
            "post_id": f"P{n}", "kind": "article", "category": "tin_dia_phuong",
        }  # fmt: skip

    with_folder = Warehouse(tmp_path / "a")
    with_folder.settings = Settings.from_env(
        landing=with_folder.landing, db=tmp_path / "a" / "w.duckdb", reference=folder
    )
    without = Warehouse(tmp_path / "b")
    for n, warehouse in enumerate((with_folder, without, with_folder)):
        warehouse.register_portals()
        warehouse.land("post", f"posts-{n}.jsonl", [post(n)])
        warehouse.ingest()
    assert with_folder.scalar("SELECT count(*) FROM raw.post_events") == 2
    assert without.scalar("SELECT count(*) FROM raw.post_events") == 0
    assert "category 'tin_dia_phuong' is not one of" in without.quarantine("post")[0][2]


# ---------------------------------------------------------------------------------------------
# Another province, through the real job


def registered(portal_id, name, group, bloc, scored=True):
    return {
        "event_id": f"reg-{portal_id}", "event_type": "registered",
        "occurred_at": "2021-01-01T08:00:00+07:00", "portal_id": portal_id, "name": name,
        "portal_group": group, "bloc": bloc, "scored": scored,
    }  # fmt: skip


PROVINCE = [
    registered("yb-tinh", "Cổng TTĐT tỉnh Yên Bái", "province", "government", scored=False),
    registered(
        "yb-so-tttt", "Sở Thông tin và Truyền thông tỉnh Yên Bái", "department", "government"
    ),
    registered("yb-so-tu-phap", "Sở Tư pháp tỉnh Yên Bái", "department", "government"),
    registered("yb-ban-dan-van", "Ban Dân vận Tỉnh ủy Yên Bái", "party_mass", "party"),
    registered("yb-huyen-luc-yen", "Huyện Lục Yên", "district", "government"),
]

# The province's own files: everything else stays bundled.
LISTED = """appendix,portal_id,listed_from
02,yb-so-tu-phap,2021-01-01
02,yb-ban-dan-van,2021-01-01
03,yb-so-tu-phap,2021-01-01
03,so-chua-dang-ky,2024-01-01
"""
TIERS = """effective_from,min_on_time_rate,score,label_vi
2021-01-01,0.90,30,từ 90% trở lên (30 điểm)
2021-01-01,0.70,22,từ 70% đến dưới 90% (22 điểm)
2021-01-01,0,10,dưới 70% (10 điểm)
"""
# a provincial day off on Tuesday 05/03/2024 moves the Q&A deadlines by a day
HOLIDAYS = """day,is_working_day,name_vi
2024-02-08,false,Tết Nguyên đán Giáp Thìn
2024-02-09,false,Tết Nguyên đán Giáp Thìn
2024-02-12,false,Tết Nguyên đán Giáp Thìn
2024-02-13,false,Tết Nguyên đán Giáp Thìn
2024-02-14,false,Tết Nguyên đán Giáp Thìn
2024-03-05,false,Ngày hội văn hóa các dân tộc tỉnh
"""


def province_parameters() -> str:
    """The bundled rubric with the province's own scores for an idle agency."""
    lines = bundled("rubric_parameters.csv").splitlines()
    own = {"qa_score_none": "12", "dossier_score_none": "30"}
    out = [lines[0]]
    for line in lines[1:]:
        start, parameter, bloc, _, description = line.split(",", 4)
        value = own.get(parameter, line.split(",")[3])
        out.append(",".join([start, parameter, bloc, value, description]))
    return "\n".join(out) + "\n"


def province_reference(folder: Path) -> Path:
    write(folder, "rubric_listed_agencies.csv", LISTED)
    write(folder, "rubric_dossier_tiers.csv", TIERS)
    write(folder, "public_holidays.csv", HOLIDAYS)
    write(folder, "rubric_parameters.csv", province_parameters())
    write(
        folder, "post_categories.csv",
        bundled("post_categories.csv") + "tin_dia_phuong,Tin hoạt động địa phương\n",
    )  # fmt: skip
    return folder


def question(question_id, portal_id, submitted, accepted, answered):
    return [
        {
            "event_id": f"{question_id}.{kind}",
            "event_type": kind,
            "occurred_at": f"{day}T09:00:00+07:00",
            "portal_id": portal_id,
            "question_id": question_id,
        }  # fmt: skip
        for kind, day in (("submitted", submitted), ("accepted", accepted), ("answered", answered))
    ]


def dossiers(portal_id, early, late):
    events = []
    for i in range(early + late):
        dossier_id = f"{portal_id}-{i}"
        common = {"portal_id": portal_id, "dossier_id": dossier_id}
        events.append(
            dossier(
                f"{dossier_id}.r", occurred_at="2024-01-03T09:00:00+07:00",
                due_at="2024-01-20T17:00:00+07:00", **common,
            )
        )  # fmt: skip
        day = "2024-01-10" if i < early else "2024-01-25"
        events.append(
            dossier(f"{dossier_id}.x", "resolved", occurred_at=f"{day}T10:00:00+07:00", **common)
        )
    return events


QUESTIONS = [
    # sent Monday 04/03, accepted Thursday 07/03: the 2nd working day with the province's day off
    # on 05/03 (in time), the 3rd without it (late)
    *question("q1", "yb-so-tttt", "2024-03-04", "2024-03-07", "2024-03-08"),
]
DOSSIERS = dossiers("yb-so-tttt", 9, 1) + dossiers("yb-huyen-luc-yen", 4, 1)  # 90% and 80%
POSTS = [
    {
        "event_id": "yb-p1", "event_type": "published", "occurred_at": "2024-01-05T09:00:00+07:00",
        "portal_id": "yb-so-tttt", "post_id": "YB-1", "kind": "article",
        "category": "tin_dia_phuong",
    }
]  # fmt: skip


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    root = tmp_path_factory.mktemp("province")
    warehouse = Warehouse(root)
    warehouse.reference = province_reference(root / "reference")
    warehouse.land("portal", "registry.jsonl", PROVINCE)
    warehouse.land("question", "q.jsonl", QUESTIONS)
    warehouse.land("dossier", "d.jsonl", DOSSIERS)
    warehouse.land("post", "posts.jsonl", POSTS)
    outcome = run_period(defs, PERIOD, resources=warehouse.resources(reference=warehouse.reference))
    assert outcome.exit_code == 0, outcome.summary()
    warehouse.outcome = outcome
    yield warehouse
    shutil.rmtree(dbt_dir(warehouse.settings.db), ignore_errors=True)  # in the project's target/


def rows(warehouse, mart, columns):
    found = warehouse.query(
        f"SELECT portal_id, {', '.join(columns)} FROM marts.{mart} WHERE period_id = ?"
        " ORDER BY display_order",
        [PERIOD],
    )
    return {row[0]: row[1:] for row in found}


def test_another_province_lists_its_idle_agencies(province):
    # its own post category was accepted by ingest, nothing set aside
    assert province.scalar("SELECT count(*) FROM raw.quarantine") == 0
    assert province.scalar("SELECT count(*) FROM raw.post_events") == 1
    q = rows(
        province, "appendix_02_questions", ["total", "answered", "late", "score", "score_rule"]
    )
    assert q == {
        # in time by the province's calendar: the base score and the on-time bonus
        "yb-so-tttt": (1, 1, 0, 17.0, "on_time"),
        # listed by the province's rubric, idle: zeros and its score for "none"
        "yb-so-tu-phap": (0, 0, 0, 12.0, "none"),
        "yb-ban-dan-van": (0, 0, 0, 12.0, "none"),
    }
    d = rows(province, "appendix_03_dossiers", ["total", "resolved", "on_time_rate", "score"])
    assert d == {
        "yb-so-tttt": (10, 10, 0.9, 30.0),  # the province's top tier
        "yb-huyen-luc-yen": (5, 5, 0.8, 22.0),
        "yb-so-tu-phap": (0, 0, None, 30.0),
    }
    notes = dict(
        province.query(
            "SELECT portal_id, note FROM marts.appendix_03_dossiers WHERE period_id = ?", [PERIOD]
        )
    )
    assert "từ 70% đến dưới 90% (22 điểm)" in notes["yb-huyen-luc-yen"]


def test_a_listed_portal_the_registry_does_not_know_is_a_finding(province):
    findings = province.query(
        "SELECT stream, portal_id, count, example_ids FROM marts.data_quality_findings"
        " WHERE period_id = ? AND finding = 'reference_unknown_portal'",
        [PERIOD],
    )
    assert findings == [
        (
            "portal",
            "so-chua-dang-ky",
            1,
            ["rubric_listed_agencies.csv: appendix 03 from 2024-01-01"],
        )
    ]
    listed = province.query("SELECT portal_id FROM marts.appendix_03_dossiers")
    assert ("so-chua-dang-ky",) not in listed


def test_the_published_manifest_lists_the_reference_files(province):
    manifest = json.loads(
        (Path(province.outcome.published) / "manifest.json").read_text(encoding="utf-8")
    )
    files = {entry["name"]: entry for entry in manifest["reference_files"]}
    assert sorted(files) == sorted(f.file_name for f in FILES)
    own = {
        "rubric_listed_agencies.csv", "rubric_dossier_tiers.csv", "public_holidays.csv",
        "rubric_parameters.csv", "post_categories.csv",
    }  # fmt: skip
    for name, entry in files.items():
        folder = province.reference if name in own else BUNDLED
        assert entry["origin"] == ("deployment" if name in own else "bundled"), name
        assert Path(entry["path"]) == folder / name
        assert entry["sha256"] == hashlib.sha256((folder / name).read_bytes()).hexdigest()
    assert files["rubric_listed_agencies.csv"]["rows"] == 4


def test_dbt_keeps_the_provinces_seeds_and_parse_state_at_a_stable_path(province):
    prepared = dbt_dir(province.settings.db)
    assert (prepared / "seeds" / "rubric_dossier_tiers.csv").read_text(encoding="utf-8") == TIERS
    assert (prepared / "target" / "partial_parse.msgpack").is_file()
    assert province.query(
        "SELECT min_on_time_rate, score FROM reference.rubric_dossier_tiers ORDER BY 1"
    ) == [(0.0, 10.0), (0.7, 22.0), (0.9, 30.0)]


# ---------------------------------------------------------------------------------------------
# A malformed file stops everything before it starts


def test_a_malformed_reference_file_stops_the_run_before_anything_is_built(tmp_path, capsys):
    warehouse = Warehouse(tmp_path)
    warehouse.land("portal", "registry.jsonl", PROVINCE)
    warehouse.land("dossier", "d.jsonl", DOSSIERS)
    folder = province_reference(tmp_path / "reference")
    write(folder, "rubric_dossier_tiers.csv", TIERS.replace("0.70,22", "abc,22"))
    publish = tmp_path / "publish"
    code = main(
        ["run", "--period", PERIOD, "--landing", str(warehouse.landing),
         "--db", str(warehouse.settings.db), "--publish", str(publish),
         "--reference", str(folder)]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == (
        f"error: {folder}/rubric_dossier_tiers.csv line 3: min_on_time_rate 'abc' is not a number\n"
    )
    assert "Traceback" not in captured.out + captured.err
    assert not warehouse.settings.db.exists()  # nothing ingested, nothing built
    assert not publish.exists()

    # ingest says the same and ingests nothing
    code = main(
        ["ingest", "--landing", str(warehouse.landing), "--db", str(warehouse.settings.db),
         "--reference", str(folder)]
    )  # fmt: skip
    assert code == 2
    assert "min_on_time_rate 'abc' is not a number" in capsys.readouterr().err
    assert not warehouse.settings.db.exists()


def test_the_job_fails_on_a_malformed_file_before_building(tmp_path, monkeypatch):
    """Through Dagster (the UI, the schedule): the ingest step fails with the problem, nothing
    downstream runs."""
    warehouse = Warehouse(tmp_path)
    warehouse.land("portal", "registry.jsonl", PROVINCE)
    folder = tmp_path / "reference"
    write(folder, "rubric_listed_agencies.csv", "appendix,portal_id,listed_from\n04,x,2024-01-01\n")
    outcome = run_period(defs, PERIOD, resources=warehouse.resources(reference=folder))
    assert outcome.exit_code == 1
    assert any(
        "rubric_listed_agencies.csv line 2: appendix '04' is not one of 02, 03" in e
        for e in outcome.errors
    ), outcome.errors
    assert outcome.published is None
    if warehouse.settings.db.exists():
        with duckdb.connect(str(warehouse.settings.db), read_only=True) as con:
            schemas = {
                s
                for (s,) in con.execute(
                    "SELECT schema_name FROM information_schema.schemata"
                ).fetchall()
            }
        assert "marts" not in schemas


def test_the_environment_names_the_folder_and_a_flag_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_WAREHOUSE_REFERENCE", str(tmp_path / "env"))
    assert Settings.from_env().reference == tmp_path / "env"
    assert Settings.from_env(reference=tmp_path / "flag").reference == tmp_path / "flag"
    assert WarehouseResource(reference="r").settings().reference == Path("r")
    monkeypatch.setenv("PORTAL_WAREHOUSE_REFERENCE", "")
    assert Settings.from_env().reference is None


def test_bundled_seeds_are_untouched(tmp_path):
    """Nothing a run does writes into the package's seeds."""
    copy = tmp_path / "seeds"
    shutil.copytree(BUNDLED, copy)
    prepare_seeds(load_reference(province_reference(tmp_path / "reference")), tmp_path / "out")
    for path in BUNDLED.iterdir():
        assert path.read_bytes() == (copy / path.name).read_bytes()


def test_the_dbt_folders_of_deleted_warehouses_are_removed_when_another_runs(tmp_path):
    gone, kept, running = (tmp_path / f"{name}.duckdb" for name in ("gone", "kept", "running"))
    for db in (gone, kept, running):
        db.touch()
    older = dbt_dir(tmp_path / "older.duckdb")  # made before folders were noted: left alone
    older.mkdir(parents=True)
    try:
        folders = [claim_dbt_dir(db) for db in (gone, kept)]
        assert [(f / "warehouse.path").read_text() for f in folders] == [str(gone), str(kept)]
        gone.unlink()
        assert folders[0].is_dir()  # nothing is removed until a run claims its own
        assert claim_dbt_dir(running) == dbt_dir(running)
        assert not folders[0].exists()
        assert folders[1].is_dir() and older.is_dir()
    finally:
        for db in (kept, running, tmp_path / "older.duckdb"):
            shutil.rmtree(dbt_dir(db), ignore_errors=True)

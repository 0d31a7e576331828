"""Reference data a deployment owns: the province's files that replace the bundled seeds.

`models/seeds/` holds the sample province's reference data. A deployment names a folder
(`PORTAL_WAREHOUSE_REFERENCE`, `--reference DIR`, the Dagster resource's `reference`) holding any
of the files below by the same name and columns; a file there replaces the bundled one as a
whole, the others stay bundled, and a file of any other name is an error.

`FILES` declares each file once: its columns with their types (the seeds' `column_types` in
`models/seeds/_seeds.yml` say the same; a test compares them), which ones may be empty, the
allowed values, the key that must be unique, and the references between files. `load_reference`
checks every file in force against it before anything is built, and says what is wrong in one
line per problem: `reference/rubric_dossier_tiers.csv line 3: min_on_time_rate 'abc' is not a
number`. `prepare_seeds` writes the files in force into one folder for dbt (`seed-paths` reads
`PORTAL_WAREHOUSE_SEED_PATH`); `record_used` and `used_for_period` keep which files a period's
marts were built from, for the published manifest.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "models"  # the dbt project
BUNDLED = PROJECT / "seeds"
SEED_PATH_VARIABLE = "PORTAL_WAREHOUSE_SEED_PATH"  # read by models/dbt_project.yml's seed-paths
REPORT_OWN = ("summary_metrics",)  # seeds that are the report's own, not a province's
MAX_PROBLEMS = 20  # a file with thousands of bad lines is told in this many

# A number as a spreadsheet writes it with a decimal point: no thousands separator, no '%'.
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_WHOLE = re.compile(r"[+-]?\d+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a dbt column type: varchar | date | double | integer | boolean
    required: bool = True  # False: may be left empty
    values: tuple[str, ...] | None = None  # allowed values
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class ReferenceFile:
    name: str  # the seed's name; the file is <name>.csv
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # unique across the file's rows
    min_rows: int = 1
    # (column, file, column): every value must be one of the other file's (in force) values
    references: tuple[tuple[str, str, str], ...] = ()

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


BLOCS = ("government", "party")

FILES: tuple[ReferenceFile, ...] = (
    ReferenceFile(
        "post_categories",
        (Column("category", "varchar"), Column("label_vi", "varchar")),
        key=("category",),
    ),
    ReferenceFile(
        "portal_groups",
        (
            Column("portal_group", "varchar"),
            Column("label_vi", "varchar"),
            Column("reporting_group", "varchar"),
            Column("display_order", "integer", minimum=1),
            Column("effective_from", "date"),
            Column("effective_to", "date", required=False),
        ),
        key=("portal_group",),
        references=(("reporting_group", "portal_groups", "portal_group"),),
    ),
    ReferenceFile(
        "commune_units",
        (
            Column("effective_from", "date"),
            Column("commune_units", "integer", minimum=1),
            Column("note_vi", "varchar", required=False),
        ),
        key=("effective_from",),
    ),
    ReferenceFile(
        "english_required_categories",
        (
            Column("effective_from", "date"),
            Column("category", "varchar"),
            Column("note_vi", "varchar", required=False),
        ),
        key=("effective_from", "category"),
        min_rows=0,
        references=(("category", "post_categories", "category"),),
    ),
    ReferenceFile(
        "rubric_parameters",
        (
            Column("effective_from", "date"),
            Column("parameter", "varchar"),  # its values: the bundled file's parameters
            Column("bloc", "varchar", values=(*BLOCS, "all")),
            Column("value", "double", minimum=0),
            Column("description", "varchar", required=False),
        ),
        key=("parameter", "bloc", "effective_from"),
    ),
    ReferenceFile(
        "rubric_mandatory_categories",
        (
            Column("effective_from", "date"),
            Column("bloc", "varchar", values=BLOCS),
            Column("category", "varchar"),
        ),
        key=("effective_from", "bloc", "category"),
        references=(("category", "post_categories", "category"),),
    ),
    ReferenceFile(
        "rubric_dossier_tiers",
        (
            Column("effective_from", "date"),
            Column("min_on_time_rate", "double", minimum=0, maximum=1),
            Column("score", "double", minimum=0),
            Column("label_vi", "varchar"),
        ),
        key=("effective_from", "min_on_time_rate"),
    ),
    ReferenceFile(
        "rubric_listed_agencies",
        (
            Column("appendix", "varchar", values=("02", "03")),
            Column("portal_id", "varchar"),
            Column("listed_from", "date"),
        ),
        key=("appendix", "portal_id", "listed_from"),
        min_rows=0,
    ),
    ReferenceFile(
        "public_holidays",
        (
            Column("day", "date"),
            Column("is_working_day", "boolean"),
            Column("name_vi", "varchar", required=False),
        ),
        key=("day",),
        min_rows=0,
    ),
    ReferenceFile(  # EVENTS.md 1.1, stream `channel`: what a channel may measure
        "channels",
        (
            Column("channel", "varchar"),
            Column("metric", "varchar"),
            Column("kind", "varchar", values=("flow", "level")),
            Column("unit", "varchar", values=("count", "rate")),
            Column("label_vi", "varchar"),
        ),
        key=("channel", "metric"),
    ),
    ReferenceFile(  # EVENTS.md: a question's `topic` code, and the field the report names
        "topics",
        (Column("topic", "varchar"), Column("label_vi", "varchar")),
        key=("topic",),
        min_rows=0,
    ),
)
BY_FILE_NAME = {f.file_name: f for f in FILES}


class ReferenceDataError(ValueError):
    """The reference data cannot be used; `problems` says why, one line each."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class FileInForce:
    """One reference file a run uses, where it came from, and its rows as text."""

    spec: ReferenceFile
    origin: str  # bundled | deployment
    path: Path
    sha256: str
    rows: tuple[dict[str, str | None], ...] = field(repr=False)

    def entry(self) -> dict:
        """What a published manifest says of it."""
        return {
            "name": self.spec.file_name,
            "origin": self.origin,
            "path": str(self.path),
            "sha256": self.sha256,
            "rows": len(self.rows),
        }


@dataclass(frozen=True)
class Reference:
    """The reference files in force: the deployment's where it has one, else the bundled."""

    folder: Path | None
    files: dict[str, FileInForce]  # by seed name

    def values(self, name: str, column: str) -> tuple[str, ...]:
        return tuple(row[column] for row in self.files[name].rows if row[column] is not None)

    @property
    def from_deployment(self) -> list[str]:
        return [f.spec.file_name for f in self.files.values() if f.origin == "deployment"]

    def manifest(self) -> list[dict]:
        """Every file in force, by name, as a published manifest lists them."""
        return sorted((f.entry() for f in self.files.values()), key=lambda e: e["name"])


def load_reference(folder: Path | str | None) -> Reference:
    """The reference data in force with `folder` (None: all bundled), checked as a whole.

    Raises ReferenceDataError naming the file, line and rule of each problem found."""
    problems: list[str] = []
    sources = {f.name: ("bundled", BUNDLED / f.file_name) for f in FILES}
    folder = Path(folder) if folder not in (None, "") else None
    if folder is not None:
        if not folder.is_dir():
            raise ReferenceDataError([f"reference folder {folder} does not exist"])
        for path in sorted(folder.iterdir()):
            if path.name.startswith("."):
                continue
            spec = BY_FILE_NAME.get(path.name)
            if spec is not None and path.is_file():
                sources[spec.name] = ("deployment", path)
            elif path.stem in REPORT_OWN:
                problems.append(
                    f"{path}: {path.name} is the report's own list, not a province's;"
                    " it cannot be replaced"
                )
            else:
                problems.append(
                    f"{path}: not a reference file; expected any of "
                    + ", ".join(f.file_name for f in FILES)
                )
    files = {}
    for spec in FILES:
        origin, path = sources[spec.name]
        rows, sha, found = _read(spec, path)
        problems += found
        files[spec.name] = FileInForce(spec, origin, path, sha, tuple(rows))
    reference = Reference(folder, files)
    if not problems:  # rules across files need each file readable first
        problems += _cross_file_problems(reference)
    if problems:
        raise ReferenceDataError(problems)
    return reference


def _read(spec: ReferenceFile, path: Path) -> tuple[list[dict], str, list[str]]:
    """The file's rows as text (None where empty), its sha256, and what is wrong with it."""
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8-sig")  # a spreadsheet's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError as e:
        return [], sha, [f"{path}: not UTF-8 text (byte {e.start})"]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return [], sha, [f"{path} line 1: empty file; expected the header {_names(spec)}"]
    declared = [c.name for c in spec.columns]
    missing = [c for c in declared if c not in header]
    unknown = [c for c in header if c not in declared]
    repeated = sorted({c for c in header if header.count(c) > 1})
    if missing or unknown or repeated:
        what = "; ".join(
            part
            for part in (
                missing and "missing column " + ", ".join(missing),
                unknown and "unknown column " + ", ".join(unknown),
                repeated and "repeated column " + ", ".join(repeated),
            )
            if part
        )
        return [], sha, [f"{path} line 1: {what}; expected the columns {_names(spec)}"]
    problems: list[str] = []
    rows: list[dict] = []
    lines: list[int] = []
    seen: dict[tuple, int] = {}
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue  # a blank line, as spreadsheets leave at the end
        if len(values) != len(header):
            problems.append(f"{path} line {line}: {len(values)} values for {len(header)} columns")
            continue
        row = {name: value or None for name, value in zip(header, values, strict=True)}
        problems += [f"{path} line {line}: {p}" for c in spec.columns if (p := _check(c, row))]
        key = tuple(row[c] for c in spec.key)
        if key in seen:
            shown = ", ".join(f"{c} {v!r}" for c, v in zip(spec.key, key, strict=True))
            problems.append(f"{path} line {line}: {shown} repeats line {seen[key]}")
        seen.setdefault(key, line)
        rows.append({name: row[name] for name in declared})
        lines.append(line)
    if len(rows) < spec.min_rows:
        problems.append(f"{path}: no rows; at least {spec.min_rows} needed")
    if len(problems) > MAX_PROBLEMS:
        problems = problems[:MAX_PROBLEMS] + [f"{path}: … and {len(problems) - MAX_PROBLEMS} more"]
    return [r | {"_line": n} for r, n in zip(rows, lines, strict=True)], sha, problems


def _names(spec: ReferenceFile) -> str:
    return ",".join(c.name for c in spec.columns)


def _check(column: Column, row: dict) -> str | None:
    """What is wrong with the row's value of this column, if anything."""
    value = row[column.name]
    if value is None:
        return f"{column.name} is empty" if column.required else None
    shown = f"{column.name} {value!r}"
    number = None
    if column.type == "date":
        if not _DATE.fullmatch(value) or _date(value) is None:
            return f"{shown} is not a date (YYYY-MM-DD)"
    elif column.type == "double":
        if not _NUMBER.fullmatch(value) or not math.isfinite(number := float(value)):
            return f"{shown} is not a number"
    elif column.type == "integer":
        if not _WHOLE.fullmatch(value):
            return f"{shown} is not a whole number"
        number = int(value)
    elif column.type == "boolean" and value.lower() not in ("true", "false"):
        return f"{shown} is not true or false"
    if column.values is not None and value not in column.values:
        return f"{shown} is not one of {', '.join(column.values)}"
    if number is not None and column.minimum is not None and number < column.minimum:
        return f"{shown} is below {column.minimum:g}"
    if number is not None and column.maximum is not None and number > column.maximum:
        return f"{shown} is above {column.maximum:g}"
    return None


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _cross_file_problems(reference: Reference) -> list[str]:
    problems = []
    for spec in FILES:
        in_force = reference.files[spec.name]
        for column, other, other_column in spec.references:
            allowed = set(reference.values(other, other_column))
            target = reference.files[other].spec.file_name
            problems += [
                f"{in_force.path} line {row['_line']}: {column} {row[column]!r}"
                f" is not a {other_column} of {target}"
                for row in in_force.rows
                if row[column] is not None and row[column] not in allowed
            ]
    for rule in _FILE_RULES:
        problems += rule(reference)
    return problems


def _parameters_rule(reference: Reference) -> list[str]:
    """A province's rubric names the package's parameters, and gives each one a value for both
    blocs (its own, or one for `all`): a parameter left out would score nothing."""
    in_force = reference.files["rubric_parameters"]
    if in_force.origin == "bundled":
        return []
    known = dict.fromkeys(_bundled_values("rubric_parameters", "parameter"))
    problems = [
        f"{in_force.path} line {row['_line']}: parameter {row['parameter']!r} is not one of"
        f" the rubric's parameters ({', '.join(known)})"
        for row in in_force.rows
        if row["parameter"] not in known
    ]
    given = {(row["parameter"], row["bloc"]) for row in in_force.rows}
    for parameter in known:
        left_out = [b for b in BLOCS if not {(parameter, b), (parameter, "all")} & given]
        if left_out:
            problems.append(
                f"{in_force.path}: parameter {parameter!r} has no value for bloc"
                f" {' or '.join(left_out)} (give one for the bloc or for 'all')"
            )
    return problems


def _tiers_rule(reference: Reference) -> list[str]:
    """Each version of the tiers (rows sharing an effective_from) replaces the one before as a
    whole and needs a tier from 0, so that every on-time rate gets a score."""
    in_force = reference.files["rubric_dossier_tiers"]
    versions: dict[str, list[dict]] = {}
    for row in in_force.rows:
        versions.setdefault(row["effective_from"], []).append(row)
    return [
        f"{in_force.path} line {rows[0]['_line']}: the tiers from {start} have no tier with"
        " min_on_time_rate 0 (the lowest tier must start at 0)"
        for start, rows in versions.items()
        if not any(float(row["min_on_time_rate"]) == 0 for row in rows)
    ]


def _groups_rule(reference: Reference) -> list[str]:
    in_force = reference.files["portal_groups"]
    return [
        f"{in_force.path} line {row['_line']}: effective_to {row['effective_to']}"
        f" is before effective_from {row['effective_from']}"
        for row in in_force.rows
        if row["effective_to"] is not None and row["effective_to"] < row["effective_from"]
    ]


_FILE_RULES: tuple[Callable[[Reference], list[str]], ...] = (
    _parameters_rule,
    _tiers_rule,
    _groups_rule,
)


def _bundled_values(name: str, column: str) -> list[str]:
    with open(BUNDLED / f"{name}.csv", encoding="utf-8", newline="") as f:
        return [row[column] for row in csv.DictReader(f)]


def prepare_seeds(reference: Reference, folder: Path) -> Path:
    """Write the seeds a build uses into `folder`: every bundled file (the seeds' properties
    and the report's own lists too), each province file the deployment holds instead of the
    bundled one. The deployment's files are written as checked (no BOM, no blank lines). A file
    whose content is already there is not rewritten, and nothing else is left in the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted: dict[str, bytes] = {
        p.name: p.read_bytes() for p in BUNDLED.iterdir() if p.is_file() and p.name[0] != "."
    }
    for in_force in reference.files.values():
        if in_force.origin == "deployment":
            wanted[in_force.spec.file_name] = _as_csv(in_force)
    for path in folder.iterdir():
        if path.name in wanted:
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    for name, content in wanted.items():
        path = folder / name
        if not path.is_file() or path.read_bytes() != content:
            path.write_bytes(content)
    return folder


def _as_csv(in_force: FileInForce) -> bytes:
    columns = [c.name for c in in_force.spec.columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([row[c] or "" for c in columns] for row in in_force.rows)
    return out.getvalue().encode("utf-8")


def dbt_dir(db: Path | str) -> Path:
    """Where a warehouse keeps its dbt side: `target/`, dbt's targets with their parse state,
    and, with a deployment's reference data, `seeds/`, the seeds its runs prepare. One folder per
    warehouse (named by a hash of the DuckDB file's path), at the same path from run to run, so
    that dbt's partial parsing stays valid; inside the dbt project's `target/` because dbt
    writes each seed's SQL at `<target>/run/<project>/<seed path>`, which a seed path outside the
    project would turn into the seed file itself."""
    key = hashlib.sha256(str(Path(db).resolve()).encode()).hexdigest()[:16]
    return PROJECT / "target" / "reference" / key


_OWNER = "warehouse.path"  # in a warehouse's dbt folder: the warehouse's path


def claim_dbt_dir(db: Path | str) -> Path:
    """`dbt_dir(db)`, noted as this warehouse's (`warehouse.path`), with the folders of the
    warehouses that no longer exist removed: every warehouse made and deleted (each test's, each
    benchmark's) left its own behind, about 10 MB of dbt target each."""
    folder = dbt_dir(db)
    folder.mkdir(parents=True, exist_ok=True)
    note, owner = folder / _OWNER, str(Path(db).resolve())
    if not note.is_file() or note.read_text() != owner:
        part = folder / f"{_OWNER}.part"
        part.write_text(owner)
        part.replace(note)  # others never read half a path
    for other in folder.parent.iterdir():
        try:
            gone = other != folder and not Path((other / _OWNER).read_text()).exists()
        except OSError:  # not noted (made before notes were), or another run is removing it
            continue
        if gone:
            shutil.rmtree(other, ignore_errors=True)
    return folder


def seed_path(db: Path | str) -> str:
    """The prepared seeds as dbt_project.yml's seed-paths takes them: relative to the project."""
    return (dbt_dir(db) / "seeds").relative_to(PROJECT).as_posix()


# Which files built each period's marts: appended per build, the latest build of a period wins.
_USED_TABLE = "raw.reference_used"


def record_used(con, period_id: str, reference: Reference, run_id: str | None) -> None:
    """Note that the period's marts were just built from this reference data."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(f"""
        CREATE TABLE IF NOT EXISTS {_USED_TABLE} (
            period_id VARCHAR NOT NULL,
            run_id VARCHAR,
            built_at TIMESTAMPTZ NOT NULL,
            name VARCHAR NOT NULL,
            origin VARCHAR NOT NULL,       -- bundled | deployment
            path VARCHAR NOT NULL,
            sha256 VARCHAR NOT NULL,
            rows BIGINT NOT NULL
        )
    """)
    now = datetime.now(UTC)
    con.executemany(
        f"INSERT INTO {_USED_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [period_id, run_id, now, e["name"], e["origin"], e["path"], e["sha256"], e["rows"]]
            for e in reference.manifest()
        ],
    )


def used_for_period(con, period_id: str) -> list[dict] | None:
    """The reference files of the period's latest build, or None when none was recorded."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables"
        " WHERE table_schema = 'raw' AND table_name = 'reference_used'"
    ).fetchone()[0]
    if not exists:
        return None
    found = con.execute(
        f"""SELECT name, origin, path, sha256, rows FROM {_USED_TABLE}
            WHERE period_id = ? QUALIFY built_at = max(built_at) OVER () ORDER BY name""",
        [period_id],
    ).fetchall()
    keys = ("name", "origin", "path", "sha256", "rows")
    return [dict(zip(keys, row, strict=True)) for row in found] or None


def describe(reference: Reference) -> str:
    """One line for a run's output: which files are the deployment's."""
    own = reference.from_deployment
    if not own:
        return "reference data: bundled"
    return f"reference data: {', '.join(own)} from {reference.folder}; the rest bundled"

"""Readers: one landed file as the temporary view `_src`, whatever its format.

`_src` has one row per record: `_line` (line, or 1-based Parquet row), `_error` (why the record
could not even be read), `_text` (for such a record, a description of it without its content),
one column per contract field (text, or the Parquet column's own type), `_nested` (the fields
delivered as a list or an object where one value belongs; their value is shown as `[array]` or
`[object]`), `asker_key`, and `_extra` (unknown keys as a scrubbed JSON object). Personal fields
are read only to compute `asker_key` and never reach `_src` (`ingest.redact`).
A file that cannot be read at all raises `UnreadableFile` (or, for a Parquet file whose damage
lies past its footer, one of `READ_ERRORS` when `_src` is scanned).
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io
import json
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.contract import MAX_RECORD_BYTES, PERSONAL_FIELDS, Field, Stream
from ingest.processes import read_folder
from ingest.redact import (
    describe_unparsed,
    extra_of,
    is_personal_key,
    mask_text,
    normalised_key,
    remembered,
)
from ingest.warehouse import ident, literal, quote

OVERSIZED = f"oversized_record: longer than {MAX_RECORD_BYTES:,} bytes, not read"
csv.field_size_limit(1 << 30)  # a long cell is one oversized record, not a failed file


class UnreadableFile(Exception):
    """The file as a whole cannot be read (not UTF-8, corrupt Parquet or gzip, unknown format)."""


# The file's fault; any other error is ours and must fail loudly.
READ_ERRORS = (
    duckdb.IOException,
    duckdb.InvalidInputException,
    duckdb.ConversionException,
    OSError,
    EOFError,
    UnicodeDecodeError,
    csv.Error,
)


def _asker_key_sql(value_of) -> str:
    name, email, phone = (value_of(f) for f in ("asker_name", "asker_email", "asker_phone"))
    return f"coalesce(pw_asker_key({name}, {email}, {phone}), {value_of('asker_key')})"


def load_source(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str, stream: Stream
) -> LinesOnDemand | None:
    """`_src` for the file; for a plain JSON Lines file, the `LinesOnDemand` that numbers it."""
    try:
        if fmt == "jsonl" and not path.name.lower().endswith(".gz"):
            return LinesOnDemand(con, path, stream)
        {"jsonl": _load_jsonl, "csv": _load_csv, "parquet": _load_parquet}[fmt](con, path, stream)
    except READ_ERRORS as e:
        raise UnreadableFile(describe(e)) from e
    return None


class LinesOnDemand:
    """A JSON Lines file whose `_src` reads the file itself, every line in its order, blank ones
    too: its `_line` is 0, or NULL for a blank line (no record). The checked records are made
    from it in the file's order (`validate.create_checked(in_file_order=True)`), so that a
    record's row number is its line: no copy of the file's lines is kept, which at 10M lines went
    to disk and was read back (a 10M-line file's ingest 28-33 -> about 24 s). `number()` reads
    the lines into `_lines` and points `_src` at them, once, for the few records read again by
    their line (those to explain or quarantine), or for a file with a line too long to read."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, stream: Stream) -> None:
        self.con, self.path, self.stream, self.numbered = con, path, stream, False
        every_line = (
            f"(SELECT CASE WHEN {_A_RECORD} THEN 0 END AS _line, line FROM {_lines_of(path)})"
        )
        try:
            load_json_lines(con, every_line, stream)
        except duckdb.InvalidInputException as e:  # its first lines are read for their keys
            if not is_line_too_long(e):
                raise
            self.number()

    def number(self) -> None:
        if not self.numbered:
            try:
                _load_jsonl(self.con, self.path, self.stream)
            except READ_ERRORS as e:
                raise UnreadableFile(describe(e)) from e
            self.numbered = True


def is_line_too_long(error: duckdb.Error) -> bool:
    """Whether DuckDB stopped reading lines at one longer than MAX_RECORD_BYTES."""
    return isinstance(error, duckdb.InvalidInputException) and "line size" in str(error).lower()


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".splitlines()[0][:500]


SCRATCH_TABLES = (
    "_lines",
    "_csv",
    "_open",
    "_verdict",
    "_pairs",
    "_held",
    "_involved",
    "_repeats",
    "_known",
    "_rejects",
)


def drop_scratch(con: duckdb.DuckDBPyConnection) -> None:
    """Free what a reader held (the JSON Lines' text may carry personal data)."""
    for kind, name in (
        [("VIEW", "_verdict"), ("VIEW", "_checked"), ("VIEW", "_src")]
        + [("TABLE", table) for table in ("_checked", *SCRATCH_TABLES)]
        + [("TYPE", "_registry")]
    ):
        with contextlib.suppress(duckdb.CatalogException):  # a name held by the other kind
            con.execute(f"DROP {kind} IF EXISTS {name}")


def _is_scalar(field: Field) -> bool:
    return field.kind not in ("list", "decimal_list")


def _usual_known_keys(con: duckdb.DuckDBPyConnection, lines_table: str, keys) -> list[str]:
    """The known keys, in order, of one JSON object among the first lines (any one: they are
    compared whole, so any list of known keys is sound); empty when none is one. Only a few
    lines are parsed: DuckDB parses a whole chunk of lines at once, and a file of 400 refused
    records of 1 MB, read again by line, ran out of its 1 GB here."""
    found = con.execute(
        f"SELECT json_keys(line) FROM (SELECT line FROM {lines_table} LIMIT 16)"
        " WHERE starts_with(line, '{') AND json_valid(line) LIMIT 1"
    ).fetchone()
    return [k for k in found[0] if k in keys] if found else []


def _nested_list(flags: list[tuple[str, str]]) -> str:
    """`_nested` from (field, condition that it came nested) pairs: NULL when none did."""
    if not flags:
        return "NULL::VARCHAR[]"
    items = ", ".join(f"CASE WHEN {condition} THEN {quote(name)} END" for name, condition in flags)
    # the list is built only for the rare record that has one (a list per row costs)
    any_nested = " OR ".join(f"coalesce({condition}, false)" for _, condition in flags)
    return f"CASE WHEN {any_nested} THEN list_filter([{items}], x -> x IS NOT NULL) END"


def load_json_lines(
    con: duckdb.DuckDBPyConnection,
    lines_table: str,
    stream: Stream,
    oversized: str | None = None,
) -> None:
    """`_src` from a table of (`_line`, `line`) JSON texts: JSON Lines files and the quarantine
    (blank lines left out, or kept with a NULL `_line`: `LinesOnDemand`). `oversized` names a
    table of (`_line`, `description`) for lines too long to have been read."""
    keys = stream.known_keys
    fields = stream.delivered_fields
    # One parse per line, every key as text (numbers, booleans and nested values as their JSON);
    # unnest makes the struct columns, so the parse is not repeated for each column read.
    as_text = quote("{" + ", ".join(f'"{k}": "VARCHAR"' for k in keys) + "}")
    # Only a line with a key the contract does not know goes to Python (`pw_scrub`), which drops
    # personal keys under any spelling and masks emails and phones (a key delivered as null is a
    # known key: such lines stay on the fast path). Each key is looked up with NOT IN:
    # `list_has_all` against a list of the known keys took 4 s more of 20 s to read 10M lines.
    unknown = f"list_filter(json_keys(line), k -> k NOT IN ({', '.join(quote(k) for k in keys)}))"
    maybe_extra = f"len({unknown}) > 0"
    # Most lines of a file list the same keys in the same order: a line whose keys are exactly a
    # read line's known keys has no other, and one list comparison says so (2M lines: the test
    # 0.55 -> 0.32 s, the whole ingest 7.35 -> 7.13 s).
    usual = _usual_known_keys(con, lines_table, keys)
    if usual:
        maybe_extra = f"json_keys(line) <> [{', '.join(map(quote, usual))}] AND {maybe_extra}"
    # Python gets the line's unknown part only, cut out in C++ by a merge patch that sets every
    # known key to null: parsing whole lines in Python was a quarter of the sample's dossier
    # ingest, whose every line carries a key the contract does not know.
    unknown_part = f"json_merge_patch(line, {quote(json.dumps(dict.fromkeys(keys)))})"
    extra = f"pw_scrub({unknown_part})"
    # A nested value of a one-value field starts with [ or { (code points 91 and 123: one call,
    # where two `starts_with` cost twice as much); only then is its JSON type asked.
    scalars = [f for f in stream.all_fields if _is_scalar(f)]
    shapes = ", ".join(
        f"CASE WHEN ascii({ident(f.name)}) IN (91, 123)"
        f" THEN json_type(line, {quote('$.' + f.name)}) END AS {ident('shape_' + f.name)}"
        for f in scalars
    )

    def nested(f: Field) -> str:
        return f"{ident('shape_' + f.name)} IN ('ARRAY', 'OBJECT')"

    def value(name: str) -> str:
        f = next(f for f in stream.all_fields if f.name == name)
        if not _is_scalar(f):
            return ident(name)
        shape = ident("shape_" + name)
        return f"CASE WHEN {nested(f)} THEN '[' || lower({shape}) || ']' ELSE {ident(name)} END"

    unread = (
        f"UNION ALL SELECT _line, {quote(OVERSIZED)}, description"
        + ", NULL" * (len(fields) + 3)
        + f" FROM {oversized}"
        if oversized
        else ""
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW _src AS
        SELECT
            _line,
            CASE WHEN NOT is_object THEN 'malformed_record: not a JSON object' END AS _error,
            CASE WHEN NOT is_object AND _line IS NOT NULL THEN pw_unparsed(line) END AS _text,
            {", ".join(f"{value(f)} AS {ident(f)}" for f in fields)},
            {_nested_list([(f.name, nested(f)) for f in scalars])} AS _nested,
            {_asker_key_sql(ident) if stream.name == "question" else "NULL::VARCHAR"}
                AS asker_key,
            CASE WHEN is_object AND {maybe_extra} THEN {extra} END AS _extra
        FROM (
            SELECT *, {shapes}
            FROM (
                SELECT
                    _line,
                    line,
                    v IS NOT NULL AND starts_with(ltrim(line), '{{') AS is_object,
                    unnest(v)
                FROM (
                    SELECT _line, line, TRY(from_json(line, {as_text})) AS v
                    FROM {lines_table}
                )
            )
        )
        {unread}
    """)


def _load_jsonl(con: duckdb.DuckDBPyConnection, path: Path, stream: Stream) -> None:
    if path.name.lower().endswith(".gz"):
        # DuckDB reads a truncated gzip up to the cut without a word; Python's gzip raises.
        with read_folder() as tmp:
            plain = Path(tmp) / "plain.jsonl"
            with gzip.open(path, "rb") as packed, open(plain, "wb") as out:
                shutil.copyfileobj(packed, out, 1 << 20)
            _load_jsonl(con, plain, stream)
        return
    try:
        _read_lines(con, path)
    except duckdb.InvalidInputException as e:
        if not is_line_too_long(e):
            raise
        # A line too long to read: copy the file without it (a blank line in its place keeps the
        # numbering), and describe it instead. Rare, so the slower way is taken only then.
        with read_folder() as tmp:
            short = Path(tmp) / "short.jsonl"
            described = _without_long_lines(path, short)
            _read_lines(con, short)
        con.execute("CREATE OR REPLACE TEMP TABLE _oversized (_line BIGINT, description VARCHAR)")
        rows = [f"({literal(line)}, {literal(text)})" for line, text in described]
        if rows:
            con.execute(f"INSERT INTO _oversized VALUES {', '.join(rows)}")
        load_json_lines(con, _NUMBERED_LINES, stream, oversized="_oversized")
        return
    load_json_lines(con, _NUMBERED_LINES, stream)


# Blank lines are not records. `ltrim`, not `trim`: it stops at the first other character,
# where `trim` read every line whole, even behind an OR (5.8 s of CPU for 10M lines, 0.2 s now).
_A_RECORD = "ltrim(line) <> ''"
_NUMBERED_LINES = f"(SELECT rowid + 1 AS _line, line FROM _lines WHERE {_A_RECORD})"


def _lines_of(path: Path) -> str:
    # Whole lines, not JSON: a malformed line must become a quarantined record with its line
    # number, not a failed file. The delimiter cannot occur in valid JSON (control characters are
    # escaped there).
    return f"""read_csv(
        {quote(str(path))}, columns = {{'line': 'VARCHAR'}}, header = false,
        delim = '\x1f\x1e\x1d\x1c', quote = '', escape = '', auto_detect = false,
        max_line_size = {MAX_RECORD_BYTES}, strict_mode = false, compression = 'none')"""


def _read_lines(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    # Insertion order is kept here, so rowid is the line's position.
    con.execute("SET preserve_insertion_order = true")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _lines AS SELECT line FROM {_lines_of(path)}")
    finally:
        con.execute("SET preserve_insertion_order = false")  # later steps order by _line


def _without_long_lines(source: Path, target: Path) -> list[tuple[int, str]]:
    """Copy `source` to `target` with each line longer than MAX_RECORD_BYTES blanked, reading
    at most that much at a time; return (line number, description) of the blanked lines."""
    described = []
    with open(source, "rb") as f, open(target, "wb") as out:
        number = 0
        while chunk := f.readline(MAX_RECORD_BYTES + 1):
            number += 1
            if len(chunk) <= MAX_RECORD_BYTES or chunk.endswith(b"\n"):
                out.write(chunk)
                continue
            digest, length, head = hashlib.sha256(chunk), len(chunk), chunk
            while not chunk.endswith(b"\n") and (chunk := f.readline(1 << 20)):
                digest.update(chunk)
                length += len(chunk)
            out.write(b"\n")
            described.append((number, _describe_long(head, length, digest.hexdigest())))
    return described


def _describe_long(head: bytes, length: int, sha256: str) -> str:
    text = head.decode("utf-8", "replace")
    return describe_unparsed(text, problem=OVERSIZED, length=length, sha256=sha256)


def _load_csv(con: duckdb.DuckDBPyConnection, path: Path, stream: Stream) -> None:
    # Python's csv module: strict UTF-8 (a decoding error rejects the file), exact line numbers,
    # and a row with the wrong number of cells is one bad record, not a failed file.
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")
        reader = csv.reader(text, strict=True)
        header = [h.strip() for h in next(reader, None) or []]
        repeated = [h for h, n in Counter(header).items() if n > 1]
        if repeated:
            names = ", ".join(repr(mask_text(h)) for h in repeated)
            raise UnreadableFile(f"duplicate_header: the CSV header repeats {names}")
        width = len(header)
        lines, errors, texts, rows = [], [], [], []
        blank = ("",) * width  # a bad record's cells: it is described, never read
        line = reader.line_num + 1
        for row in reader:
            lines.append(line)
            line = reader.line_num + 1
            problem = None
            if len(row) != width:
                problem = f"malformed_record: CSV row has {len(row)} cells, the header has {width}"
            elif sum(map(len, row)) > MAX_RECORD_BYTES:
                problem = OVERSIZED
            errors.append(problem)
            if problem:
                texts.append(
                    describe_unparsed(",".join(row)[: MAX_RECORD_BYTES + 1], problem=problem)
                )
                rows.append(blank)
            else:
                texts.append(None)
                rows.append(row)
    # Column by column from here: a list per column from the transposed rows, not an append per
    # cell; the unknown columns' cells are scrubbed once for the rows that repeat them.
    cells = list(zip(*rows, strict=True)) if rows else [()] * width
    del rows

    def column(at: int | None) -> list[str | None]:
        return [None] * len(lines) if at is None else [v or None for v in cells[at]]  # empty: null

    at = {h: i for i, h in enumerate(header)}
    fields = stream.delivered_fields
    columns = {"_error": errors, "_text": texts} | {f: column(at.get(f)) for f in fields}
    # a personal column under any spelling is read for the asker's key only
    personal_at = {normalised_key(h): i for i, h in enumerate(header) if is_personal_key(h)}
    for p in [*PERSONAL_FIELDS, "asker_key"]:
        columns[p] = column(personal_at.get(p, at.get(p)))
    unknown = [h for h in header if h not in stream.known_keys and not is_personal_key(h)]
    columns["_extra"] = _csv_extras(unknown, [cells[at[h]] for h in unknown], len(lines))
    arrays = {k: pa.array(v, pa.string()) for k, v in columns.items()}
    arrays["_line"] = pa.array(lines, pa.int64())
    table = pa.table(arrays)
    con.register("_csv_rows", table)
    try:
        key = _asker_key_sql(ident) if stream.name == "question" else "NULL::VARCHAR"
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _csv AS
            SELECT _line, _error, _text, {", ".join(ident(f) for f in fields)},
                   NULL::VARCHAR[] AS _nested, {key} AS asker_key, _extra
            FROM _csv_rows
        """)
    finally:
        con.unregister("_csv_rows")
    con.execute("CREATE OR REPLACE TEMP VIEW _src AS SELECT * FROM _csv")


def _csv_extras(names: list[str], cells: list[tuple[str, ...]], rows: int) -> list[str | None]:
    """Each row's non-empty cells of the unknown columns `names`, scrubbed (`remembered`)."""
    if not names:
        return [None] * rows
    memo: dict = {}
    return [
        remembered(memo, values, _csv_extra, names, values) for values in zip(*cells, strict=True)
    ]


def _csv_extra(names: list[str], values: tuple[str, ...]) -> str | None:
    return extra_of({k: v for k, v in zip(names, values, strict=True) if v}, ())


def _load_parquet(con: duckdb.DuckDBPyConnection, path: Path, stream: Stream) -> None:
    load_relation(
        con, f"read_parquet({quote(str(path))}, file_row_number = true)", stream, "file_row_number"
    )


def _is_nested_type(sql_type: str) -> bool:
    return sql_type.endswith("]") or sql_type.startswith(("STRUCT", "MAP", "UNION"))


def load_relation(
    con: duckdb.DuckDBPyConnection, relation: str, stream: Stream, row_number: str
) -> None:
    """`_src` from a typed relation (a Parquet file, a batch read from a source database), whose
    column `row_number` (0-based) numbers its rows."""
    present = {
        name: type_
        for name, type_, *_ in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    }
    # a personal column under any spelling is read for the asker's key only
    personal = {normalised_key(k): k for k in present if is_personal_key(k)}
    kinds = {f.name: f for f in stream.all_fields}
    nested = [
        k for k in present if k in kinds and _is_scalar(kinds[k]) and _is_nested_type(present[k])
    ]

    def value_of(key: str) -> str:
        column = key if key in present else personal.get(key)
        if column is None:
            return "NULL::VARCHAR"
        if key in nested:  # the content is not read: the record is quarantined for its shape
            shape = "array" if present[key].endswith("]") else "object"
            return f"CASE WHEN {ident(key)} IS NOT NULL THEN '[{shape}]' END"
        if present[column].endswith("[]"):  # a list column, as in CSV
            return f"array_to_string({ident(column)}, ';')"
        return ident(column)

    fields = stream.delivered_fields
    extra_keys = [
        k
        for k in present
        if k not in stream.known_keys and k != row_number and not is_personal_key(k)
    ]
    extra = (
        "pw_scrub(json_object("
        + ", ".join(f"{quote(k)}, {ident(k)}" for k in extra_keys)
        + ")::VARCHAR)"
        if extra_keys
        else "NULL::VARCHAR"
    )
    key = (
        _asker_key_sql(lambda k: f"{value_of(k)}::VARCHAR")
        if stream.name == "question"
        else "NULL::VARCHAR"
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW _src AS
        SELECT
            {ident(row_number)} + 1 AS _line,
            NULL::VARCHAR AS _error,
            NULL::VARCHAR AS _text,
            {", ".join(f"{value_of(f)} AS {ident(f)}" for f in fields)},
            {_nested_list([(k, f"{ident(k)} IS NOT NULL") for k in nested])} AS _nested,
            {key} AS asker_key,
            {extra} AS _extra
        FROM {relation}
    """)

"""Readers: one landed file as the temporary view `_src`, whatever its format.

`_src` has one row per record: `_line` (line, or 1-based Parquet row), `_error` (why the record
could not even be parsed), `_text` (that unparsed record, personal data blanked), one column per
contract field (text, or the Parquet column's own type), `asker_key`, and `_extra` (unknown keys
as a JSON object). Personal fields are read only to compute `asker_key` and never reach `_src`.
A file that cannot be read at all raises `UnreadableFile` (or, for a Parquet file whose damage
lies past its footer, one of `READ_ERRORS` when `_src` is scanned).
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import shutil
import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.contract import PERSONAL_FIELDS, Stream
from ingest.redact import REDACTED, redact_sql


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


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _asker_key_sql(value_of) -> str:
    name, email, phone = (value_of(f) for f in ("asker_name", "asker_email", "asker_phone"))
    return f"coalesce(pw_asker_key({name}, {email}, {phone}), {value_of('asker_key')})"


def load_source(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, stream: Stream) -> None:
    try:
        {"jsonl": _load_jsonl, "csv": _load_csv, "parquet": _load_parquet}[fmt](con, path, stream)
    except READ_ERRORS as e:
        raise UnreadableFile(describe(e)) from e


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".splitlines()[0][:500]


SCRATCH_TABLES = (
    "_lines",
    "_csv",
    "_open",
    "_registry",
    "_verdict",
    "_pairs",
    "_involved",
    "_repeats",
    "_known",
    "_rejects",
)


def drop_scratch(con: duckdb.DuckDBPyConnection) -> None:
    """Free what a reader held (the JSON Lines' text may carry personal data)."""
    for kind, name in [("VIEW", "_checked"), ("VIEW", "_src")] + [
        ("TABLE", table) for table in ("_checked", *SCRATCH_TABLES)
    ]:
        with contextlib.suppress(duckdb.CatalogException):  # a name held by the other kind
            con.execute(f"DROP {kind} IF EXISTS {name}")


def load_json_lines(con: duckdb.DuckDBPyConnection, lines_table: str, stream: Stream) -> None:
    """`_src` from a table of (`_line`, `line`) JSON texts: JSON Lines files and the quarantine."""
    keys = list(dict.fromkeys([*stream.known_keys, "asker_key"]))
    fields = stream.delivered_fields
    known = "[" + ", ".join(quote(k) for k in keys) + "]"
    # One parse per line, every key as text (numbers, booleans and nested values as their JSON);
    # unnest makes the struct columns, so the parse is not repeated for each column read.
    as_text = quote("{" + ", ".join(f'"{k}": "VARCHAR"' for k in keys) + "}")
    # Unknown keys are kept as delivered. Most records have none: a line whose key count equals
    # its known keys with a value cannot have any, and only the others are looked at closely.
    maybe_extra = f"len(json_keys(line)) > list_count([{', '.join(map(ident, keys))}])"
    extra = f"""nullif(to_json(map_from_entries(list_transform(
            list_filter(json_keys(line), k -> NOT list_contains({known}, k)),
            k -> {{'k': k, 'v': json_extract(line, '$."' || k || '"')}})))::VARCHAR, '{{}}')"""
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW _src AS
        SELECT
            _line,
            CASE WHEN NOT is_object THEN 'malformed_record: not a JSON object' END AS _error,
            CASE WHEN NOT is_object THEN {redact_sql("line")} END AS _text,
            {", ".join(ident(f) for f in fields)},
            {_asker_key_sql(ident) if stream.name == "question" else "NULL::VARCHAR"}
                AS asker_key,
            CASE WHEN is_object AND {maybe_extra} THEN {extra} END AS _extra
        FROM (
            SELECT
                _line,
                line,
                v IS NOT NULL AND starts_with(ltrim(line), '{{') AS is_object,
                unnest(v)
            FROM (
                SELECT _line, line, TRY(from_json(line, {as_text})) AS v
                FROM {lines_table}
                -- blank lines are not records (trim reads the whole line: test it last)
                WHERE starts_with(line, '{{') OR trim(line) <> ''
            )
        )
    """)


def _load_jsonl(con: duckdb.DuckDBPyConnection, path: Path, stream: Stream) -> None:
    if path.name.lower().endswith(".gz"):
        # DuckDB reads a truncated gzip up to the cut without a word; Python's gzip raises.
        with tempfile.TemporaryDirectory() as tmp:
            plain = Path(tmp) / "plain.jsonl"
            with gzip.open(path, "rb") as packed, open(plain, "wb") as out:
                shutil.copyfileobj(packed, out, 1 << 20)
            _load_jsonl(con, plain, stream)
        return
    # Read whole lines, not JSON: a malformed line must become a quarantined record with its line
    # number, not a failed file. The delimiter cannot occur in valid JSON (control characters are
    # escaped there). Insertion order is kept here, so rowid is the line's position.
    con.execute("SET preserve_insertion_order = true")
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _lines AS SELECT line FROM read_csv(
                {quote(str(path))}, columns = {{'line': 'VARCHAR'}}, header = false,
                delim = '\x1f\x1e\x1d\x1c', quote = '', escape = '', auto_detect = false,
                max_line_size = 8388608, strict_mode = false, compression = 'none')"""
        )
    finally:
        con.execute("SET preserve_insertion_order = false")  # later steps order by _line
    load_json_lines(con, "(SELECT rowid + 1 AS _line, line FROM _lines)", stream)


def _load_csv(con: duckdb.DuckDBPyConnection, path: Path, stream: Stream) -> None:
    # Python's csv module: strict UTF-8 (a decoding error rejects the file), exact line numbers,
    # and a row with the wrong number of cells is one bad record, not a failed file.
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")
        reader = csv.reader(text, strict=True)
        header = next(reader, None) or []
        header = [h.strip() for h in header]
        fields = stream.delivered_fields
        columns: dict[str, list] = {c: [] for c in ["_line", "_error", "_text", *fields]}
        columns["_extra"] = []
        personal = {h: [] for h in (*PERSONAL_FIELDS, "asker_key")}
        extra_keys = [h for h in header if h not in stream.known_keys and h != "asker_key"]
        line = reader.line_num + 1
        for row in reader:
            columns["_line"].append(line)
            line = reader.line_num + 1
            if len(row) != len(header):
                redacted = [
                    REDACTED if i < len(header) and header[i] in PERSONAL_FIELDS else cell
                    for i, cell in enumerate(row)
                ]
                columns["_error"].append(
                    f"malformed_record: CSV row has {len(row)} cells, the header has {len(header)}"
                )
                columns["_text"].append(",".join(redacted))
                record: dict[str, str] = {}
            else:
                columns["_error"].append(None)
                columns["_text"].append(None)
                record = dict(zip(header, row, strict=True))
            for f in fields:
                columns[f].append(record.get(f) or None)  # empty cell = null
            for p in personal:
                personal[p].append(record.get(p) or None)
            extras = {k: record[k] for k in extra_keys if record.get(k)}
            columns["_extra"].append(json_text(extras) if extras else None)
    lines = pa.array(columns.pop("_line"), pa.int64())
    arrays = {k: pa.array(v, pa.string()) for k, v in {**columns, **personal}.items()}
    arrays["_line"] = lines
    table = pa.table(arrays)
    con.register("_csv_rows", table)
    try:
        key = _asker_key_sql(ident) if stream.name == "question" else "NULL::VARCHAR"
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _csv AS
            SELECT _line, _error, _text, {", ".join(ident(f) for f in fields)},
                   {key} AS asker_key, _extra
            FROM _csv_rows
        """)
    finally:
        con.unregister("_csv_rows")
    con.execute("CREATE OR REPLACE TEMP VIEW _src AS SELECT * FROM _csv")


def json_text(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _load_parquet(con: duckdb.DuckDBPyConnection, path: Path, stream: Stream) -> None:
    load_relation(
        con, f"read_parquet({quote(str(path))}, file_row_number = true)", stream, "file_row_number"
    )


def load_relation(
    con: duckdb.DuckDBPyConnection, relation: str, stream: Stream, row_number: str
) -> None:
    """`_src` from a typed relation (a Parquet file, a batch read from a source database), whose
    column `row_number` (0-based) numbers its rows."""
    present = {
        name: type_
        for name, type_, *_ in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    }

    def value_of(key: str) -> str:
        if key not in present:
            return "NULL::VARCHAR"
        if present[key].endswith("[]"):  # a list column, as in CSV
            return f"array_to_string({ident(key)}, ';')"
        return ident(key)

    fields = stream.delivered_fields
    extra_keys = [k for k in present if k not in stream.known_keys and k != row_number]
    extra = (
        "json_object(" + ", ".join(f"{quote(k)}, {ident(k)}" for k in extra_keys) + ")::VARCHAR"
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
            {key} AS asker_key,
            {extra} AS _extra
        FROM {relation}
    """)

"""The contract's rules as SQL: `_src` (as read) into `_checked` (typed, with every reason).

Each record gets the list of every rule it breaks, as 'code: message' strings; an empty list
means the record is valid. Codes: malformed_record, missing_field, invalid_value,
invalid_timestamp, unknown_event_type, unknown_portal, nested_value, oversized_record (and,
later, conflict).

Values are kept exactly or rejected: an integer field takes whole numbers only, a decimal field
what its type holds without rounding (NaN and infinities never); ids and names are compared and
stored in Unicode NFC, and free text has emails and phone numbers masked (`ingest.redact`).
"""

from __future__ import annotations

from ingest.contract import ALL, Field, Stream, one_of
from ingest.redact import mask_sql
from ingest.warehouse import ident, literal, quote, sql_type

EARLIEST = "2000-01-01"  # nothing in this portal's history happened before
LATEST = "2100-01-01"  # nor is any date after it, a deadline's included
TIMESTAMP_TYPES = {
    "TIMESTAMP",
    "TIMESTAMP_NS",
    "TIMESTAMP_MS",
    "TIMESTAMP_S",
    "TIMESTAMP WITH TIME ZONE",
    "DATE",
}


def _delivered(field: Field, src_type: str) -> str:
    """The value exactly as delivered, NULL when absent (an empty text is absent)."""
    col = ident(field.name)
    # Not trimmed: trimming every text cost a third of the check, and a padded value is kept
    # as delivered (or, for an enumeration, quarantined with its reason).
    return f"nullif({col}, '')" if src_type == "VARCHAR" else col


def _normalised(field: Field, src_type: str) -> str:
    """The field's typed value from `t_<name>`, or NULL when absent or not of its type."""
    t = ident("t_" + field.name)
    text = t if src_type == "VARCHAR" else f"nullif({t}::VARCHAR, '')"
    if field.kind == "text":
        # NFC keeps one spelling of a name; ASCII, most ids, costs nothing (DuckDB's fast path)
        return mask_sql(text) if field.free_text else f"nfc_normalize({text})"
    if field.kind == "timestamp":
        # Naive text and naive Parquet timestamps are local time: the session's time zone.
        native = src_type in TIMESTAMP_TYPES or src_type == "VARCHAR"
        return f"try_cast({t if native else text} AS TIMESTAMPTZ)"
    if field.kind == "date":
        # a local date, YYYY-MM-DD; a timestamp is not one (its time would be lost)
        if src_type == "DATE":
            return t
        day = r"\d{4}-\d{2}-\d{2}"
        return f"CASE WHEN regexp_full_match({text}, '{day}') THEN try_cast({text} AS DATE) END"
    if field.kind == "boolean":
        if src_type == "BOOLEAN":
            return t
        return f"CASE lower({text}) WHEN 'true' THEN true WHEN 'false' THEN false END"
    if field.kind == "integer":
        if src_type in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}:
            return f"try_cast({t} AS INTEGER)"
        # a cast would round 4.7 to 5: a text with a point is a whole number only as 4.0
        whole = r"\s*[+-]?[0-9]+\.0*\s*"
        exact = (
            f"CASE WHEN regexp_full_match({text}, '{whole}') THEN split_part({text}, '.', 1) END"
        )
        return f"try_cast(CASE WHEN contains({text}, '.') THEN {exact} ELSE {text} END AS INTEGER)"
    if field.kind == "decimal":
        return _exact_decimal(text, sql_type(field))
    if field.kind in ("list", "decimal_list"):
        items = (
            f"CASE WHEN starts_with({text}, '[') THEN try_cast(try_cast({text} AS JSON) AS"
            f" VARCHAR[]) ELSE list_transform(string_split({text}, ';'), x -> trim(x)) END"
        )
        texts = f"nullif(list_filter({items}, x -> x <> ''), [])"
        if field.kind == "list":
            return f"list_transform({texts}, x -> nfc_normalize(x))"
        # every item a decimal that fits exactly, or the whole list is invalid
        item = sql_type(field).removesuffix("[]")
        numbers = f"list_transform({texts}, x -> {_exact_decimal('x', item)})"
        invalid = f"list_bool_or(list_transform({numbers}, x -> x IS NULL))"
        return f"CASE WHEN NOT {invalid} THEN {numbers} END"
    raise ValueError(f"unknown field kind {field.kind}")


def _exact_decimal(text: str, decimal_type: str) -> str:
    """`text` as `decimal_type` when that holds it exactly, else NULL: 2.345 does not fit two
    places and is refused rather than rounded; NaN and infinities never cast to a decimal."""
    wide = f"try_cast({text} AS DECIMAL(38, 20))"
    narrow = f"try_cast({text} AS {decimal_type})"
    return f"CASE WHEN {wide} = {narrow} THEN {narrow} END"


def _kind_words(field: Field) -> str:
    """What a value of the field's kind is, for a reason's message."""
    if field.kind == "integer":
        return "whole number"
    if field.kind in ("decimal", "decimal_list"):
        precision, scale = sql_type(field).removesuffix("[]")[len("DECIMAL(") : -1].split(",")
        places = int(precision) - int(scale)
        what = "decimal" if field.kind == "decimal" else "list of decimals"
        return f"{what} (at most{scale} decimal places and {places} digits before the point)"
    return field.kind


def _present(field: Field) -> str:
    return f"({ident('t_' + field.name)} IS NOT NULL)"


def _shown(field: Field) -> str:
    """The delivered value, quoted and shortened, for a reason's message."""
    value = f"{ident('t_' + field.name)}::VARCHAR"
    if field.free_text:  # masked before it is cut, so that no part of an address remains
        value = mask_sql(value)
    return f"'''' || left({value}, 60) || ''''"


def _rules(stream: Stream, field: Field, src_type: str) -> list[tuple[str, str]]:
    """(condition, message) pairs: the record breaks the rule where the condition holds."""
    name, norm = field.name, ident("n_" + field.name)
    present = _present(field)
    shown = _shown(field)
    rules = []
    if field.required_for:
        when = "true"
        if ALL not in field.required_for:
            types = sorted(field.required_for)
            when = one_of("n_event_type", map(quote, types))
        on = "" if ALL in field.required_for else " on " + ", ".join(sorted(field.required_for))
        rules.append((f"{when} AND NOT {present}", quote(f"missing_field: {name} is required{on}")))
    # A text delivered as a text (not empty) stays one once normalised or masked: the rule cannot
    # hold, and checking it made the pass that finds broken records normalise every text field.
    if field.kind != "text" or src_type != "VARCHAR":
        code = "invalid_timestamp" if field.kind == "timestamp" else "invalid_value"
        rules.append(
            (
                f"{present} AND {norm} IS NULL",
                f"'{code}: {name} ' || {shown} || ' is not a valid {_kind_words(field)}'",
            )
        )
    # The event type is an enumeration too, with its own reason code.
    allowed, code = (
        (stream.event_types, "unknown_event_type")
        if name == "event_type"
        else (field.values, "invalid_value")
    )
    if allowed is not None:
        rules.append(
            (
                f"NOT {one_of(f'{norm}::VARCHAR', map(quote, allowed))}",
                f"'{code}: {name} ' || {shown} || ' is not one of {', '.join(allowed)}'",
            )
        )
    if field.pattern is not None:
        form = field.pattern.replace("'", "''")
        rules.append(
            (
                f"NOT regexp_full_match({norm}, {quote(field.pattern)})",
                f"'invalid_value: {name} ' || {shown} || ' is not of the form {form}'",
            )
        )
    if field.max_length is not None:
        rules.append(
            (
                f"length({norm}) > {field.max_length}",
                quote(f"invalid_value: {name} is longer than {field.max_length} characters"),
            )
        )
    if field.minimum is not None:
        rules.append(
            (
                f"{norm} < {field.minimum}",
                f"'invalid_value: {name} ' || {shown} || ' is below {field.minimum:g}'",
            )
        )
    if field.kind == "date":
        rules.append(
            (
                f"{norm} < DATE '{EARLIEST}' OR {norm} > DATE '{LATEST}'",
                f"'invalid_value: {name} ' || {shown} || ' is outside {EARLIEST} .. {LATEST}'",
            )
        )
    if field.kind == "timestamp":
        # Events cannot come from the future; deadlines may lie ahead, but not a century ahead.
        occurred = field.name == "occurred_at"
        latest = "current_timestamp + INTERVAL 1 DAY" if occurred else f"TIMESTAMPTZ '{LATEST}'"
        until = "now" if occurred else LATEST
        rules.append(
            (
                f"{norm} < TIMESTAMPTZ '{EARLIEST}' OR {norm} > {latest}",
                f"'invalid_timestamp: {name} ' || {shown} || ' is outside {EARLIEST} .. {until}'",
            )
        )
    return rules


def create_checked(
    con, stream: Stream, tz: str, materialize: bool, in_file_order: bool = False
) -> None:
    """`_checked` over `_src`, given the type `_registry` (the portal ids the registry knows): a
    view, or a table where reading `_src` again would cost more than keeping the result. Its
    `_reasons` is NULL for a valid record, the reading error for a record that could not be read,
    and an empty list for one that breaks a rule: `explain_broken` writes why, for those records
    only (binding every rule's message cost half of checking a small file, and most files have no
    such record). `in_file_order`: `_src` is a file's every line in order, its `_line` not yet
    known (NULL for a line that is no record; `readers.LinesOnDemand`): the table's rows, kept in
    that order, are numbered by their position."""
    assert materialize or not in_file_order, "only a table's rows can be numbered"
    src_types = _src_types(con)
    fields = list(stream.all_fields)
    rules = _all_rules(stream, src_types)
    # Most records break no rule: one test for all of them.
    broken = " OR ".join(f"coalesce({condition}, false)" for condition, _ in rules)
    local = _local_time(con, tz, "n_occurred_at")
    checked = f"""
        CREATE OR REPLACE TEMP {"TABLE" if materialize else "VIEW"} _checked AS
        SELECT
            _line,
            {", ".join(f"{ident('n_' + f.name)} AS {ident(f.name)}" for f in fields)},
            {local} AS occurred_at_local,
            ({local})::DATE AS occurred_on,
            _extra::JSON AS extra,
            {_masked_fields(stream)} AS masked_fields,
            CASE
                WHEN _error IS NOT NULL THEN [_error]
                WHEN {broken} THEN []::VARCHAR[]
            END AS _reasons
        FROM ({_typed(stream, src_types)})
    """
    if not in_file_order:
        con.execute(checked)
        return
    con.execute("SET preserve_insertion_order = true")
    try:
        # Only a batch insert keeps the rows in the file's order (a join in the rules would not:
        # hence the registry as a type): checked here, so a change cannot misnumber the lines.
        if "BATCH_CREATE_TABLE_AS" not in con.execute(f"EXPLAIN {checked}").fetchall()[0][1]:
            raise RuntimeError("the checked records would not keep the file's order")
        con.execute(checked)
    finally:
        con.execute("SET preserve_insertion_order = false")
    con.execute("UPDATE _checked SET _line = rowid + 1 WHERE _line IS NOT NULL")  # 0.3 s at 10M
    con.execute("DELETE FROM _checked WHERE _line IS NULL")


# The span a fixed offset is trusted for, as instants (UTC), not local dates
_SPAN_START = f"TIMESTAMPTZ '{EARLIEST} 00:00:00+00'"
_SPAN_END = f"TIMESTAMPTZ '{LATEST} 00:00:00+00'"


def _local_time(con, tz: str, column: str) -> str:
    """`column`'s wall-clock time in `tz`. In a zone whose offset from UTC is the same from
    EARLIEST to LATEST (Asia/Ho_Chi_Minh: +07:00 since 1975), an instant of those years is
    shifted by that offset: `timezone()` looks every instant up in the zone's rules (about 4 s
    of 28 s loading 10M events from Parquet)."""
    exact = f"timezone({quote(tz)}, {column})"
    offset = _fixed_offset(con, tz)
    if offset is None:
        return exact
    return (
        f"CASE WHEN {column} >= {_SPAN_START} AND {column} < {_SPAN_END}"
        f" THEN make_timestamp(epoch_us({column}) + {offset}) ELSE {exact} END"
    )


_FIXED_OFFSETS: dict[str, int | None] = {}  # by zone, once a process


def _fixed_offset(con, tz: str) -> int | None:
    """`tz`'s offset from UTC in microseconds, when DuckDB's zone data (what `timezone()`
    reads) gives the same one twice a day from EARLIEST to LATEST; else None (daylight saving
    time, or rules that changed)."""
    if tz not in _FIXED_OFFSETS:
        offsets = con.execute(
            f"""SELECT DISTINCT epoch_us(timezone({literal(tz)}, t)) - epoch_us(t)
                FROM generate_series({_SPAN_START}, {_SPAN_END}, INTERVAL 12 HOUR) AS g(t)"""
        ).fetchall()
        _FIXED_OFFSETS[tz] = offsets[0][0] if len(offsets) == 1 else None
    return _FIXED_OFFSETS[tz]


def explain_broken(con, stream: Stream, verdicts: str, reasons: str = "reasons") -> None:
    """Each record of `verdicts` (a table of `_line` and its `reasons` column) whose reasons are
    an empty list, read again from `_src`, gets every rule it breaks as 'code: message'."""
    src_types = _src_types(con)
    messages = ", ".join(
        f"CASE WHEN {condition} THEN {message} END"
        for condition, message in _all_rules(stream, src_types)
    )
    con.execute(f"""
        UPDATE {verdicts}
        SET {reasons} = CASE WHEN len(explained.reasons) > 0 THEN explained.reasons END
        FROM (
            SELECT _line, list_filter([{messages}], r -> r IS NOT NULL) AS reasons
            FROM ({_typed(stream, src_types)})
            WHERE _line IN (SELECT _line FROM {verdicts} WHERE len({reasons}) = 0)
        ) AS explained
        WHERE {verdicts}._line = explained._line
    """)


def _src_types(con) -> dict[str, str]:
    return {name: type_ for name, type_, *_ in con.execute("DESCRIBE _src").fetchall()}


def _typed(stream: Stream, src_types: dict[str, str]) -> str:
    """`_src`'s records with each field as delivered (`t_<name>`) and typed (`n_<name>`)."""
    fields = list(stream.all_fields)
    delivered = ", ".join(
        f"{_delivered(f, src_types[f.name])} AS {ident('t_' + f.name)}" for f in fields
    )
    normalised = ", ".join(
        f"{_normalised(f, src_types[f.name])} AS {ident('n_' + f.name)}" for f in fields
    )
    return f"""
            SELECT *, {normalised}
            FROM (SELECT _line, _error, _extra, _nested, {delivered} FROM _src)"""


def _all_rules(stream: Stream, src_types: dict[str, str]) -> list[tuple[str, str]]:
    """Every rule a record of `stream` is held to, as (condition, message) over `_typed`."""
    rules = [r for f in stream.all_fields for r in _rules(stream, f, src_types[f.name])]
    rules += list(stream.record_rules)
    # a list or an object where one value belongs: its content was never read (`ingest.readers`)
    rules.append(
        (
            "_nested IS NOT NULL",
            "'nested_value: ' || array_to_string(_nested, ', ')"
            " || ' delivered as a list or an object where one value belongs'",
        )
    )
    portal_check = "n_portal_id IS NOT NULL AND TRY_CAST(n_portal_id AS _registry) IS NULL"
    if stream.name == "portal":  # a registration is what makes a portal known
        portal_check = f"n_event_type <> 'registered' AND {portal_check}"
    unknown = "'unknown_portal: portal_id ''' || n_portal_id || ''' is not in the portal registry'"
    rules.append((portal_check, unknown))
    return rules


def _masked_fields(stream: Stream) -> str:
    """The fields, and the unknown keys of `extra`, whose values had an email or a phone number
    masked: the record says that something was removed, and where."""
    texts = [
        f"CASE WHEN contains({ident('n_' + f.name)}, '[masked ') THEN {quote(f.name)} END"
        for f in stream.all_fields
        if f.free_text
    ]
    in_extra = (
        'list_transform(regexp_extract_all(_extra, \'"([^"]*)":"\\[masked [a-z]+\\]\','
        " 1), k -> 'extra.' || k)"
    )
    listed = f"list_concat([{', '.join(texts)}], {in_extra})" if texts else in_extra
    # the list is built only for a record with something masked (a list per row costs)
    masked = [
        f"contains({ident('n_' + f.name)}, '[masked ')" for f in stream.all_fields if f.free_text
    ]
    maybe = " OR ".join(
        [*(f"coalesce({m}, false)" for m in masked), "contains(_extra, '[masked ')"]
    )
    return f"""CASE WHEN {maybe} THEN
        nullif(list_distinct(list_filter({listed}, x -> x IS NOT NULL)), []) END"""

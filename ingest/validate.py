"""The contract's rules as SQL: `_src` (as read) into `_checked` (typed, with every reason).

Each record gets the list of every rule it breaks, as 'code: message' strings; an empty list
means the record is valid. Codes: malformed_record, missing_field, invalid_value,
invalid_timestamp, unknown_event_type, unknown_portal (and, later, conflict).
"""

from __future__ import annotations

from ingest.contract import ALL, Field, Stream
from ingest.readers import ident, quote
from ingest.warehouse import sql_type

EARLIEST = "2000-01-01"  # nothing in this portal's history happened before
TIMESTAMP_TYPES = {
    "TIMESTAMP",
    "TIMESTAMP_NS",
    "TIMESTAMP_MS",
    "TIMESTAMP_S",
    "TIMESTAMP WITH TIME ZONE",
    "DATE",
}


def _normalised(field: Field, src_type: str) -> str:
    """The field's typed value, or NULL when it is absent or cannot be read as its type."""
    col = ident(field.name)
    text = f"nullif(trim({col}{'' if src_type == 'VARCHAR' else '::VARCHAR'}), '')"
    if field.kind == "text":
        return text
    if field.kind == "timestamp":
        # Naive text and naive Parquet timestamps are local time: the session's time zone.
        native = src_type in TIMESTAMP_TYPES
        return f"try_cast({col if native else text} AS TIMESTAMPTZ)"
    if field.kind == "boolean":
        if src_type == "BOOLEAN":
            return col
        return f"CASE lower({text}) WHEN 'true' THEN true WHEN 'false' THEN false END"
    if field.kind == "integer":
        native = src_type in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}
        return f"try_cast({col if native else text} AS INTEGER)"
    if field.kind == "decimal":
        return f"try_cast({text} AS {sql_type(field)})"
    if field.kind == "list":
        items = (
            f"CASE WHEN starts_with({text}, '[') THEN try_cast(try_cast({text} AS JSON) AS"
            f" VARCHAR[]) ELSE list_transform(string_split({text}, ';'), x -> trim(x)) END"
        )
        return f"nullif(list_filter({items}, x -> x <> ''), [])"
    raise ValueError(f"unknown field kind {field.kind}")


def _present(field: Field, src_type: str) -> str:
    col = ident(field.name)
    if src_type == "VARCHAR":
        return f"(nullif(trim({col}), '') IS NOT NULL)"
    return f"({col} IS NOT NULL)"


def _shown(field: Field) -> str:
    """The delivered value, quoted and shortened, for a reason's message."""
    return f"'''' || left({ident(field.name)}::VARCHAR, 60) || ''''"


def _reasons(stream: Stream, field: Field, src_type: str) -> list[str]:
    name, norm = field.name, ident("n_" + field.name)
    present = _present(field, src_type)
    reasons = []
    if field.required_for:
        when = "true"
        if ALL not in field.required_for:
            types = sorted(field.required_for)
            when = f"n_event_type IN ({', '.join(quote(t) for t in types)})"
        on = "" if ALL in field.required_for else " on " + ", ".join(sorted(field.required_for))
        reasons.append(
            f"CASE WHEN {when} AND NOT {present} "
            f"THEN {quote(f'missing_field: {name} is required{on}')} END"
        )
    code = "invalid_timestamp" if field.kind == "timestamp" else "invalid_value"
    reasons.append(
        f"CASE WHEN {present} AND {norm} IS NULL THEN "
        f"'{code}: {name} ' || {_shown(field)} || ' is not a valid {field.kind}' END"
    )
    if field.name == "event_type":
        allowed = ", ".join(stream.event_types)
        reasons.append(
            f"CASE WHEN {norm} NOT IN ({', '.join(quote(t) for t in stream.event_types)}) THEN "
            f"'unknown_event_type: event_type ' || {_shown(field)} || ' is not one of {allowed}'"
            " END"
        )
    if field.values is not None:
        allowed = ", ".join(field.values)
        values = ", ".join(quote(v) for v in field.values)
        reasons.append(
            f"CASE WHEN {norm}::VARCHAR NOT IN ({values}) THEN "
            f"'invalid_value: {name} ' || {_shown(field)} || ' is not one of {allowed}' END"
        )
    if field.pattern is not None:
        reasons.append(
            f"CASE WHEN NOT regexp_full_match({norm}, {quote(field.pattern)}) THEN "
            f"'invalid_value: {name} ' || {_shown(field)} || ' is not of the form "
            f"{field.pattern.replace(chr(39), chr(39) * 2)}' END"
        )
    if field.max_length is not None:
        reasons.append(
            f"CASE WHEN length({norm}) > {field.max_length} THEN "
            f"'invalid_value: {name} is longer than {field.max_length} characters' END"
        )
    if field.kind == "timestamp":
        # Events cannot come from the future; deadlines may lie ahead, but not a century ahead.
        latest = (
            "current_timestamp + INTERVAL 1 DAY"
            if field.name == "occurred_at"
            else "TIMESTAMPTZ '2100-01-01'"
        )
        reasons.append(
            f"CASE WHEN {norm} < TIMESTAMPTZ '{EARLIEST}' OR {norm} > {latest} THEN "
            f"'invalid_timestamp: {name} ' || {_shown(field)} || ' is outside {EARLIEST} .. "
            f"{'now' if field.name == 'occurred_at' else '2100-01-01'}' END"
        )
    return reasons


def create_checked(con, stream: Stream, tz: str) -> None:
    """`_checked` from `_src`, given `_registry` (the portal ids the registry knows)."""
    src_types = {name: type_ for name, type_, *_ in con.execute("DESCRIBE _src").fetchall()}
    fields = [f for f in stream.all_fields]
    normalised = ",\n".join(
        f"{_normalised(f, src_types[f.name])} AS {ident('n_' + f.name)}" for f in fields
    )
    reasons = [r for f in fields for r in _reasons(stream, f, src_types[f.name])]
    portal_check = "n_portal_id NOT IN (SELECT portal_id FROM _registry)"
    if stream.name == "portal":  # a registration is what makes a portal known
        portal_check = f"n_event_type <> 'registered' AND {portal_check}"
    reasons.append(
        f"CASE WHEN {portal_check} THEN "
        "'unknown_portal: portal_id ''' || n_portal_id || ''' is not in the portal registry' END"
    )
    con.execute("DROP TABLE IF EXISTS _checked")
    con.execute(f"""
        CREATE TEMP TABLE _checked AS
        SELECT
            _line,
            {", ".join(f"{ident('n_' + f.name)} AS {ident(f.name)}" for f in fields)},
            timezone({quote(tz)}, n_occurred_at) AS occurred_at_local,
            timezone({quote(tz)}, n_occurred_at)::DATE AS occurred_on,
            _extra::JSON AS extra,
            CASE
                WHEN _error IS NOT NULL THEN [_error]
                ELSE list_filter([{", ".join(reasons)}], r -> r IS NOT NULL)
            END AS _reasons
        FROM (SELECT *, {normalised} FROM _src)
    """)

"""The landed files' columns and types, derived from the contract (ingest/contract.py).

Each stream's columns are the fields its sources deliver, in the contract's order, typed as the
warehouse's raw tables type them (ingest.warehouse.SQL_TYPES, read back as Arrow types), and for
the Q&A module the personal fields it delivers and the warehouse must drop. Timestamps are kept in
seconds while the sample is built; `public` gives them in microseconds.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import duckdb
import pyarrow as pa

from ingest.contract import PERSONAL_FIELDS, STREAMS
from ingest.warehouse import SQL_TYPES

TS = pa.timestamp("s", tz="UTC")  # the simulation's clock: epoch seconds


@cache
def arrow_type(kind: str) -> pa.DataType:
    """The Arrow type of a field kind: the warehouse's SQL type as DuckDB hands it to Arrow."""
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        sql = f"SELECT CAST(NULL AS {SQL_TYPES[kind]}) AS v"
        typ = con.sql(sql).arrow().schema.field("v").type
    return TS if pa.types.is_timestamp(typ) else typ


@cache
def schema(stream: str) -> pa.Schema:
    spec = STREAMS[stream]
    delivered = set(spec.delivered_fields)
    fields = [pa.field(f.name, arrow_type(f.kind)) for f in spec.all_fields if f.name in delivered]
    if stream == "question":  # the Q&A module delivers its askers; the warehouse must drop them
        fields += [pa.field(name, pa.string()) for name in PERSONAL_FIELDS]
    return pa.schema(fields)


def _value(value, typ: pa.DataType):
    if value is None:
        return None
    if pa.types.is_decimal(typ):
        return Decimal(str(value))
    if pa.types.is_list(typ):
        return [_value(v, typ.value_type) for v in value]
    return value


def table(stream: str, rows: list[dict]) -> pa.Table:
    """A typed table of a stream from row dicts (timestamps as epoch seconds)."""
    columns = {}
    for f in schema(stream):
        values = [row.get(f.name) for row in rows]
        if pa.types.is_timestamp(f.type):
            columns[f.name] = pa.array(values, pa.int64()).cast(f.type)
        elif pa.types.is_decimal(f.type) or pa.types.is_list(f.type):
            columns[f.name] = pa.array([_value(v, f.type) for v in values], f.type)
        else:
            columns[f.name] = pa.array(values, f.type)
    return pa.table(columns, schema=schema(stream))


def column(stream: str, name: str, values) -> pa.Array:
    """One typed column of a stream from a numpy array or list (timestamps as epoch seconds)."""
    typ = schema(stream).field(name).type
    if pa.types.is_timestamp(typ):
        return pa.array(values, pa.int64()).cast(typ)
    return pa.array(values.tolist() if hasattr(values, "tolist") else values, typ)


def public(table: pa.Table) -> pa.Table:
    """Timestamps in microseconds, the unit DuckDB and pandas expect of a tz-aware column."""
    us = pa.timestamp("us", tz="UTC")
    return pa.table(
        {
            name: table[name].cast(us) if pa.types.is_timestamp(table[name].type) else table[name]
            for name in table.column_names
        }
    )

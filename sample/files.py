"""How the source systems write their files: formats, time styles, encodings, bad records, and
the modification times that say when each file was delivered.

Each file is one batch as a source exports it: JSON Lines (plain or gzip), CSV (UTF-8, with or
without BOM, or windows-1258), Parquet with typed or textual timestamps; timestamps with `Z`,
`+00:00`, `+07:00` or no offset. Bad records (`Bad`) are spliced in among the good ones, and a
`conflict` repeats an event id with another payload.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ingest.contract import file_format
from sample.clock import LOCAL_OFFSET, ts


@dataclass(frozen=True)
class Out:
    """How one source system writes a file."""

    name: str
    times: str  # Z | +00:00 | +07:00 | naive (local, no offset) | mixed | typed (Parquet only)
    bom: bool = False
    columns: tuple[str, ...] | None = None  # CSV column order, when not the contract's
    extra: tuple[tuple[str, str], ...] = ()  # JSONL keys outside the contract


@dataclass(frozen=True)
class Bad:
    kind: str
    record: dict | str  # a str is written as the raw line


def times_text(col: pa.Array, times: str) -> pa.Array:
    seconds = pc.cast(col, pa.int64())
    if times == "mixed":  # the Q&A server switched from UTC to local time on 01/07/2022
        before = pc.less(seconds, ts("2022-07-01"))
        return pc.if_else(before, times_text(col, "+00:00"), times_text(col, "+07:00"))
    shift, suffix = {
        "Z": (0, "Z"),
        "+00:00": (0, "+00:00"),
        "+07:00": (LOCAL_OFFSET, "+07:00"),
        "naive": (LOCAL_OFFSET, ""),
    }[times]
    wall = pc.cast(pc.add(seconds, shift), pa.timestamp("s"))
    text = pc.replace_substring(pc.cast(wall, pa.string()), " ", "T")  # 10x faster than strftime
    return pc.binary_join_element_wise(text, suffix, "")


def _is_literal(typ: pa.DataType) -> bool:
    """Written bare in JSON: booleans and numbers."""
    return pa.types.is_boolean(typ) or pa.types.is_integer(typ) or _is_number(typ)


def _is_number(typ: pa.DataType) -> bool:
    return pa.types.is_floating(typ) or pa.types.is_decimal(typ)


def _as_text(col: pa.Array, times: str) -> pa.Array:
    if pa.types.is_timestamp(col.type):
        return times_text(col, times)
    if pa.types.is_boolean(col.type):
        return pc.if_else(col, "true", "false")
    if pa.types.is_list(col.type):
        return pc.binary_join(pc.cast(col, pa.list_(pa.string())), ";")
    if pa.types.is_string(col.type):
        return col
    return pc.cast(col, pa.string())


def json_lines(table: pa.Table, out: Out) -> pa.Array:
    """One JSON object per row, newline-terminated, built column by column."""
    fragments = []
    for name in table.column_names:
        col = table.column(name).combine_chunks()
        if _is_literal(col.type):  # JSON literals as they are
            value = _as_text(col, out.times)
        elif pa.types.is_list(col.type) and _is_number(col.type.value_type):
            items = pc.binary_join(pc.cast(col, pa.list_(pa.string())), ",")
            value = pc.binary_join_element_wise("[", items, "]", "")
        elif pa.types.is_list(col.type):
            value = pc.binary_join_element_wise('["', pc.binary_join(col, '","'), '"]', "")
        else:
            text = pc.replace_substring(_as_text(col, out.times), "\\", "\\\\")
            value = pc.binary_join_element_wise(
                '"', pc.replace_substring(text, '"', '\\"'), '"', ""
            )
        fragments.append(pc.binary_join_element_wise(f'"{name}":', value, ""))
    fragments += [pa.scalar(f'"{k}":{json.dumps(v, ensure_ascii=False)}') for k, v in out.extra]
    body = pc.binary_join_element_wise(*fragments, ",", null_handling="skip")
    return pc.binary_join_element_wise("{", body, "}\n", "")


def _spliced(n: int, k: int) -> list[int]:
    """Where k bad records go among n good ones: spread through the file."""
    return [(i + 1) * n // (k + 1) for i in range(k)]


_COMPACT = {"ensure_ascii": False, "separators": (",", ":")}  # as the sources write JSON


def _jsonl_bytes(table: pa.Table, out: Out, bad: list[Bad]) -> bytes:
    lines = json_lines(table, out) if table.num_rows else pa.array([], pa.string())
    pieces, last = [], 0
    for at, b in zip(_spliced(len(lines), len(bad)), bad, strict=True):
        raw = b.record if isinstance(b.record, str) else json.dumps(b.record, **_COMPACT)
        pieces += [lines.slice(last, at - last), pa.array([raw + "\n"])]
        last = at
    pieces.append(lines.slice(last))
    lines = pa.concat_arrays(pieces)
    if not len(lines):
        return b""
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    start, end = offsets[lines.offset], offsets[lines.offset + len(lines)]
    return bytes(memoryview(lines.buffers()[2])[start:end])


def csv_bytes(table: pa.Table, out: Out, bad: list[Bad]) -> bytes:
    columns = out.columns or tuple(table.column_names)
    text = pa.table({c: _as_text(table.column(c).combine_chunks(), out.times) for c in columns})
    pieces, last = [], 0
    for at, b in zip(_spliced(text.num_rows, len(bad)), bad, strict=True):
        row = pa.table({c: pa.array([b.record.get(c)], pa.string()) for c in columns})
        pieces += [text.slice(last, at - last), row]
        last = at
    text = pa.concat_tables([*pieces, text.slice(last)])
    buffer = io.BytesIO()
    if out.bom:
        buffer.write("\ufeff".encode())
    pacsv.write_csv(text, buffer)
    return buffer.getvalue()


def _write(path: Path, table: pa.Table, out: Out, bad: list[Bad]) -> None:
    fmt = file_format(path)
    if fmt == "parquet":
        columns = {}
        for name in table.column_names:
            col = table.column(name).combine_chunks()
            if pa.types.is_timestamp(col.type):
                typed = out.times == "typed"
                col = (
                    col.cast(pa.timestamp("ms", tz="UTC")) if typed else times_text(col, out.times)
                )
            columns[name] = col
        pq.write_table(pa.table(columns), path)
        return
    data = _jsonl_bytes(table, out, bad) if fmt == "jsonl" else csv_bytes(table, out, bad)
    if path.name.endswith(".gz"):
        data = gzip.compress(data, compresslevel=3, mtime=0)
    path.write_bytes(data)


class Landing:
    """Writes a stream's files, stamps their delivery times, and counts what was planted."""

    def __init__(self, root: Path):
        self.root = root
        self.files: list[Path] = []
        self.planted: Counter[str] = Counter()

    def write(self, stream, out: Out, table, delivered: str, bad: tuple | list = ()) -> Path:
        path = self.root / stream / out.name
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(path, table, out, list(bad))
        self.planted.update(b.kind for b in bad)
        return self._delivered(path, delivered)

    def copy(self, stream, source: str, name: str, delivered: str) -> Path:
        """A file delivered a second time under another name (byte for byte the same)."""
        path = self.root / stream / name
        shutil.copyfile(self.root / stream / source, path)
        return self._delivered(path, delivered)

    def write_bytes(self, stream, name: str, data: bytes, delivered: str) -> Path:
        path = self.root / stream / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return self._delivered(path, delivered)

    def _delivered(self, path: Path, delivered: str) -> Path:
        day, hhmm = delivered.split(" ")
        moment = ts(day, hhmm)
        os.utime(path, (moment, moment))
        self.files.append(path)
        return path


def between(table: pa.Table, lo: str, hi: str) -> pa.Table:
    """The rows with lo <= occurred_at < hi (local dates)."""
    seconds = pc.cast(table["occurred_at"], pa.int64())
    mask = pc.and_(pc.greater_equal(seconds, ts(lo)), pc.less(seconds, ts(hi)))
    return table.filter(mask)


def conflicts(original: pa.Table, times: str, extra=(), **changes) -> list[Bad]:
    """The first row of `original` again under its event id, with other values: a conflict."""
    if not original.num_rows:  # nothing to contradict at a tiny scale
        return []
    row = original.slice(0, 1)
    for name, value in changes.items():
        i = row.schema.get_field_index(name)
        row = row.set_column(i, name, pa.array([value], row.schema.field(name).type))
    line = json_lines(row, Out("", times, extra=extra))[0].as_py().rstrip("\n")
    return [Bad("conflict", line)]


def cp1258(text: str) -> bytes:
    """Windows-1258, which writes most Vietnamese tones as separate combining marks."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", ch)
        for i, mark in enumerate(marks):  # the letter's shape composed (ê, ơ, ă), tones apart
            rest = "".join(marks[:i] + marks[i + 1 :])
            try:
                shaped = unicodedata.normalize("NFC", base + mark).encode("cp1258")
                out += shaped + rest.encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
        else:
            out += (base + "".join(marks)).encode("cp1258")
    return bytes(out)

"""The seed reports' tables and the sample's story, kept as CSV files in sample/data/."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


@cache
def _read(name: str) -> tuple[dict[str, str], ...]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


def rows(name: str) -> list[dict[str, str]]:
    """The rows of sample/data/<name>, in file order, every value a string ('' when empty)."""
    return [dict(row) for row in _read(name)]


def ids(value: str) -> tuple[str, ...]:
    """A ';'-separated list cell."""
    return tuple(v for v in value.split(";") if v)

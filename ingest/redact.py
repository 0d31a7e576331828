"""Personal data: dropped at read time; at most a keyed hash of the asker survives."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re

import duckdb
from duckdb.sqltypes import VARCHAR

from ingest.contract import PERSONAL_FIELDS

_PERSONAL_KEY = "|".join(PERSONAL_FIELDS)
# A "key": "value" pair of a personal field inside text that is not valid JSON (the value may be
# cut off by the end of the line).
_PERSONAL_JSON_PAIR = rf'("(?:{_PERSONAL_KEY})"\s*:\s*)"(?:[^"\\]|\\.)*("|$)'
REDACTED = "[redacted]"


def asker_identity(name: str | None, email: str | None, phone: str | None) -> str | None:
    """The same person writes their email in any case and their phone with any punctuation."""
    if email and email.strip():
        return "email:" + email.strip().lower()
    digits = re.sub(r"\D", "", phone or "")
    if digits:
        return "phone:" + digits
    if name and name.strip():
        return "name:" + " ".join(name.split()).casefold()
    return None


def asker_key(key: bytes | None, name: str | None, email: str | None, phone: str | None):
    """HMAC-SHA256 of the asker's identity, or None without a key (then nothing is kept)."""
    identity = asker_identity(name, email, phone)
    if key is None or identity is None:
        return None
    return hmac.new(key, identity.encode(), hashlib.sha256).hexdigest()


def redact_sql(expr: str) -> str:
    """Blank the values of personal keys inside a record that could not be parsed."""
    pattern = _PERSONAL_JSON_PAIR.replace("'", "''")
    return f"regexp_replace({expr}, '{pattern}', '\\1\"{REDACTED}\"\\2', 'g')"


def register_asker_key(con: duckdb.DuckDBPyConnection, key: bytes | None) -> None:
    """`pw_asker_key(name, email, phone)` in SQL; questions are few, so a Python UDF is enough."""
    with contextlib.suppress(duckdb.InvalidInputException):  # not registered yet
        con.remove_function("pw_asker_key")
    con.create_function(
        "pw_asker_key",
        lambda name, email, phone: asker_key(key, name, email, phone),
        [VARCHAR, VARCHAR, VARCHAR],
        VARCHAR,
        null_handling="special",
    )

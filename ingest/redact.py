"""Personal data (Law 91/2025/QH15, Decree 356/2025): what is stored is decided field by field.

- The contract's personal fields are read only to compute a keyed hash of the asker, and are
  dropped under any spelling (`Asker_Email`, `" BODY"`) and at any depth of an unknown value.
- An unknown key keeps its name, but a value that looks like an email address or a phone number
  is masked; so are such values inside the contract's free-text fields.
- A record that cannot be parsed is described, never kept: its length, where parsing stopped,
  the key names that could be read, and a hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
import unicodedata
from collections.abc import Callable
from typing import TypeVar

import duckdb
from duckdb.sqltypes import VARCHAR

from ingest.contract import MAX_RECORD_BYTES, PERSONAL_FIELDS
from ingest.warehouse import quote

R = TypeVar("R")

MASKED_EMAIL = "[masked email]"
MASKED_PHONE = "[masked phone]"
# One spelling for Python's `re` and DuckDB's RE2 (no look-around): a phone is preceded by a
# non-digit, so the first group keeps that character. An email's local part is bounded at the
# standard's 64 characters, its labels at 63: Python's `re` tries a match from every character,
# and an unbounded local part read a run of letters to its end from each (a 1 MB run took
# minutes); bounded, a run costs a pass, and at most 64 starts reach each @ (a megabyte of
# labels behind one, 1.3 s). A longer local part still loses its last 64 characters and its
# domain.
EMAIL = r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(\.[A-Za-z0-9\-]{1,63})*\.[A-Za-z]{2,63}"
_SEP = r"[ .\-]?"
PHONE = (
    rf"(^|[^0-9])((\+|00)?84{_SEP}[1-9]({_SEP}[0-9]){{7,9}}"  # +84 912 345 678
    rf"|0[1-9]({_SEP}[0-9]){{7,9}}"  # 0912.345.678, 024 3825 1234
    rf"|\+[1-9]({_SEP}[0-9]){{7,13}})"  # any international number
)
_EMAIL_RE = re.compile(EMAIL)
_PHONE_RE = re.compile(PHONE)
# a JSON key as written in a line that may not parse
_KEY_RE = re.compile(r'"((?:[^"\\]|\\.){1,64})"\s*:')


def normalised_key(key: str) -> str:
    """`" Asker-Email"` and `ASKER_EMAIL` are both `asker_email`."""
    folded = unicodedata.normalize("NFKC", key).casefold()
    return re.sub(r"[^0-9a-z]+", "_", folded).strip("_")


def is_personal_key(key: str) -> bool:
    """A personal field under any spelling, anything about the asker but the keyed hash, and any
    body of a question."""
    k = normalised_key(key)
    return (
        k in PERSONAL_FIELDS or (k.startswith("asker") and k != "asker_key") or k.endswith("_body")
    )


def mask_text(text: str) -> str:
    if "@" in text:  # a pass in C where the regex would try every character
        text = _EMAIL_RE.sub(MASKED_EMAIL, text)
    return _PHONE_RE.sub(lambda m: m.group(1) + MASKED_PHONE, text)


def scrub(value):
    """A JSON value with personal keys dropped at every depth and emails and phones masked."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if not is_personal_key(k)}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, int) and not isinstance(value, bool) and 9 <= len(str(abs(value))) <= 12:
        return MASKED_PHONE  # a phone number delivered as a number lost its leading 0
    return value


def json_text(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def extra_of(record: dict, known: tuple[str, ...]) -> str | None:
    """The unknown keys of a parsed record, scrubbed, as JSON text (None when there are none)."""
    extra = scrub({k: v for k, v in record.items() if k not in known})
    return json_text(extra) if extra else None


def describe_unparsed(
    text: str, problem: str | None = None, length: int | None = None, sha256: str | None = None
) -> str:
    """What can be said of a record without its content: its length in bytes, the byte offset at
    which parsing stopped, the key names that could be read, and a SHA-256 of its bytes."""
    data = text.encode("utf-8", "surrogatepass")
    offset = None
    if problem is None and len(data) <= MAX_RECORD_BYTES:
        try:
            json.loads(text)
        except json.JSONDecodeError as e:
            problem = e.msg  # "Expecting ',' delimiter": says where, never what
            offset = len(text[: e.pos].encode("utf-8", "surrogatepass"))
    keys = [mask_text(k) for k in dict.fromkeys(_KEY_RE.findall(text[:65536]))][:50]
    return json_text(
        {
            "length_bytes": len(data) if length is None else length,
            "error_offset": offset,
            "problem": problem,
            "keys": [k for k in keys if not is_personal_key(k)],
            "sha256": sha256 or hashlib.sha256(data).hexdigest(),
        }
    )


def mask_sql(expr: str) -> str:
    """`expr` with emails and phone numbers masked, in SQL; most texts skip the expressions."""
    masked = (
        f"regexp_replace(regexp_replace({expr}, {quote(EMAIL)}, '{MASKED_EMAIL}', 'g'),"
        f" {quote(PHONE)}, '\\1{MASKED_PHONE}', 'g')"
    )
    maybe = f"(contains({expr}, '@') OR regexp_matches({expr}, '[0-9]{_SEP}[0-9]{_SEP}[0-9]'))"
    return f"CASE WHEN {maybe} THEN {masked} ELSE {expr} END"


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


# A file's records often carry the same unknown keys and values (the name of the system that
# sent them): one ingest scrubs each short one once, and forgets them all when it ends.
_REMEMBERED_CHARS = 1024
_REMEMBERED = 4096


def remembered(memo: dict, key: str | tuple[str, ...], scrubbed: Callable[..., R], *args) -> R:
    """`scrubbed(*args)`, kept in `memo` under `key` (the text it is computed from) when short."""
    if key in memo:
        return memo[key]
    value = scrubbed(*args)
    if (len(key) if isinstance(key, str) else sum(map(len, key))) <= _REMEMBERED_CHARS:
        if len(memo) >= _REMEMBERED:
            memo.clear()
        memo[key] = value
    return value


# A number that is not finite as DuckDB's JSON reader takes it (`nan`, `-inf`, `Infinity` in any
# case), which Python's reads only as NaN, Infinity and -Infinity; a string is matched whole, so
# that nothing in one is changed.
_NOT_FINITE = re.compile(r'("(?:[^"\\]|\\.)*")|(-?)(nan|inf(?:inity)?)\b', re.IGNORECASE)


def _as_python_reads(text: str) -> str:
    def spelled(m: re.Match) -> str:
        if m[1]:
            return m[1]
        return "NaN" if m[3].lower() == "nan" else m[2] + "Infinity"

    return _NOT_FINITE.sub(spelled, text)


def _scrub_json(text: str) -> str | None:
    """A JSON object's text scrubbed (None when nothing is left)."""
    try:
        value = json.loads(text)
    except ValueError:
        value = json.loads(_as_python_reads(text))  # DuckDB read it: only such a number is left
    value = scrub(value)
    return json_text(value) if value else None


def register_privacy(con: duckdb.DuckDBPyConnection, key: bytes | None) -> None:
    """The Python side in SQL: `pw_asker_key(name, email, phone)`, `pw_scrub(json)` (a record's
    unknown keys as a JSON object, scrubbed) and `pw_unparsed(text)`. They run on questions and
    on the records with unknown keys or faults. `pw_scrub` scrubs the texts a connection's
    records repeat once: kept as written, a text tells 1 from true and 0.0 from -0.0, as the
    scrubbed text does."""
    scrubbed: dict[str, str | None] = {}  # this connection's: an ingest's
    functions = {
        "pw_asker_key": (lambda n, e, p: asker_key(key, n, e, p), [VARCHAR] * 3),
        "pw_scrub": (
            lambda text: None if text is None else remembered(scrubbed, text, _scrub_json, text),
            [VARCHAR],
        ),
        "pw_unparsed": (lambda text: text and describe_unparsed(text), [VARCHAR]),
    }
    for name, (function, parameters) in functions.items():
        with contextlib.suppress(duckdb.InvalidInputException):  # not registered yet
            con.remove_function(name)
        con.create_function(name, function, parameters, VARCHAR, null_handling="special")

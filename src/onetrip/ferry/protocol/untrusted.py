"""Reading what came over the boundary, where nothing is trusted until it is verified.

`parse_json` is the only JSON parser for documents from the other zone (and for the operator's
view of quarantined ones). It fails fast, with `JsonRefused` (a ValueError), on anything a hostile
sender could use to stop a receiver instead of being quarantined:

* text that is not UTF-8, or not JSON;
* nesting deeper than MAX_JSON_DEPTH, checked on the bytes before parsing (otherwise 100,000
  opening brackets raise RecursionError, and a depth just under the recursion limit parses but
  breaks whatever walks the value later);
* a number literal longer than MAX_NUMBER_CHARS characters (Python refuses to convert an integer of
  more than 4300 digits with a ValueError, and converting a long one is quadratic), a float that
  overflows to infinity, and NaN/Infinity, which are not JSON.

Legitimate documents are far inside these limits: a manifest nests two levels, an envelope with
its payload a handful; sequence numbers have twelve digits.

`printable` turns a name or text from such a document into bounded, printable ASCII (escapes for
everything else), fit for a database row, a log line and a page.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_JSON_DEPTH = 32
MAX_NUMBER_CHARS = 64

# A run of JSON strings (an unterminated one runs to the end) and bytes other than brackets, so
# that cutting every run leaves the brackets outside strings. Possessive quantifiers: no
# backtracking, linear time.
_NOT_BRACKET_RUN = re.compile(rb'(?:"[^"\\]*+(?:\\.[^"\\]*+)*+"?|[^"\[\]{}]++)++', re.DOTALL)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_ONE_BRACKET_KIND = bytes.maketrans(b"{}", b"[]")
_UNPRINTABLE = re.compile(r"[^\x20-\x5b\x5d-\x7e]")


class JsonRefused(ValueError):
    """Not a JSON document the ferry reads; the message says why (safe to record and log)."""


def nesting_problem(data: bytes, limit: int = MAX_JSON_DEPTH) -> str:
    """Why `data` cannot be JSON nested at most `limit` deep, or "" if it may be.

    Strings are cut out, then the brackets left are emptied one level per round (`[]` pairs
    removed; objects count like arrays): a balanced text needs exactly its depth in rounds, and
    each round is one pass at C speed."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return ""  # cannot nest deeper (whether balanced is the decoder's business)
    brackets = _NOT_BRACKET_RUN.sub(b"", data).translate(_ONE_BRACKET_KIND, _NOT_BRACKETS)
    for _ in range(limit):
        if not brackets:
            return ""
        shorter = brackets.replace(b"[]", b"")
        if len(shorter) == len(brackets):
            return "unbalanced brackets"
        brackets = shorter
    return f"nested deeper than {limit} levels" if brackets else ""


def _parse_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonRefused(f"a number longer than {MAX_NUMBER_CHARS} characters")
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonRefused(f"a number longer than {MAX_NUMBER_CHARS} characters")
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused("a number out of range")
    return value


def _refuse_constant(text: str) -> Any:
    raise JsonRefused(f"{text} is not JSON")


def parse_json(data: bytes) -> Any:
    """The JSON value of `data` (UTF-8), within the limits above; else JsonRefused.

    For a refusal by the JSON decoder itself the message is the decoder's error class
    (JSONDecodeError, UnicodeDecodeError), as the ferry has always recorded it."""
    problem = nesting_problem(data)
    if problem:
        raise JsonRefused(problem)
    try:
        return json.loads(
            data.decode("utf-8"),
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_refuse_constant,
        )
    except JsonRefused:
        raise
    except (ValueError, RecursionError, TypeError) as exc:
        raise JsonRefused(exc.__class__.__name__) from None


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x5C:
        return "\\\\"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str, limit: int = 200) -> str:
    """`text` as printable ASCII of at most `limit` characters: a backslash, control characters,
    anything beyond ASCII and lone surrogates (undecodable bytes of a file name) are escaped; a
    longer text is cut and ends with "..."."""
    escaped = _UNPRINTABLE.sub(_escape, text[:limit])
    if len(escaped) <= limit and len(text) <= limit:
        return escaped
    return escaped[: max(0, limit - 3)] + "..."

"""The ferry's one parser for documents from the other zone fails fast, with JsonRefused, on
anything that could stop a receiver instead of being quarantined (issue 8)."""

from __future__ import annotations

import pytest

from onetrip.ferry.protocol.batch import (
    BatchInvalid,
    verify_ack,
    verify_batch,
    verify_heartbeat,
    verify_reverse,
)
from onetrip.ferry.protocol.channels import PORTAL_TO_POLICE
from onetrip.ferry.protocol.untrusted import (
    MAX_JSON_DEPTH,
    MAX_NUMBER_CHARS,
    JsonRefused,
    nesting_problem,
    parse_json,
    printable,
)


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (nested(100_000), "nested deeper than"),
        (b"[" * 100_000, "unbalanced brackets"),
        (nested(MAX_JSON_DEPTH + 1), "nested deeper than"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "nested deeper than"),
        (b"[" + b"1" * 5_000 + b"]", "a number longer than"),
        (b"-" + b"9" * (MAX_NUMBER_CHARS + 1), "a number longer than"),
        (b"1." + b"5" * 5_000, "a number longer than"),
        (b"[1e999]", "out of range"),
        (b"[NaN]", "NaN is not JSON"),
        (b"[-Infinity]", "is not JSON"),
        (b"\xff\xfe[]", "UnicodeDecodeError"),
        (b"\x00[\x00]", "JSONDecodeError"),
        (b"", "JSONDecodeError"),
    ],
)
def test_hostile_json_is_refused(data: bytes, problem: str) -> None:
    with pytest.raises(JsonRefused, match=problem):
        parse_json(data)


def test_json_within_the_limits_parses() -> None:
    assert parse_json(nested(MAX_JSON_DEPTH)) is not None
    assert parse_json(b'{"s":"[[[[{{{{' + b"[" * 100 + b'\\"]]","n":123456789012}') == {
        "s": "[[[[{{{{" + "[" * 100 + '"]]',
        "n": 123456789012,
    }
    assert parse_json(b"[" + b"9" * MAX_NUMBER_CHARS + b"]") == [int("9" * MAX_NUMBER_CHARS)]
    assert parse_json(b"[1.5e3, -0.25]") == [1500.0, -0.25]


def test_brackets_inside_strings_do_not_count() -> None:
    assert nesting_problem(b'["' + b"[" * 1000 + b'"]') == ""
    assert (
        nesting_problem(b'["\\\\", ' + nested(40) + b"]")
        == f"nested deeper than {MAX_JSON_DEPTH} levels"
    )


def test_16_mb_of_brackets_or_quotes_is_refused() -> None:
    for data in (b"[]" * 8_000_000, b'"' * 16_000_000, nested(MAX_JSON_DEPTH) * 250_000):
        with pytest.raises(JsonRefused):
            parse_json(data)


@pytest.mark.parametrize(
    "body",
    [
        nested(100_000) + b"\n",
        b'{"format":"onetrip-ferry-ack/1","last_seq":' + b"1" * 5_000 + b"}\n",
        b'{"format":"onetrip-ferry-resend/1","missing":[1,' + b"1" * 5_000 + b"]}\n",
        b'{"format":"x","rejects":' + nested(900) + b"}\n",
        b'{"format":"\\ud800"}\n',
        b"\xff\n",
    ],
)
def test_every_verifier_raises_only_batch_invalid(body: bytes) -> None:
    """Whatever the bytes, verification ends in BatchInvalid: never ValueError, RecursionError
    or UnicodeError, which a receiver would not expect."""
    for verify in (
        lambda: verify_batch(channel=PORTAL_TO_POLICE, file_name="x.jsonl", body=body),
        lambda: verify_heartbeat(channel=PORTAL_TO_POLICE, body=body),
        lambda: verify_ack(channel=PORTAL_TO_POLICE, signer_channel="police_to_portal", body=body),
        lambda: verify_reverse(
            channel=PORTAL_TO_POLICE, signer_channel="police_to_portal", body=body
        ),
    ):
        with pytest.raises(BatchInvalid):
            verify()


def test_printable_escapes_and_bounds() -> None:
    assert printable("000000000001-ab.jsonl") == "000000000001-ab.jsonl"
    assert printable("a\\b") == "a\\\\b"
    assert printable("a\nb\x00c") == "a\\x0ab\\x00c"
    assert printable("\udcff中") == "\\udcff\\u4e2d"
    assert printable("x" * 500) == "x" * 197 + "..."
    assert len(printable("\x00" * 500)) == 200

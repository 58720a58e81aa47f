"""Regression: a truncated ack that still verified (found by the fault suite, seeds 4 and 5).

Acks, resend requests and heartbeats are one line of canonical JSON followed by a newline. The
gateway's "truncate" fault cuts a document at a random length; once in a few hundred times it cuts
off only the final newline. `json.loads` does not care, the signature covers the parsed fields, so
the sender accepted a document that was not the bytes the receiver wrote, and the fault suite
counted a tampered ack that was never quarantined. Batches were already strict (manifest line
canonical, trailing newline required); the reverse documents and heartbeats are now held to the same
rule: exactly `canonical_json(document) + b"\\n"`, nothing more or less.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from onetrip.ferry.protocol.batch import (
    BatchInvalid,
    build_ack,
    build_heartbeat,
    build_resend_request,
    verify_ack,
    verify_heartbeat,
    verify_resend_request,
    verify_reverse,
)
from onetrip.ferry.protocol.channels import POLICE_TO_PORTAL, PORTAL_TO_POLICE
from onetrip.ferry.protocol.signing import SigningKey, generate_key, load_signing_key

NOW = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def keys(tmp_path: Path, settings) -> dict[str, SigningKey]:
    settings.FERRY_KEYS_DIR = tmp_path
    for channel in (PORTAL_TO_POLICE, POLICE_TO_PORTAL):
        generate_key(channel, tmp_path)
    return {c: load_signing_key(c, tmp_path) for c in (PORTAL_TO_POLICE, POLICE_TO_PORTAL)}


def _ack(keys: dict[str, SigningKey]) -> bytes:
    _, body = build_ack(
        channel=PORTAL_TO_POLICE,
        receiver_zone="police",
        batch_id=uuid.uuid4(),
        batch_sha256="0" * 64,
        first_seq=1,
        last_seq=3,
        applied_through=3,
        rejects=[],
        acked_at=NOW,
        key=keys[POLICE_TO_PORTAL],
    )
    return body


def _resend(keys: dict[str, SigningKey]) -> bytes:
    _, body = build_resend_request(
        channel=PORTAL_TO_POLICE,
        receiver_zone="police",
        first=4,
        last=9,
        applied_through=3,
        requested_at=NOW,
        key=keys[POLICE_TO_PORTAL],
    )
    return body


def _heartbeat(keys: dict[str, SigningKey]) -> bytes:
    _, body = build_heartbeat(
        channel=PORTAL_TO_POLICE,
        sender_zone="portal",
        last_seq=3,
        last_seq_sent=3,
        applied_through=0,
        sent_at=NOW,
        key=keys[PORTAL_TO_POLICE],
    )
    return body


def _verify_ack(body: bytes) -> object:
    return verify_ack(channel=PORTAL_TO_POLICE, signer_channel=POLICE_TO_PORTAL, body=body)


def _verify_resend(body: bytes) -> object:
    return verify_resend_request(
        channel=PORTAL_TO_POLICE, signer_channel=POLICE_TO_PORTAL, body=body
    )


def _verify_reverse(body: bytes) -> object:
    return verify_reverse(channel=PORTAL_TO_POLICE, signer_channel=POLICE_TO_PORTAL, body=body)


def _verify_heartbeat(body: bytes) -> object:
    return verify_heartbeat(channel=PORTAL_TO_POLICE, body=body)


CASES: list[tuple[str, Callable[..., bytes], Callable[[bytes], object]]] = [
    ("ack", _ack, _verify_ack),
    ("ack-as-reverse", _ack, _verify_reverse),
    ("resend", _resend, _verify_resend),
    ("resend-as-reverse", _resend, _verify_reverse),
    ("heartbeat", _heartbeat, _verify_heartbeat),
]

VARIANTS: list[tuple[str, Callable[[bytes], bytes]]] = [
    ("newline cut off", lambda body: body[:-1]),
    ("CRLF", lambda body: body[:-1] + b"\r\n"),
    ("two newlines", lambda body: body + b"\n"),
    ("leading space", lambda body: b" " + body),
    ("space after a comma", lambda body: body.replace(b",", b", ", 1)),
    ("keys reordered", lambda body: _reorder(body)),
]


def _reorder(body: bytes) -> bytes:
    import json

    document = json.loads(body)
    reordered = dict(reversed(list(document.items())))
    return json.dumps(reordered, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


@pytest.mark.parametrize(("kind", "build", "verify"), CASES, ids=[c[0] for c in CASES])
def test_genuine_document_verifies(keys, kind, build, verify) -> None:
    verify(build(keys))


@pytest.mark.parametrize(("variant", "change"), VARIANTS, ids=[v[0] for v in VARIANTS])
@pytest.mark.parametrize(("kind", "build", "verify"), CASES, ids=[c[0] for c in CASES])
def test_non_canonical_spelling_of_a_signed_document_is_invalid(
    keys, kind, build, verify, variant, change
) -> None:
    genuine = build(keys)
    altered = change(genuine)
    assert altered != genuine
    with pytest.raises(BatchInvalid, match=r"canonical|not JSON|truncated"):
        verify(altered)

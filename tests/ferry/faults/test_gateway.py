"""The fault suite's gateway on its own (no database, no agents): routes, faults, accounting."""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path

from .gateway import FaultRates, Gateway, malleable_signature_flip, misname, sha256

NAME = "000000000007-0b7c2a4e-95a3-4c1e-9a77-2f1f0f0f0f0f.jsonl"
SIGNATURE = base64.b64encode(bytes(range(64))).decode()
BODY = (
    json.dumps({"first_seq": 7, "signature": SIGNATURE}, separators=(",", ":")).encode()
    + b"\n"
    + b'{"payload":"x"}\n'
)
CALM = FaultRates(drop=0, duplicate=0, delay=0, bitflip=0, truncate=0, misname=0)


def _gateway(tmp_path: Path, rates: FaultRates, seed: int = 1) -> Gateway:
    roots = {"portal": tmp_path / "A", "police": tmp_path / "B"}
    return Gateway(roots, random.Random(seed), rates)


def _write(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


def test_routes_carry_batches_to_the_receiver_and_acks_back(tmp_path: Path) -> None:
    gateway = _gateway(tmp_path, CALM)
    routes = {(r.channel, r.kind): (r.source, r.target) for r in gateway.routes()}
    a, b = tmp_path / "A", tmp_path / "B"
    p2p, p2o = "portal_to_police", "police_to_portal"
    assert routes == {
        (p2p, "batches"): (a / p2p / "batches", b / p2p / "batches"),
        (p2p, "acks"): (b / p2p / "acks", a / p2p / "acks"),
        (p2o, "batches"): (b / p2o / "batches", a / p2o / "batches"),
        (p2o, "acks"): (a / p2o / "acks", b / p2o / "acks"),
    }


def test_calm_gateway_moves_documents_untouched(tmp_path: Path) -> None:
    gateway = _gateway(tmp_path, CALM)
    _write(tmp_path / "A/portal_to_police/batches" / NAME, BODY)
    _write(tmp_path / "A/portal_to_police/batches/.hidden.tmp", b"partial")
    assert gateway.step() == 2  # taken, delivered
    assert (tmp_path / "B/portal_to_police/batches" / NAME).read_bytes() == BODY
    assert not (tmp_path / "A/portal_to_police/batches" / NAME).exists()
    assert (tmp_path / "A/portal_to_police/batches/.hidden.tmp").exists()  # never carried
    assert gateway.tampered == [] and gateway.idle()


def test_tampered_copy_replaces_the_document_and_is_recorded(tmp_path: Path) -> None:
    gateway = _gateway(tmp_path, FaultRates(drop=0, duplicate=0, delay=0, bitflip=1.0))
    _write(tmp_path / "A/portal_to_police/batches" / NAME, BODY)
    gateway.step()
    delivered = (tmp_path / "B/portal_to_police/batches" / NAME).read_bytes()
    assert delivered != BODY and len(delivered) == len(BODY)
    [tamper] = gateway.tampered
    assert (tamper.channel, tamper.kind, tamper.name, tamper.fault) == (
        "portal_to_police",
        "batches",
        NAME,
        "bitflip",
    )
    assert tamper.sha256 == sha256(delivered)


def test_a_waiting_document_is_never_overwritten_by_a_different_one(tmp_path: Path) -> None:
    gateway = _gateway(tmp_path, FaultRates(drop=0, duplicate=0, delay=0, truncate=1.0))
    target = tmp_path / "B/portal_to_police/batches" / NAME
    _write(target, BODY)  # parked at the receiver
    _write(tmp_path / "A/portal_to_police/batches" / NAME, BODY)
    gateway.step()
    assert target.read_bytes() == BODY and len(gateway.held) == 1 and not gateway.tampered
    target.unlink()  # the receiver consumed it
    gateway.clock = lambda: float("inf")
    gateway.step()
    assert target.read_bytes() != BODY and len(gateway.tampered) == 1


def test_duplicates_and_delays_deliver_later(tmp_path: Path) -> None:
    now = [0.0]
    gateway = _gateway(tmp_path, FaultRates(drop=0, duplicate=1.0, delay=0, max_delay=1.0))
    gateway.clock = lambda: now[0]
    _write(tmp_path / "A/portal_to_police/batches" / NAME, BODY)
    gateway.step()
    target = tmp_path / "B/portal_to_police/batches" / NAME
    assert target.read_bytes() == BODY and len(gateway.held) == 1
    target.unlink()
    now[0] = 2.0
    gateway.step()
    assert target.read_bytes() == BODY and gateway.idle()


def test_malleable_flip_keeps_the_decoded_signature() -> None:
    forged = malleable_signature_flip(BODY)
    assert forged != BODY
    signature = json.loads(forged.split(b"\n")[0])["signature"]
    assert signature != SIGNATURE
    assert base64.b64decode(signature, validate=True) == base64.b64decode(SIGNATURE)


def test_misname_keeps_the_batch_id_and_changes_the_sequence() -> None:
    other = misname(NAME, random.Random(3))
    assert other != NAME and other.endswith(NAME[12:]) and other[:12].isdigit()

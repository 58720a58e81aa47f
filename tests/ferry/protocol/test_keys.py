"""Keys (DESIGN §3): rotation without downtime by key id, retired/unknown/other-channel keys
refused with distinct reasons and alarms, and the optional encryption of batch bodies."""

from __future__ import annotations

import base64
import json
import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from onetrip.ferry.agent.loop import run_once
from onetrip.ferry.operations.status import zone_status
from onetrip.ferry.protocol.channels import POLICE_TO_PORTAL, PORTAL_TO_POLICE
from onetrip.ferry.protocol.sealing import generate_encryption_key
from onetrip.ferry.protocol.signing import (
    FerryKeyError,
    SigningKey,
    generate_key,
    key_ids,
    known_public_keys,
    load_signing_key,
    retire_key,
    rotate_key,
    stage_key,
)
from onetrip.police.ferrybox import models as police_box

from ..helpers import FerryEnv, forged_batch, pump
from ..pingpong import send_pings

DB = pytest.mark.django_db(databases=["default", "police"], transaction=True)


def police_pings() -> int:
    return police_box.InboxMessage.objects.filter(message_type="test.ping").count()


def manifest_of(doc) -> dict:
    return json.loads(doc.read_bytes().split(b"\n", 1)[0])


@DB
def test_rotation_without_downtime(ferry_env: FerryEnv) -> None:
    old = load_signing_key(PORTAL_TO_POLICE).key_id
    send_pings("portal", 1)
    run_once("portal")  # a batch signed with the old key is in flight

    staged = stage_key(PORTAL_TO_POLICE)
    assert staged in known_public_keys(PORTAL_TO_POLICE)  # trusted before it is used
    assert load_signing_key(PORTAL_TO_POLICE).key_id == old
    assert rotate_key(PORTAL_TO_POLICE) == (old, staged)
    assert load_signing_key(PORTAL_TO_POLICE).key_id == staged
    assert oct(os.stat(ferry_env.keys / f"{PORTAL_TO_POLICE}.key").st_mode & 0o777) == "0o600"
    ids = key_ids(PORTAL_TO_POLICE)
    assert (ids.current, ids.trusted, ids.retired, ids.staged) == (
        staged,
        sorted([old, staged]),
        [],
        [],
    )

    send_pings("portal", 1, start=1)
    run_once("portal")
    assert [manifest_of(d)["key_id"] for d in ferry_env.batches(PORTAL_TO_POLICE)] == [old, staged]
    assert run_once("police").batches_applied == 2  # both keys trusted: no downtime
    pump()

    assert retire_key(old) == [PORTAL_TO_POLICE]
    assert old not in known_public_keys(PORTAL_TO_POLICE)
    assert key_ids(PORTAL_TO_POLICE).retired == [old]
    status = zone_status("police")
    assert status.current_key_ids[PORTAL_TO_POLICE] == staged
    assert status.retired_key_ids[PORTAL_TO_POLICE] == [old]
    with pytest.raises(FerryKeyError):
        retire_key(staged)  # the current key: rotate first


@DB
def test_batch_signed_with_a_retired_key_is_quarantined(ferry_env: FerryEnv) -> None:
    old_key = load_signing_key(PORTAL_TO_POLICE)
    rotate_key(PORTAL_TO_POLICE)
    retire_key(old_key.key_id)
    name, body = forged_batch(old_key, channel=PORTAL_TO_POLICE, first_seq=1)
    ferry_env.deliver(PORTAL_TO_POLICE, name, body)
    assert run_once("police").quarantined == 1
    reason = police_box.QuarantinedBatch.objects.get().reason
    assert reason.startswith("retired key id") and old_key.key_id in reason
    alarm = police_box.Alarm.objects.get()
    assert (alarm.kind, alarm.key) == ("key_retired", name)
    assert police_pings() == 0
    status = zone_status("police")
    assert status.quarantine_reasons == {reason: 1}
    assert [a.kind for a in status.open_alarms] == ["key_retired"]


@DB
def test_unknown_and_other_channel_keys_have_distinct_reasons(
    ferry_env: FerryEnv, tmp_path
) -> None:
    generate_key(PORTAL_TO_POLICE, tmp_path / "rogue")
    rogue = load_signing_key(PORTAL_TO_POLICE, tmp_path / "rogue")
    name, body = forged_batch(rogue, channel=PORTAL_TO_POLICE, first_seq=1)
    ferry_env.deliver(PORTAL_TO_POLICE, name, body)
    run_once("police")

    police_key = load_signing_key(POLICE_TO_PORTAL)
    misused = SigningKey(
        channel=PORTAL_TO_POLICE, key_id=police_key.key_id, private_key=police_key.private_key
    )
    name2, body2 = forged_batch(misused, channel=PORTAL_TO_POLICE, first_seq=1)
    ferry_env.deliver(PORTAL_TO_POLICE, name2, body2)
    run_once("police")

    reasons = {r.file_name: r.reason for r in police_box.QuarantinedBatch.objects.all()}
    assert reasons[name].startswith("unknown key id")
    assert reasons[name2].startswith("wrong channel key")
    assert POLICE_TO_PORTAL in reasons[name2]
    kinds = {a.key: a.kind for a in police_box.Alarm.objects.all()}
    assert kinds == {name: "key_unknown", name2: "key_wrong_channel"}


@DB
def test_batch_for_the_wrong_channel_raises_its_own_alarm(ferry_env: FerryEnv) -> None:
    send_pings("portal", 1)
    run_once("portal")
    [doc] = ferry_env.batches(PORTAL_TO_POLICE)
    ferry_env.deliver(POLICE_TO_PORTAL, doc.name, doc.read_bytes())
    doc.unlink()
    assert run_once("portal").quarantined == 1
    assert [a.kind for a in zone_status("portal").open_alarms] == ["wrong_channel"]


@DB
def test_rotate_and_retire_commands(ferry_env: FerryEnv) -> None:
    old = load_signing_key(PORTAL_TO_POLICE).key_id
    out = StringIO()
    call_command("ferry", "rotate", "--zone-name", "portal", "--stage", stdout=out)
    [staged] = key_ids(PORTAL_TO_POLICE).staged
    assert f"staged key_id={staged}" in out.getvalue()
    out = StringIO()
    call_command("ferry", "rotate", "--zone-name", "portal", "--key-id", staged, stdout=out)
    assert f"rotated {old} -> {staged}" in out.getvalue()
    out = StringIO()
    call_command("ferry", "retire", "--key-id", old, stdout=out)
    assert f"{PORTAL_TO_POLICE}: 已停用 retired {old}" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("ferry", "retire", "--key-id", old)  # nothing trusted left to retire
    with pytest.raises(CommandError):
        call_command("ferry", "retire", "--key-id", staged)  # current
    # A rotation without a staged key makes a fresh one.
    call_command("ferry", "rotate", "--zone-name", "portal", stdout=StringIO())
    assert load_signing_key(PORTAL_TO_POLICE).key_id not in (old, staged)
    send_pings("portal", 1)
    pump()
    assert police_pings() == 1


@DB
def test_keygen_creates_decryption_keys_only_when_asked(ferry_env, settings, tmp_path) -> None:
    settings.FERRY_KEYS_DIR = tmp_path / "fresh"
    out = StringIO()
    call_command("ferry", "keygen", "--zone-name", "police", "--encryption", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"{POLICE_TO_PORTAL}: key_id=")
    assert lines[1].startswith(f"{PORTAL_TO_POLICE}: x25519 key_id=")  # police receives on it
    assert oct(os.stat(tmp_path / "fresh" / f"{PORTAL_TO_POLICE}.x25519.key").st_mode)[-3:] == (
        "600"
    )
    out = StringIO()
    call_command("ferry", "keygen", "--zone-name", "portal", stdout=out)
    assert "x25519" not in out.getvalue()


@DB
@pytest.mark.parametrize("encrypt", [False, True])
def test_round_trip_with_and_without_encryption(
    ferry_env: FerryEnv, settings, encrypt: bool
) -> None:
    settings.FERRY_ENCRYPT = encrypt
    for channel in (PORTAL_TO_POLICE, POLICE_TO_PORTAL):
        generate_encryption_key(channel)
    send_pings("portal", 3)
    run_once("portal")
    [doc] = ferry_env.batches(PORTAL_TO_POLICE)
    body = doc.read_bytes()
    manifest = json.loads(body.split(b"\n", 1)[0])
    assert ("encryption" in manifest) is encrypt
    assert (b"ping-0" in body) is not encrypt  # the envelopes are sealed
    if encrypt:
        assert len(body.splitlines()) == 2
        assert manifest["encryption"]["alg"] == "X25519-HKDF-SHA256-AES256GCM"
        assert manifest["message_count"] == 3 and len(manifest["message_sha256"]) == 3
    pump()
    assert police_pings() == 3
    assert zone_status("portal").encrypt is encrypt


def _flip_ciphertext(body: bytes) -> bytes:
    manifest, line = body.rstrip(b"\n").split(b"\n")
    raw = bytearray(base64.b64decode(line))
    raw[5] ^= 0x01
    return manifest + b"\n" + base64.b64encode(bytes(raw)) + b"\n"


def _fix_ciphertext_hash(body: bytes) -> bytes:
    """Tamper with the ciphertext and fix its hash: the signature no longer matches."""
    import hashlib

    manifest_line, line = body.rstrip(b"\n").split(b"\n")
    raw = bytearray(base64.b64decode(line))
    raw[5] ^= 0x01
    line = base64.b64encode(bytes(raw))
    manifest = json.loads(manifest_line)
    manifest["encryption"]["ciphertext_sha256"] = hashlib.sha256(line).hexdigest()
    manifest_line = json.dumps(
        manifest, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode()
    return manifest_line + b"\n" + line + b"\n"


@DB
@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (_flip_ciphertext, "ciphertext hash mismatch"),
        (_fix_ciphertext_hash, "bad signature"),
        (lambda body: body.split(b"\n")[0] + b"\n", "not 1"),
    ],
)
def test_tampered_encrypted_batch_is_quarantined(
    ferry_env: FerryEnv, settings, tamper, reason: str
) -> None:
    settings.FERRY_ENCRYPT = True
    generate_encryption_key(PORTAL_TO_POLICE)
    send_pings("portal", 2)
    run_once("portal")
    [doc] = ferry_env.batches(PORTAL_TO_POLICE)
    doc.write_bytes(tamper(doc.read_bytes()))
    assert run_once("police").quarantined == 1
    assert reason in police_box.QuarantinedBatch.objects.get().reason
    assert police_pings() == 0


@DB
def test_encrypted_batch_without_the_receivers_key_waits_for_it(
    ferry_env: FerryEnv, settings, tmp_path
) -> None:
    settings.FERRY_ENCRYPT = True
    generate_encryption_key(PORTAL_TO_POLICE)
    generate_encryption_key(POLICE_TO_PORTAL)
    send_pings("portal", 1)
    run_once("portal")
    # The receiver lost its decryption key (say, a new host before the key was copied).
    key = ferry_env.keys / f"{PORTAL_TO_POLICE}.x25519.key"
    saved = key.read_bytes()
    key.unlink()
    assert run_once("police").quarantined == 1
    assert "cannot decrypt" in police_box.QuarantinedBatch.objects.get().reason
    key.write_bytes(saved)
    settings.FERRY_RESEND_AFTER_SECONDS = 0
    run_once("portal")
    assert run_once("police").batches_applied == 1
    assert police_box.Alarm.objects.get().cleared_at is not None

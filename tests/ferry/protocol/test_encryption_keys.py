"""Rotation of the X25519 encryption key without downtime: the receiving zone keeps decrypting
with every previous key until it is retired, the sender seals to whatever public key it holds,
and a batch sealed to a retired or unknown key is quarantined, never applied."""

from __future__ import annotations

import json
import os
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from onetrip.ferry.agent.loop import run_once
from onetrip.ferry.operations.quarantined import CATEGORY_DECRYPT, classify_reason
from onetrip.ferry.operations.status import format_status, zone_status
from onetrip.ferry.protocol.channels import POLICE_TO_PORTAL, PORTAL_TO_POLICE
from onetrip.ferry.protocol.sealing import (
    encryption_key_ids,
    generate_encryption_key,
    load_decryption_key,
    retire_encryption_key,
    rotate_encryption_key,
    stage_encryption_key,
)
from onetrip.ferry.protocol.signing import FerryKeyError, load_signing_key
from onetrip.police.ferrybox import models as police_box

from ..helpers import FerryEnv, pump
from ..pingpong import send_pings

DB = pytest.mark.django_db(databases=["default", "police"], transaction=True)


@pytest.fixture
def sealed(ferry_env: FerryEnv, settings) -> FerryEnv:
    """Encryption on, both receiving zones with a decryption key (the keys dir is shared by both
    zones in the tests, so the sender sees each `<channel>.x25519.pub` at once)."""
    settings.FERRY_ENCRYPT = True
    for channel in (PORTAL_TO_POLICE, POLICE_TO_PORTAL):
        generate_encryption_key(channel)
    return ferry_env


def police_pings() -> int:
    return police_box.InboxMessage.objects.filter(message_type="test.ping").count()


def recipients(env: FerryEnv, channel: str = PORTAL_TO_POLICE) -> list[str]:
    """The encryption key id each pending batch of `channel` is sealed to, in sequence order."""
    return [
        json.loads(doc.read_bytes().split(b"\n", 1)[0])["encryption"]["recipient_key_id"]
        for doc in env.batches(channel)
    ]


def mode(path: Path) -> str:
    return oct(os.stat(path).st_mode & 0o777)


@DB
def test_round_trip_after_rotation(sealed: FerryEnv) -> None:
    old = load_decryption_key(PORTAL_TO_POLICE)[0]
    assert rotate_encryption_key(PORTAL_TO_POLICE)[0] == old
    new = load_decryption_key(PORTAL_TO_POLICE)[0]
    assert new != old
    assert mode(sealed.keys / f"{PORTAL_TO_POLICE}.x25519.key") == "0o600"
    assert mode(sealed.keys / f"{PORTAL_TO_POLICE}.x25519" / f"{old}.key") == "0o600"
    ids = encryption_key_ids(PORTAL_TO_POLICE)
    assert (ids.current, ids.accepted, ids.staged, ids.retired) == (
        new,
        sorted([old, new]),
        [],
        [],
    )

    send_pings("portal", 2)
    run_once("portal")
    assert recipients(sealed) == [new]  # the sender seals to the current public key
    pump()
    assert police_pings() == 2


@DB
def test_batch_sealed_to_the_old_key_still_applies_after_rotation(sealed: FerryEnv) -> None:
    old = load_decryption_key(PORTAL_TO_POLICE)[0]
    send_pings("portal", 1)
    run_once("portal")  # sealed to the old key, in flight during the rotation
    _old, new = rotate_encryption_key(PORTAL_TO_POLICE)
    send_pings("portal", 1, start=1)
    run_once("portal")
    assert recipients(sealed) == [old, new]
    report = run_once("police")
    assert (report.batches_applied, report.quarantined) == (2, 0)
    assert police_pings() == 2


@DB
def test_resend_sealed_to_the_old_key_still_applies_after_rotation(
    sealed: FerryEnv, settings
) -> None:
    old = load_decryption_key(PORTAL_TO_POLICE)[0]
    send_pings("portal", 1)
    run_once("portal")
    [doc] = sealed.batches(PORTAL_TO_POLICE)
    doc.unlink()  # lost on the way
    rotate_encryption_key(PORTAL_TO_POLICE)
    settings.FERRY_RESEND_AFTER_SECONDS = 0
    run_once("portal")  # resends the stored bytes, sealed to the old key
    assert recipients(sealed) == [old]
    assert run_once("police").batches_applied == 1
    assert police_pings() == 1


@DB
def test_staged_key_decrypts_before_it_is_current(sealed: FerryEnv) -> None:
    current = load_decryption_key(PORTAL_TO_POLICE)[0]
    staged = stage_encryption_key(PORTAL_TO_POLICE)
    assert encryption_key_ids(PORTAL_TO_POLICE).staged == [staged]
    # The operator gives the sender the staged public key first.
    shutil.copy(
        sealed.keys / f"{PORTAL_TO_POLICE}.x25519" / "staged" / f"{staged}.pub",
        sealed.keys / f"{PORTAL_TO_POLICE}.x25519.pub",
    )
    send_pings("portal", 1)
    run_once("portal")
    assert recipients(sealed) == [staged]
    assert run_once("police").batches_applied == 1
    assert load_decryption_key(PORTAL_TO_POLICE)[0] == current
    assert rotate_encryption_key(PORTAL_TO_POLICE) == (current, staged)
    assert encryption_key_ids(PORTAL_TO_POLICE).staged == []


@DB
def test_batch_sealed_to_a_retired_key_is_quarantined(sealed: FerryEnv) -> None:
    old = load_decryption_key(PORTAL_TO_POLICE)[0]
    send_pings("portal", 1)
    run_once("portal")  # sealed to the old key
    rotate_encryption_key(PORTAL_TO_POLICE)
    assert retire_encryption_key(old) == [PORTAL_TO_POLICE]
    assert not (sealed.keys / f"{PORTAL_TO_POLICE}.x25519" / f"{old}.key").exists()
    assert (sealed.keys / f"{PORTAL_TO_POLICE}.x25519" / "retired" / f"{old}.pub").exists()
    assert old not in encryption_key_ids(PORTAL_TO_POLICE).accepted

    assert run_once("police").quarantined == 1
    assert police_pings() == 0
    reason = police_box.QuarantinedBatch.objects.get().reason
    assert reason.startswith("cannot decrypt: sealed to encryption key")
    assert old in reason and "retired" in reason
    assert classify_reason(reason) == CATEGORY_DECRYPT
    alarm = police_box.Alarm.objects.get()
    assert alarm.kind == "key_retired"
    status = zone_status("police")
    assert status.retired_decryption_key_ids == [old]
    assert old not in status.accepted_decryption_key_ids


@DB
def test_batch_sealed_to_an_unknown_key_is_quarantined(sealed: FerryEnv, tmp_path) -> None:
    real_pub = sealed.keys / f"{PORTAL_TO_POLICE}.x25519.pub"
    saved = real_pub.read_bytes()
    rogue_id, _created = generate_encryption_key(PORTAL_TO_POLICE, tmp_path / "rogue")
    shutil.copy(tmp_path / "rogue" / f"{PORTAL_TO_POLICE}.x25519.pub", real_pub)
    send_pings("portal", 1)
    run_once("portal")
    assert recipients(sealed) == [rogue_id]
    real_pub.write_bytes(saved)

    assert run_once("police").quarantined == 1
    assert police_pings() == 0
    reason = police_box.QuarantinedBatch.objects.get().reason
    assert reason.startswith("cannot decrypt:") and "does not hold" in reason
    assert classify_reason(reason) == CATEGORY_DECRYPT
    assert police_box.Alarm.objects.get().kind == "quarantine"  # as before rotation existed


def test_current_key_cannot_be_retired(tmp_path) -> None:
    generate_encryption_key(PORTAL_TO_POLICE, tmp_path)
    current = load_decryption_key(PORTAL_TO_POLICE, tmp_path)[0]
    with pytest.raises(FerryKeyError):
        retire_encryption_key(current, tmp_path)
    assert retire_encryption_key("0" * 16, tmp_path) == []
    assert retire_encryption_key("../../etc", tmp_path) == []
    with pytest.raises(FerryKeyError):
        rotate_encryption_key(POLICE_TO_PORTAL, tmp_path)  # no decryption key to rotate


@DB
def test_rotate_and_retire_encryption_commands(sealed: FerryEnv) -> None:
    signing = {c: load_signing_key(c).key_id for c in (PORTAL_TO_POLICE, POLICE_TO_PORTAL)}
    old = load_decryption_key(PORTAL_TO_POLICE)[0]
    out = StringIO()
    call_command("ferry", "rotate", "--zone-name", "police", "--encryption", "--stage", stdout=out)
    [staged] = encryption_key_ids(PORTAL_TO_POLICE).staged
    assert f"staged x25519 key_id={staged}" in out.getvalue()
    out = StringIO()
    call_command("ferry", "status", "--zone-name", "police", stdout=out)
    [line] = [x for x in out.getvalue().splitlines() if x.startswith("加密 encryption")]
    assert f"from {old}" in line
    assert f"可解密 accepted {', '.join(sorted([old, staged]))}" in line
    assert f"待用 staged {staged}" in line

    out = StringIO()
    call_command(
        "ferry", "rotate", "--zone-name", "police", "--encryption", "--key-id", staged, stdout=out
    )
    assert f"rotated x25519 {old} -> {staged}" in out.getvalue()
    assert load_decryption_key(PORTAL_TO_POLICE)[0] == staged

    send_pings("portal", 1)
    pump()
    assert police_pings() == 1

    out = StringIO()
    call_command(
        "ferry", "retire", "--zone-name", "police", "--encryption", "--key-id", old, stdout=out
    )
    assert f"{PORTAL_TO_POLICE}: 已停用加密密钥 retired x25519 {old}" in out.getvalue()
    with pytest.raises(CommandError):  # nothing left to retire
        call_command("ferry", "retire", "--encryption", "--key-id", old)
    with pytest.raises(CommandError):  # the current key: rotate first
        call_command("ferry", "retire", "--encryption", "--key-id", staged)
    with pytest.raises(CommandError):
        call_command("ferry", "retire", "--encryption")
    out = StringIO()
    call_command("ferry", "status", "--zone-name", "police", stdout=out)
    assert f"停用 retired {old}" in out.getvalue()

    # A rotation without a staged key makes a fresh one; the signing keys never move.
    call_command("ferry", "rotate", "--zone-name", "police", "--encryption", stdout=StringIO())
    assert load_decryption_key(PORTAL_TO_POLICE)[0] not in (old, staged)
    assert {c: load_signing_key(c).key_id for c in signing} == signing
    send_pings("portal", 1, start=1)
    pump()
    assert police_pings() == 2

    details = list(
        police_box.FerryEvent.objects.filter(step="key_changed")
        .order_by("pk")
        .values_list("detail", flat=True)
    )
    assert details[:3] == [
        f"x25519 staged {staged}",
        f"x25519 rotated {old}>{staged}",
        f"x25519 retired {old}",
    ]
    assert "x25519 rotated" in details[3]


@DB
def test_status_lists_decryption_key_ids(sealed: FerryEnv) -> None:
    old = load_decryption_key(PORTAL_TO_POLICE)[0]
    _old, new = rotate_encryption_key(PORTAL_TO_POLICE)
    status = zone_status("police")
    assert status.decryption_key_id == new
    assert status.accepted_decryption_key_ids == sorted([old, new])
    assert status.retired_decryption_key_ids == []
    assert status.encryption_key_id == load_decryption_key(POLICE_TO_PORTAL)[0]
    # The portal only receives on the other channel: it lists that channel's key alone.
    assert zone_status("portal").accepted_decryption_key_ids == [
        load_decryption_key(POLICE_TO_PORTAL)[0]
    ]
    assert "可解密 accepted" in format_status(status)

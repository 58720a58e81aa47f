"""Operator actions on quarantined ferry documents: inspect, release, discard."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from onetrip.ferry.agent.alarms import open_alarms
from onetrip.ferry.agent.loop import run_once
from onetrip.ferry.operations import actions, errors, quarantined
from onetrip.ferry.operations.status import format_status, zone_status
from onetrip.ferry.protocol.channels import POLICE_TO_PORTAL, PORTAL_TO_POLICE
from onetrip.ferry.protocol.signing import generate_key, load_signing_key
from onetrip.police.ferrybox import models as police_box
from onetrip.portal.ferrybox import models as portal_box

from ..helpers import FerryEnv, pump
from ..pingpong import send_pings

DB = pytest.mark.django_db(databases=["default", "police"], transaction=True)


def switch_portal_to_an_untrusted_key(env: FerryEnv, tmp_path: Path) -> tuple[str, Path]:
    """The portal starts signing with a new key whose public half the police zone lacks.

    Returns the new key id and where its public key is, for the test to install later."""
    new_dir = tmp_path / "new-keys"
    key_id, _ = generate_key(PORTAL_TO_POLICE, new_dir)
    (env.keys / f"{PORTAL_TO_POLICE}.key").unlink()
    shutil.copy(new_dir / f"{PORTAL_TO_POLICE}.key", env.keys / f"{PORTAL_TO_POLICE}.key")
    assert load_signing_key(PORTAL_TO_POLICE).key_id == key_id
    return key_id, new_dir / f"{PORTAL_TO_POLICE}.pub"


def police_ping_ids() -> list[str]:
    return sorted(
        str(m)
        for m in police_box.InboxMessage.objects.filter(message_type="test.ping").values_list(
            "message_id", flat=True
        )
    )


def quarantine_untrusted_batch(env: FerryEnv, tmp_path: Path) -> tuple[str, Path, list[str]]:
    key_id, new_pub = switch_portal_to_an_untrusted_key(env, tmp_path)
    ids = send_pings("portal", 2)  # payload text "你好 ferry" stands for personal data
    run_once("portal")
    assert run_once("police").quarantined == 1
    return key_id, new_pub, ids


@DB
def test_quarantined_batches_lists_a_safe_summary_without_payloads(
    ferry_env: FerryEnv, tmp_path
) -> None:
    key_id, _, _ = quarantine_untrusted_batch(ferry_env, tmp_path)
    [item] = quarantined.quarantined_batches("police")
    row = police_box.QuarantinedBatch.objects.get()
    assert item.id == row.pk
    assert item.channel == PORTAL_TO_POLICE
    assert item.kind == "batch"
    assert item.file_name == row.file_name
    assert "unknown key id" in item.reason
    assert item.category == quarantined.CATEGORY_UNKNOWN_KEY
    assert not item.is_security_alarm
    assert item.size == len(bytes(row.raw))
    assert item.times_seen == 1
    assert item.first_seen_at and item.last_seen_at

    summary = item.summary
    assert summary.readable
    assert (summary.first_seq, summary.last_seq, summary.message_count) == (1, 2, 2)
    assert summary.key_id == key_id
    assert summary.zone == "portal"
    assert summary.channel == PORTAL_TO_POLICE
    assert summary.batch_id in item.file_name
    assert summary.message_lines == 2 and summary.unreadable_lines == 0
    assert [(t.message_type, t.version, t.count) for t in summary.message_types] == [
        ("test.ping", 1, 2)
    ]
    shown = repr(item)
    for secret in ("你好", "C000000", "ping-0", "test ping"):
        assert secret not in shown
    assert quarantined.quarantined_batch("police", item.id) == item


@DB
def test_release_after_trusting_the_new_key_applies_exactly_once(
    ferry_env: FerryEnv, tmp_path, settings
) -> None:
    _, new_pub, ids = quarantine_untrusted_batch(ferry_env, tmp_path)
    row = police_box.QuarantinedBatch.objects.get()
    original = bytes(row.raw)

    # Released before the cause is fixed: verified again, quarantined again, nothing applied.
    result = actions.quarantine_release(
        zone="police", quarantine_id=row.pk, actor="admin", reason="retry once"
    )
    assert result.put_back and result.action == "release"
    assert [p.read_bytes() for p in ferry_env.batches(PORTAL_TO_POLICE)] == [original]
    assert not police_box.QuarantinedBatch.objects.filter(pk=row.pk).exists()
    assert run_once("police").quarantined == 1
    assert police_ping_ids() == []

    # Trust the key, release again: applied, acknowledged, gone from the quarantine.
    shutil.copy(new_pub, ferry_env.keys / f"{PORTAL_TO_POLICE}.rotated.pub")
    again = police_box.QuarantinedBatch.objects.get()
    actions.quarantine_release(
        zone="police", quarantine_id=again.pk, actor="admin", reason="key now trusted"
    )
    pump()
    assert police_ping_ids() == sorted(ids)
    assert not police_box.QuarantinedBatch.objects.exists()
    assert not portal_box.SentBatch.objects.filter(acked_at__isnull=True).exists()

    # A late resend of the same bytes and a second copy change nothing.
    settings.FERRY_RESEND_AFTER_SECONDS = 0
    ferry_env.deliver(PORTAL_TO_POLICE, row.file_name, original)
    pump()
    assert police_ping_ids() == sorted(ids)
    assert police_box.InboxMessage.objects.filter(message_type="test.ping").count() == 2


@DB
def test_release_calls_on_done_inside_the_transaction_and_rolls_back_on_error(
    ferry_env: FerryEnv, tmp_path
) -> None:
    quarantine_untrusted_batch(ferry_env, tmp_path)
    row = police_box.QuarantinedBatch.objects.get()
    seen: list[actions.QuarantineAction] = []

    def failing_audit(result: actions.QuarantineAction) -> None:
        seen.append(result)
        raise RuntimeError("audit log unavailable")

    with pytest.raises(RuntimeError):
        actions.quarantine_discard(
            zone="police",
            quarantine_id=row.pk,
            actor="admin",
            reason="not ours",
            on_done=failing_audit,
        )
    assert [r.quarantine_id for r in seen] == [row.pk]
    assert police_box.QuarantinedBatch.objects.filter(pk=row.pk).exists()


@DB
def test_discard_removes_the_record_for_good(ferry_env: FerryEnv, tmp_path) -> None:
    quarantine_untrusted_batch(ferry_env, tmp_path)
    row = police_box.QuarantinedBatch.objects.get()
    done: list[actions.QuarantineAction] = []
    result = actions.quarantine_discard(
        zone="police",
        quarantine_id=row.pk,
        actor="admin",
        reason="  forged batch  ",
        on_done=done.append,
    )
    assert done == [result]
    assert result.action == "discard" and not result.put_back
    assert result.reason == "forged batch"
    assert result.file_name == row.file_name
    assert result.batch_id and result.batch_id in row.file_name
    assert result.category == quarantined.CATEGORY_UNKNOWN_KEY
    assert result.alarms_cleared == 1  # the key_unknown alarm this batch raised
    assert not open_alarms("police")
    assert not police_box.QuarantinedBatch.objects.exists()
    assert ferry_env.batches(PORTAL_TO_POLICE) == []
    assert run_once("police").batches_applied == 0
    assert police_ping_ids() == []
    with pytest.raises(errors.QuarantineNotFound):
        actions.quarantine_discard(
            zone="police", quarantine_id=row.pk, actor="admin", reason="twice over"
        )


@DB
def test_release_and_discard_record_actor_and_reason_in_the_ferry_events(
    ferry_env: FerryEnv, tmp_path
) -> None:
    quarantine_untrusted_batch(ferry_env, tmp_path)
    row = police_box.QuarantinedBatch.objects.get()
    actions.quarantine_release(
        zone="police", quarantine_id=row.pk, actor="admin", reason="retry once"
    )
    assert run_once("police").quarantined == 1
    again = police_box.QuarantinedBatch.objects.get()
    actions.quarantine_discard(
        zone="police", quarantine_id=again.pk, actor="ops_li", reason="forged batch"
    )
    recorded = police_box.FerryEvent.objects.filter(step__in=["released", "discarded"])
    assert [(e.step, e.channel, e.detail) for e in recorded.order_by("id")] == [
        ("released", PORTAL_TO_POLICE, f"batch {row.file_name} by admin: retry once"),
        ("discarded", PORTAL_TO_POLICE, f"batch {row.file_name} by ops_li: forged batch"),
    ]


@DB
@pytest.mark.parametrize("reason", ["", "   ", "abc", " ab "])
def test_release_and_discard_need_a_reason(ferry_env: FerryEnv, tmp_path, reason: str) -> None:
    quarantine_untrusted_batch(ferry_env, tmp_path)
    row = police_box.QuarantinedBatch.objects.get()
    for action in (actions.quarantine_release, actions.quarantine_discard):
        with pytest.raises(errors.ReasonRequired) as caught:
            action(zone="police", quarantine_id=row.pk, actor="admin", reason=reason)
        assert "原因" in caught.value.message_zh
    assert police_box.QuarantinedBatch.objects.filter(pk=row.pk).exists()
    assert ferry_env.batches(PORTAL_TO_POLICE) == []


@DB
def test_release_refuses_to_overwrite_a_different_pending_document(
    ferry_env: FerryEnv, tmp_path
) -> None:
    quarantine_untrusted_batch(ferry_env, tmp_path)
    row = police_box.QuarantinedBatch.objects.get()
    ferry_env.deliver(PORTAL_TO_POLICE, row.file_name, b"something else\n")
    with pytest.raises(errors.ReleaseConflict):
        actions.quarantine_release(
            zone="police", quarantine_id=row.pk, actor="admin", reason="retry please"
        )
    assert police_box.QuarantinedBatch.objects.filter(pk=row.pk).exists()
    assert [p.read_bytes() for p in ferry_env.batches(PORTAL_TO_POLICE)] == [b"something else\n"]


@DB
def test_a_quarantined_ack_is_released_to_the_ack_directory(ferry_env: FerryEnv) -> None:
    send_pings("police", 1)
    run_once("police")
    run_once("portal")  # applies and acks
    [ack] = ferry_env.acks(POLICE_TO_PORTAL)
    tampered = ack.read_bytes().replace(b'"applied_through":1', b'"applied_through":7')
    ack.write_bytes(tampered)
    assert run_once("police").quarantined == 1
    [item] = quarantined.quarantined_batches("police")
    assert item.kind == "ack"
    assert item.summary.applied_through == 7
    assert item.summary.reject_count == 0
    assert item.summary.zone == "portal"

    actions.quarantine_release(
        zone="police", quarantine_id=item.id, actor="admin", reason="look again"
    )
    assert [p.read_bytes() for p in ferry_env.acks(POLICE_TO_PORTAL)] == [tampered]
    assert ferry_env.acks(POLICE_TO_PORTAL)[0].name == ack.name
    assert run_once("police").quarantined == 1  # still tampered


@pytest.mark.parametrize(
    ("reason", "category"),
    [
        ("security alarm: conflicting batch", quarantined.CATEGORY_CONFLICT),
        ("hash chain broken: prev_batch_sha256 is not the last applied batch", "chain"),
        ("bad signature", quarantined.CATEGORY_BAD_SIGNATURE),
        ("bad signature: manifest line is not canonical JSON", "bad_signature"),
        ("unknown key id 'abc' for channel portal_to_police", "unknown_key"),
        ("wrong channel: manifest says 'x', not portal_to_police", "wrong_channel"),
        ("message 2 hash mismatch", "hash_mismatch"),
        ("truncated: file does not end with a newline", "truncated"),
        ("message count mismatch: manifest 2, hashes 2, lines 1 (truncated?)", "truncated"),
        ("unknown message type test.ping v99 (message x)", "schema"),
        ("no handler for test.orphan in zone police (message x)", "no_handler"),
        ("ack names a batch we did not send", "ack_mismatch"),
        ("manifest is not JSON: JSONDecodeError", "malformed"),
        ("retired key id 'abc' for channel portal_to_police: retired", "unknown_key"),
        ("manifest sender zone 'police' does not send here", "wrong_channel"),
        ("cannot decrypt: InvalidTag", "decrypt"),
        ("something new", "other"),
    ],
)
def test_quarantine_reasons_are_classified(reason: str, category: str) -> None:
    assert quarantined.classify_reason(reason) == category


def test_summary_of_garbage_is_unreadable_not_an_error() -> None:
    assert not quarantined.summarize_document(b"").readable
    assert not quarantined.summarize_document(b"\xff\xfe not json\n").readable
    assert not quarantined.summarize_document(b"[1, 2]\n").readable
    partial = quarantined.summarize_document(
        b'{"first_seq": 5, "key_id": 7}\n{"message_type": "a.b", "version": 1}\nnot json\n[]\n'
    )
    assert partial.readable and partial.first_seq == 5 and partial.key_id == ""
    assert partial.message_lines == 3 and partial.unreadable_lines == 2
    assert [(t.message_type, t.count) for t in partial.message_types] == [("a.b", 1)]
    assert not partial.encrypted
    sealed = quarantined.summarize_document(b'{"encryption": {"alg": "x"}}\nAAAA\n')
    assert sealed.encrypted and sealed.message_types == [] and sealed.unreadable_lines == 1


@pytest.mark.parametrize(
    ("reason", "category"),
    [
        ("bad file name: not the name of a batch or heartbeat; not read", "bad_name"),
        ("refused without reading: symbolic link", "refused"),
        ("too large: 104857600 bytes, over the limit of 16777216 bytes", "too_large"),
        ("manifest is not JSON: nested deeper than 32 levels", "malformed"),
        ("ack is not JSON: a number longer than 64 characters", "malformed"),
        ("malformed: checking it failed with RecursionError", "malformed"),
    ],
)
def test_reasons_for_hostile_input_are_classified(reason: str, category: str) -> None:
    assert quarantined.classify_reason(reason) == category


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000 + b"]" * 100_000 + b"\n",
        b"[" * 100_000,
        b'{"first_seq":' + b"1" * 5_000 + b"}\n",
        bytes(range(256)) * 300,
        b'{"format":"\\ud800\\u202e","batch_id":"\\u0000<script>"}\n',
    ],
)
def test_any_quarantined_bytes_summarize_safely(raw: bytes) -> None:
    summary = quarantined.summarize_document(raw)
    shown = [summary.problem, summary.preview, summary.format, summary.batch_id]
    assert all(text.isascii() and text.isprintable() for text in shown)
    assert len(summary.preview) <= 4 * quarantined.PREVIEW_BYTES + 3
    if not summary.readable:
        assert summary.preview  # an escaped look at the first line


@DB
def test_a_record_holding_only_a_prefix_cannot_be_released_but_can_be_discarded(
    ferry_env: FerryEnv, settings
) -> None:
    settings.FERRY_MAX_DOCUMENT_BYTES = 1000
    settings.FERRY_QUARANTINE_PREFIX_BYTES = 100
    body = b'{"format":"onetrip-ferry-batch/1"}' + b" " * 2000 + b"\n"
    ferry_env.deliver(
        PORTAL_TO_POLICE, "000000000001-00000000-0000-4000-8000-000000000000.jsonl", body
    )
    assert run_once("police").quarantined == 1
    [item] = quarantined.quarantined_batches("police")
    assert (item.size, item.stored, item.complete) == (len(body), 100, False)
    assert "stored:" not in item.reason  # the note is read into size and stored
    with pytest.raises(errors.NotReleasableRecord):
        actions.quarantine_release(
            zone="police", quarantine_id=item.id, actor="ops", reason="try it anyway"
        )
    done = actions.quarantine_discard(
        zone="police", quarantine_id=item.id, actor="ops", reason="too large, discarded"
    )
    assert done.size == len(body)


@DB
def test_records_of_unread_documents_cannot_be_released(ferry_env: FerryEnv) -> None:
    ferry_env.drop(PORTAL_TO_POLICE, "batches", "000000000001-x\\y.jsonl", b"{}\n")
    assert run_once("police").quarantined == 1
    [item] = quarantined.quarantined_batches("police")
    assert item.category == quarantined.CATEGORY_BAD_NAME
    assert item.file_name == "000000000001-x\\\\y.jsonl"
    assert not item.releasable  # dir: not read at all; amqp: read, but under a bad name
    with pytest.raises(errors.NotReleasableRecord):
        actions.quarantine_release(
            zone="police", quarantine_id=item.id, actor="ops", reason="try it anyway"
        )
    text = format_status(zone_status("police"))
    assert "000000000001-x\\\\y.jsonl" in text


@DB
def test_a_whole_large_record_from_before_prefixes_still_lists(ferry_env: FerryEnv) -> None:
    """Records made before quarantine kept only a prefix may hold a whole hostile file."""
    raw = b"[" * (5 * 1024 * 1024) + b"\n"
    police_box.QuarantinedBatch.objects.create(
        channel=PORTAL_TO_POLICE, file_name="legacy.jsonl", reason="old", sha256="0" * 64, raw=raw
    )
    [item] = quarantined.quarantined_batches("police")
    assert (item.size, item.stored, item.complete) == (len(raw), len(raw), True)
    assert not item.summary.readable and item.summary.preview.startswith("[[[")

"""Signed checkpoints outside the database pin the chain even against a key holder (MLPS-5)."""

import datetime as dt
import json
import os
import threading

import pytest
from django.db import connections

from onetrip.common.audit_chain import (
    GENESIS,
    AnchorError,
    anchor_line,
    canonical_bytes,
    line_digest,
)
from onetrip.police.audit.anchors import locked_anchor_file, read_anchors
from onetrip.police.audit.keys import audit_keys
from onetrip.police.audit.models import AuditEvent, AuditHead
from onetrip.police.audit.selectors import audit_verify
from onetrip.police.audit.services import AnchorRefused, audit_anchor

DATABASES = ["default", "police"]
pytestmark = pytest.mark.django_db(databases=DATABASES)


def lines(path):
    return path.read_bytes().splitlines(keepends=True)


def rewrite_line(path, index, **changes):
    """Edit one anchor line's fields in place, keeping its signature (a forger without the key)."""
    content = lines(path)
    record = json.loads(content[index])
    record.update(changes)
    content[index] = canonical_bytes(record) + b"\n"
    path.write_bytes(b"".join(content))


# Writing -------------------------------------------------------------------------------------


def test_an_anchor_is_the_signed_head_of_the_chain(append, anchor_file):
    *_, last = append(3)
    at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    checkpoint = audit_anchor(now=at)
    assert (checkpoint.sequence, checkpoint.hash, checkpoint.prev) == (3, last.hash, GENESIS)
    assert checkpoint.key_id == "test-1"
    assert checkpoint.anchored_at == "2026-03-01T00:00:00.000000+00:00"
    (line,) = lines(anchor_file)
    assert line == anchor_line(
        sequence=3, hash=last.hash, anchored_at=at, prev=GENESIS, keys=audit_keys()
    )


def test_each_anchor_links_to_the_one_before(append, anchor_file):
    append(2)
    first = audit_anchor()
    append(2)
    second = audit_anchor()
    assert second.prev == first.digest == line_digest(lines(anchor_file)[0])
    assert [c.sequence for c in read_anchors(anchor_file, audit_keys()).checkpoints] == [2, 4]


def test_an_empty_chain_can_be_anchored(anchor_file):
    checkpoint = audit_anchor()
    assert (checkpoint.sequence, checkpoint.hash) == (0, GENESIS)
    assert audit_verify().ok


def test_the_anchor_file_is_created_owner_only_with_its_directory(append, anchor_file):
    append()
    audit_anchor()
    assert anchor_file.stat().st_mode & 0o777 == 0o640
    assert anchor_file.parent.stat().st_mode & 0o777 == 0o700


def test_an_anchor_is_fsynced_before_it_is_reported(append, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    append()
    audit_anchor()
    audit_anchor()
    assert len(synced) == 3  # the first line, its new directory entry, the second line


def test_the_periodic_anchor_writes_only_when_the_head_moved(append, anchor_file):
    append()
    assert audit_anchor(only_if_moved=True) is not None
    assert audit_anchor(only_if_moved=True) is None
    append()
    assert audit_anchor(only_if_moved=True).sequence == 2
    assert len(lines(anchor_file)) == 2
    assert audit_anchor().sequence == 2  # a one-shot anchor always writes
    assert len(lines(anchor_file)) == 3


def test_concurrent_anchor_writers_keep_the_file_chained(append, anchor_file):
    *_, head = append(2)
    keys = audit_keys()
    threads = 4
    start = threading.Barrier(threads)
    errors = []

    def worker():
        try:
            start.wait()
            for _ in range(5):
                with locked_anchor_file(anchor_file) as locked:
                    last = locked.last_line()
                    prev = line_digest(last) if last else GENESIS
                    locked.append(
                        anchor_line(
                            sequence=2,
                            hash=head.hash,
                            anchored_at=dt.datetime.now(tz=dt.UTC),
                            prev=prev,
                            keys=keys,
                        )
                    )
        except Exception as exc:  # reported below; a thread's exception is otherwise lost
            errors.append(exc)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    read = read_anchors(anchor_file, audit_keys())
    assert read.fault == ""
    assert len(read.checkpoints) == threads * 5


# Refusing to vouch for a broken chain ----------------------------------------------------------


def test_anchoring_refuses_a_chain_that_does_not_hold(
    append, raw_sql, without_triggers, anchor_file
):
    append(3)
    raw_sql("UPDATE police_audit_auditevent SET purpose = %s WHERE sequence = 2", ["改写"])
    with pytest.raises(AnchorRefused, match="chain broken at sequence 2: hash mismatch"):
        audit_anchor()
    assert not anchor_file.exists() or anchor_file.read_bytes() == b""


def test_anchoring_refuses_when_the_last_anchored_row_was_rewritten(append, forge, anchor_file):
    append(3)
    audit_anchor()
    forge(2, purpose="改写")
    with pytest.raises(AnchorRefused, match="sequence 3 no longer has the hash anchored"):
        audit_anchor()
    with pytest.raises(AnchorRefused, match="no longer has the hash"):
        audit_anchor(only_if_moved=True)
    assert len(lines(anchor_file)) == 1


def test_anchoring_refuses_a_chain_that_ends_before_the_last_anchor(append, truncate):
    append(4)
    audit_anchor()
    truncate(2)
    with pytest.raises(AnchorRefused, match="head is at sequence 2 but sequence 4 was anchored"):
        audit_anchor()


def test_anchoring_checks_only_the_events_since_the_last_anchor(append, forge, anchor_file):
    append(3)
    audit_anchor()
    append(2)
    forge(5, purpose="改写", hasher="sha256")
    with pytest.raises(AnchorRefused, match="sequence 5: hash mismatch"):
        audit_anchor()


def test_anchoring_refuses_to_append_after_a_torn_line(append, anchor_file):
    append()
    audit_anchor()
    with anchor_file.open("ab") as handle:
        handle.write(b'{"v":1,"sequ')
    with pytest.raises(AnchorError, match="last line is incomplete"):
        audit_anchor()


def test_anchoring_refuses_after_a_forged_last_line(append, anchor_file):
    append(2)
    audit_anchor()
    rewrite_line(anchor_file, 0, sequence=1)
    with pytest.raises(AnchorError, match="signature does not match"):
        audit_anchor()


def test_the_file_tail_is_found_past_a_short_read(append, anchor_file, monkeypatch):
    from onetrip.police.audit import anchors

    monkeypatch.setattr(anchors, "_TAIL_CHUNK", 16)
    append()
    audit_anchor()
    append()
    audit_anchor()
    append()
    assert audit_anchor().sequence == 3
    assert read_anchors(anchor_file, audit_keys()).fault == ""


# Verifying against the anchors -----------------------------------------------------------------


def test_verify_checks_every_anchor(append):
    append(2)
    audit_anchor()
    append(2)
    audit_anchor()
    append(1)
    result = audit_verify()
    assert result.ok
    assert result.report.anchored == 2
    assert result.anchors == 2
    assert result.last_anchor.sequence == 4


def test_a_row_rewritten_with_the_key_before_an_anchor_is_detected(append, forge):
    append(5)
    audit_anchor()
    append(2)
    forge(3, purpose="改写")
    result = audit_verify()
    assert not result.ok
    assert result.first_bad_sequence == 5
    assert "anchor mismatch" in result.reason


def test_a_rewrite_before_an_older_anchor_is_found_at_that_anchor(append, forge):
    append(2)
    audit_anchor()
    append(3)
    audit_anchor()
    forge(1, actor="someone.else")
    assert audit_verify().first_bad_sequence == 2


def test_a_rewrite_after_the_last_anchor_is_left_to_the_key(append, forge):
    """The window the anchor interval leaves: only the key protects events not yet anchored."""
    append(3)
    audit_anchor()
    append(2)
    forge(5, purpose="改写")
    assert audit_verify().ok
    forge(4, purpose="改写", hasher="sha256")
    assert audit_verify().first_bad_sequence == 4


def test_a_deleted_tail_below_the_last_anchor_is_detected(append, truncate):
    append(5)
    audit_anchor()
    truncate(3)
    head = AuditHead.objects.get()
    assert head.last_sequence == 3
    result = audit_verify()
    assert not result.ok
    assert result.first_bad_sequence == 4
    assert "truncated: 4–5 missing" in result.reason
    assert "sequence 5 was anchored" in result.reason


def test_a_deleted_tail_and_forged_replacements_are_detected(append, truncate):
    append(4)
    audit_anchor()
    truncate(2)
    append(3, purpose="补写")
    result = audit_verify()
    assert result.first_bad_sequence == 4
    assert "anchor mismatch" in result.reason


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"sequence": 2}, "signature does not match"),
        ({"hash": "b" * 64}, "signature does not match"),
        ({"key_id": "other"}, "signed with unknown audit key id 'other'"),
    ],
    ids=["sequence", "hash", "key"],
)
def test_a_tampered_anchor_line_fails_verification(append, anchor_file, changes, reason):
    append(3)
    audit_anchor()
    append(1)
    audit_anchor()
    rewrite_line(anchor_file, 0, **changes)
    result = audit_verify()
    assert not result.ok
    assert f"line 1: {reason}" in result.reason
    assert result.anchors == 0


def test_a_forged_anchor_signed_with_another_key_fails_verification(append, anchor_file):
    append(2)
    audit_anchor()
    forged = anchor_line(
        sequence=2,
        hash="c" * 64,
        anchored_at=dt.datetime.now(tz=dt.UTC),
        prev=line_digest(lines(anchor_file)[0]),
        keys={"test-1": b"\x00" * 32},
    )
    with anchor_file.open("ab") as handle:
        handle.write(forged)
    result = audit_verify()
    assert "line 2: signature does not match" in result.reason


def test_an_anchor_line_removed_from_the_middle_fails_verification(append, anchor_file):
    for _ in range(3):
        append()
        audit_anchor()
    content = lines(anchor_file)
    anchor_file.write_bytes(content[0] + content[2])
    assert "line 2: does not link to the line before it" in audit_verify().reason


def test_a_torn_last_anchor_line_fails_verification(append, anchor_file):
    append()
    audit_anchor()
    with anchor_file.open("ab") as handle:
        handle.write(b'{"v":1')
    result = audit_verify()
    assert "line 2: incomplete last line" in result.reason
    assert result.first_bad_sequence is None


def test_anchors_going_backwards_or_forking_fail_verification(append, anchor_file):
    keys = audit_keys()
    append(3)
    now = dt.datetime.now(tz=dt.UTC)
    first = anchor_line(
        sequence=3,
        hash=AuditEvent.objects.get(sequence=3).hash,
        anchored_at=now,
        prev=GENESIS,
        keys=keys,
    )
    back = anchor_line(
        sequence=2,
        hash=AuditEvent.objects.get(sequence=2).hash,
        anchored_at=now,
        prev=line_digest(first),
        keys=keys,
    )
    anchor_file.parent.mkdir(parents=True)
    anchor_file.write_bytes(first + back)
    assert "line 2: goes back from sequence 3 to 2" in audit_verify().reason
    fork = anchor_line(
        sequence=3, hash="d" * 64, anchored_at=now, prev=line_digest(first), keys=keys
    )
    anchor_file.write_bytes(first + fork)
    assert "line 2: anchors sequence 3 with a different hash" in audit_verify().reason


def test_a_chain_failure_is_reported_before_an_anchor_file_fault(
    append, anchor_file, raw_sql, without_triggers
):
    append(2)
    audit_anchor()
    with anchor_file.open("ab") as handle:
        handle.write(b"garbage\n")
    raw_sql("UPDATE police_audit_auditevent SET purpose = %s WHERE sequence = 1", ["改写"])
    result = audit_verify()
    assert result.first_bad_sequence == 1
    assert "hash mismatch" in result.reason


def test_an_anchor_signed_with_a_rotated_out_key_still_verifies(append, settings):
    old = settings.AUDIT_KEYS
    append(2)
    audit_anchor()
    settings.AUDIT_KEYS = f"test-2:{'A' * 43}=,{old}"
    append(2)
    checkpoint = audit_anchor()
    assert checkpoint.key_id == "test-2"
    result = audit_verify()
    assert result.ok
    assert result.report.key_ids == ("test-1", "test-2")
    assert result.anchors == 2


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_anchoring_while_events_are_appended_pins_only_committed_heads(flushable_audit_log):
    from onetrip.police.audit.services import audit_record

    stop = threading.Event()
    errors = []

    def appender():
        try:
            for i in range(40):
                audit_record(actor="system", action="x.y", object_type="x", object_id=str(i))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            stop.set()
            connections.close_all()

    def anchorer():
        try:
            while not stop.is_set():
                audit_anchor(only_if_moved=True)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=appender), threading.Thread(target=anchorer)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    audit_anchor(only_if_moved=True)
    result = audit_verify()
    assert result.ok, result.report
    assert result.checked == 40
    assert result.last_anchor.sequence == 40

"""Verification finds every kind of tampering the triggers were bypassed for (DOMAIN MLPS-5)."""

import pytest

from onetrip.police.audit.models import AuditEvent, AuditHead
from onetrip.police.audit.selectors import audit_events_for, audit_verify

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def test_an_empty_log_verifies():
    report = audit_verify()
    assert report.ok
    assert report.checked == 0


def test_an_intact_log_verifies(append):
    *_, last = append(5)
    report = audit_verify()
    assert report.ok
    assert report.checked == 5
    assert report.last_hash == last.hash


def test_audit_events_for_lists_one_objects_events_in_order(append):
    append(2, object_id="D-1")
    append(1, object_id="D-2")
    append(1, object_id="D-1", action="declaration.return")
    events = list(audit_events_for("declaration", "D-1"))
    assert [e.sequence for e in events] == [1, 2, 4]
    assert events[-1].action == "declaration.return"
    assert list(audit_events_for("permit", "D-1")) == []


def test_a_row_edited_behind_the_triggers_is_reported(append, raw_sql, without_triggers):
    append(5)
    raw_sql("UPDATE police_audit_auditevent SET purpose = %s WHERE sequence = 3", ["随便看看"])
    report = audit_verify()
    assert not report.ok
    assert report.first_bad_sequence == 3
    assert "hash mismatch" in report.reason
    assert report.checked == 2


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor", "someone.else"),
        ("success", False),
        ("object_id", "D-99"),
        ("action", "declaration.verify2"),
    ],
)
def test_any_changed_column_is_reported(append, raw_sql, without_triggers, column, value):
    append(3)
    sql = f"UPDATE police_audit_auditevent SET {column} = %s WHERE sequence = 2"  # noqa: S608
    raw_sql(sql, [value])
    assert audit_verify().first_bad_sequence == 2


def test_a_changed_detail_is_reported(append, raw_sql, without_triggers):
    append(3, detail={"fields": ["phone"]})
    raw_sql(
        "UPDATE police_audit_auditevent SET detail = %s WHERE sequence = 2",
        ['{"fields": ["address"]}'],
    )
    assert audit_verify().first_bad_sequence == 2


def test_a_changed_time_is_reported(append, raw_sql, without_triggers):
    append(3)
    (when,) = AuditEvent.objects.filter(sequence=1).values_list("occurred_at", flat=True)
    raw_sql("UPDATE police_audit_auditevent SET occurred_at = %s WHERE sequence = 2", [when])
    assert audit_verify().first_bad_sequence == 2


def test_a_row_rehashed_with_the_key_alone_breaks_the_next_link(append, raw_sql, without_triggers):
    from onetrip.common.audit_chain import keyed_record_hash
    from onetrip.police.audit.keys import current_audit_key

    append(4)
    forged = AuditEvent.objects.get(sequence=2)
    forged.purpose = "改写"
    new_hash = keyed_record_hash(forged.prev_hash, forged.chain_record(), current_audit_key()[1])
    raw_sql(
        "UPDATE police_audit_auditevent SET purpose = %s, hash = %s WHERE sequence = 2",
        ["改写", new_hash],
    )
    report = audit_verify()
    assert report.first_bad_sequence == 3
    assert "broken link" in report.reason


def test_a_forged_row_with_the_chain_recomputed_by_plain_sha256_is_reported(append, forge):
    append(5)
    forge(2, hasher="sha256", purpose="改写")
    report = audit_verify()
    assert not report.ok
    assert report.first_bad_sequence == 2
    assert "hash mismatch" in report.reason


def test_a_forged_tail_relabelled_as_legacy_is_reported_as_a_downgrade(append, forge, settings):
    settings.AUDIT_LEGACY_THROUGH = 10
    append(5)
    forge(3, hasher="sha256", relabel="sha256-legacy", purpose="改写")
    report = audit_verify()
    assert report.first_bad_sequence == 3
    assert "downgrade" in report.reason


def test_a_whole_chain_relabelled_as_legacy_is_reported_as_undeclared(append, forge):
    append(3)
    forge(1, hasher="sha256", relabel="sha256-legacy", purpose="改写")
    report = audit_verify()
    assert report.first_bad_sequence == 1
    assert "undeclared legacy record" in report.reason


def test_a_forged_row_rechained_with_the_key_and_no_anchor_is_beyond_the_chain_alone(append, forge):
    """What the anchors are for: with the key, a rewrite leaves a consistent chain."""
    append(4)
    forge(2, purpose="改写")
    assert audit_verify().ok


def test_a_deleted_row_is_reported_as_a_gap(append, raw_sql, without_triggers):
    append(5)
    raw_sql("DELETE FROM police_audit_auditevent WHERE sequence = 3")
    report = audit_verify()
    assert not report.ok
    assert report.first_bad_sequence == 3
    assert "gap" in report.reason


def test_rows_deleted_from_the_end_are_reported_against_the_head(append, raw_sql, without_triggers):
    append(5)
    raw_sql("DELETE FROM police_audit_auditevent WHERE sequence >= 4")
    report = audit_verify()
    assert not report.ok
    assert report.first_bad_sequence == 4
    assert "4–5 missing at the end" in report.reason


def test_the_last_row_deleted_is_reported(append, raw_sql, without_triggers):
    append(3)
    raw_sql("DELETE FROM police_audit_auditevent WHERE sequence = 3")
    report = audit_verify()
    assert report.first_bad_sequence == 3
    assert "3 missing at the end" in report.reason


def test_every_row_deleted_is_reported(append, raw_sql, without_triggers):
    append(2)
    raw_sql("DELETE FROM police_audit_auditevent")
    assert audit_verify().first_bad_sequence == 1


def test_a_last_row_replaced_wholesale_is_reported_against_the_head(
    append, raw_sql, without_triggers
):
    from onetrip.common.audit_chain import keyed_record_hash
    from onetrip.police.audit.keys import current_audit_key

    append(3)
    last = AuditEvent.objects.get(sequence=3)
    last.purpose = "改写"
    raw_sql(
        "UPDATE police_audit_auditevent SET purpose = %s, hash = %s WHERE sequence = 3",
        ["改写", keyed_record_hash(last.prev_hash, last.chain_record(), current_audit_key()[1])],
    )
    report = audit_verify()
    assert report.first_bad_sequence == 3
    assert "head" in report.reason


def test_without_a_head_the_rows_alone_are_verified(append):
    append(3)
    AuditHead.objects.all().delete()
    assert audit_verify().ok


def test_appends_after_the_head_was_read_are_left_for_the_next_check(append):
    append(2)
    head = AuditHead.objects.get()
    append(1)
    AuditHead.objects.filter(pk=head.pk).update(last_sequence=2, last_hash=head.last_hash)
    report = audit_verify()
    assert report.ok
    assert report.checked == 2

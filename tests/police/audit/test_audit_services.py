"""Appending to the audit chain (DOMAIN MLPS-5, WF-6)."""

import threading
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connections, router, transaction

from onetrip.common.audit_chain import GENESIS, keyed_record_hash, record_hash
from onetrip.police.audit.keys import current_audit_key
from onetrip.police.audit.models import AuditEvent, AuditHead
from onetrip.police.audit.selectors import audit_verify
from onetrip.police.audit.services import (
    audit_actor,
    audit_alias,
    audit_read_personal_data,
    audit_record,
)

DATABASES = ["default", "police"]
ON_POSTGRES = "postgresql" in settings.DATABASES[router.db_for_write(AuditEvent)]["ENGINE"]

pytestmark = pytest.mark.django_db(databases=DATABASES)


class Boom(Exception):
    pass


def test_audit_writes_to_the_police_zone_database():
    assert audit_alias() == settings.ZONE_DATABASES["police"]


def test_events_get_gapless_sequences_and_linked_hashes(append):
    events = append(3)
    assert [e.sequence for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    key_id, key = current_audit_key()
    for event in events:
        assert event.key_id == key_id
        assert event.chain_record()["key_id"] == key_id
        assert event.hash == keyed_record_hash(event.prev_hash, event.chain_record(), key)
        assert event.hash != record_hash(event.prev_hash, event.chain_record())


def test_the_stored_row_hashes_to_its_stored_hash(append):
    append(detail={"fields": ("id_number", "phone"), "case": 7})
    stored = AuditEvent.objects.get(sequence=1)
    assert stored.detail == {"fields": ["id_number", "phone"], "case": 7}
    key = current_audit_key()[1]
    assert keyed_record_hash(stored.prev_hash, stored.chain_record(), key) == stored.hash


def test_every_field_of_an_event_is_kept():
    event = audit_record(
        actor="li.na",
        actor_role="reviewer",
        station_code="330102001",
        action="declaration.return",
        object_type="declaration",
        object_id=42,
        purpose="退回补正",
        success=False,
        detail={"reason_code": "R03"},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor, stored.actor_role, stored.station_code) == (
        "li.na",
        "reviewer",
        "330102001",
    )
    assert (stored.action, stored.object_type, stored.object_id) == (
        "declaration.return",
        "declaration",
        "42",
    )
    assert stored.purpose == "退回补正"
    assert stored.success is False
    assert stored.detail == {"reason_code": "R03"}
    assert stored.occurred_at is not None


def test_the_head_follows_the_last_event(append):
    *_, last = append(3)
    head = AuditHead.objects.get()
    assert (head.last_sequence, head.last_hash) == (3, last.hash)


def test_a_missing_head_is_rebuilt_from_the_table(append):
    append(2)
    AuditHead.objects.all().delete()
    (event,) = append()
    assert event.sequence == 3
    assert audit_verify().ok


def test_the_event_rolls_back_with_an_aborted_business_transaction(append):
    append()
    with pytest.raises(Boom), transaction.atomic(using=audit_alias()):
        User.objects.create_user("wang.fang")
        append(object_id="D-2")
        raise Boom
    assert not User.objects.filter(username="wang.fang").exists()
    assert AuditEvent.objects.count() == 1
    assert AuditHead.objects.get().last_sequence == 1
    (event,) = append()
    assert event.sequence == 2
    assert audit_verify().ok


def test_the_event_commits_with_the_business_change(append):
    with transaction.atomic(using=audit_alias()):
        User.objects.create_user("wang.fang")
        append(object_type="user", object_id="wang.fang", action="staff.create")
    assert AuditEvent.objects.get().action == "staff.create"


@pytest.mark.parametrize(
    "detail",
    [
        {"id_number": "11010519491231002X"},
        {"note": "called 13800138000"},
        {"fields": ["phone", {"old": "13912345678"}]},
        {"11010519491231002X": 1},
        {"note": "tel:13800138000;"},
        {"note": "证件11010519491231002X"},
    ],
    ids=[
        "id-number",
        "mobile-in-text",
        "nested-mobile",
        "id-number-as-key",
        "mobile-after-punctuation",
        "id-number-after-chinese",
    ],
)
def test_detail_refuses_what_looks_like_personal_data(detail):
    with pytest.raises(ValueError, match="ids and field names only"):
        audit_record(actor="system", action="x.y", object_type="x", object_id="1", detail=detail)
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "detail",
    [
        {"fields": ["id_number", "phone"]},
        {"case_no": "JZ3301-2025-000123"},
        {"masked": "3301**********123X", "phone": "138****8000"},
        {"batch": 20250101000001234567},
        {"event_id": "ev-9ba18135077944d2ae4f109ad9af88e3"},
        {"tracking_number": "CN13812345678"},
    ],
    ids=["field-names", "case-number", "masked", "long-number", "hex-token", "prefixed-number"],
)
def test_detail_accepts_ids_field_names_and_masked_values(detail):
    audit_record(actor="system", action="x.y", object_type="x", object_id="1", detail=detail)


def test_detail_must_be_plain_json():
    with pytest.raises(ValueError, match="plain JSON"):
        audit_record(actor="system", action="x.y", object_type="x", object_id="1", detail={1: {2}})
    with pytest.raises(TypeError):
        audit_record(actor="system", action="x.y", object_type="x", object_id="1", detail=[1])


@pytest.mark.parametrize("missing", ["actor", "action"])
def test_actor_and_action_are_required(missing):
    fields = {"actor": "system", "action": "x.y", "object_type": "x", "object_id": "1"}
    fields[missing] = ""
    with pytest.raises(ValueError):
        audit_record(**fields)


def test_audit_actor_reads_role_and_station_from_the_staff_profile():
    user = SimpleNamespace(
        get_username=lambda: "zhang.wei",
        staff_profile=SimpleNamespace(role="clerk", station=SimpleNamespace(code="330102001")),
    )
    assert audit_actor(user) == {
        "actor": "zhang.wei",
        "actor_role": "clerk",
        "station_code": "330102001",
    }


def test_audit_actor_copes_with_a_profile_without_a_station():
    user = SimpleNamespace(
        get_username=lambda: "chen.jie", staff_profile=SimpleNamespace(role="city_admin")
    )
    assert audit_actor(user) == {
        "actor": "chen.jie",
        "actor_role": "city_admin",
        "station_code": "",
    }


def test_wf6_reading_personal_data_is_audited_with_field_names_only():
    user = User.objects.create_user("zhao.lei")
    event = audit_read_personal_data(
        user=user,
        object_type="declaration",
        object_id="D-9",
        fields=["phone", "id_number", "phone"],
        purpose="核查申报",
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.action == "declaration.view_personal_data"
    assert (stored.actor, stored.actor_role, stored.station_code) == ("zhao.lei", "", "")
    assert stored.detail == {"fields": ["id_number", "phone"]}
    assert stored.purpose == "核查申报"
    assert stored.success is True


def test_reading_personal_data_needs_a_purpose_and_fields():
    user = User.objects.create_user("zhao.lei")
    with pytest.raises(ValueError, match="purpose"):
        audit_read_personal_data(
            user=user, object_type="declaration", object_id="D-9", fields=["phone"], purpose=" "
        )
    with pytest.raises(ValueError, match="fields"):
        audit_read_personal_data(
            user=user, object_type="declaration", object_id="D-9", fields=[], purpose="核查"
        )


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_an_event_outside_any_transaction_commits_on_its_own(flushable_audit_log):
    event = audit_record(actor="system", action="login.failure", object_type="user", object_id="x")
    with transaction.atomic(using=audit_alias()):
        pass
    assert AuditEvent.objects.get().hash == event.hash
    assert audit_verify().ok


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite has one writer; concurrency is PostgreSQL's")
@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_concurrent_appends_make_a_gapless_valid_chain(flushable_audit_log):
    threads, per_thread = 6, 15
    start = threading.Barrier(threads)
    errors = []

    def worker(n):
        try:
            start.wait()
            for i in range(per_thread):
                with transaction.atomic(using=audit_alias()):
                    audit_record(
                        actor=f"clerk{n}",
                        action="declaration.verify",
                        object_type="declaration",
                        object_id=f"D-{n}-{i}",
                    )
        except Exception as exc:  # reported below; a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()

    assert errors == []
    sequences = list(AuditEvent.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, threads * per_thread + 1))
    report = audit_verify()
    assert report.ok, report
    assert report.checked == threads * per_thread


def test_a_refused_attempt_is_chained_like_any_other_event(append):
    append()
    refused = audit_record(
        actor="zhao.lei",
        action="declaration.view_personal_data",
        object_type="declaration",
        object_id="D-9",
        purpose="核查申报",
        success=False,
        detail={"reason": "other_station"},
    )
    append()
    stored = AuditEvent.objects.get(pk=refused.pk)
    assert stored.success is False
    assert stored.chain_record()["success"] is False
    key = current_audit_key()[1]
    assert stored.hash == keyed_record_hash(stored.prev_hash, stored.chain_record(), key)
    assert audit_verify().ok


def test_a_refusal_turned_into_a_success_is_reported(raw_sql, without_triggers):
    audit_record(actor="zhao.lei", action="x.read", object_type="x", object_id="1", success=False)
    audit_record(actor="system", action="x.y", object_type="x", object_id="2")
    raw_sql("UPDATE police_audit_auditevent SET success = %s WHERE sequence = 1", [True])
    report = audit_verify()
    assert report.first_bad_sequence == 1
    assert "hash mismatch" in report.reason


def test_without_an_audit_key_nothing_is_written(settings, append):
    from onetrip.common.audit_chain import AuditKeyError

    append()
    settings.AUDIT_KEYS = ""
    with pytest.raises(AuditKeyError):
        audit_record(actor="system", action="x.y", object_type="x", object_id="1")
    assert AuditEvent.objects.count() == 1
    assert AuditHead.objects.get().last_sequence == 1


def test_after_a_key_rotation_new_events_use_the_new_key_and_old_ones_still_verify(
    settings, append
):
    old_spec = settings.AUDIT_KEYS
    append(2)
    settings.AUDIT_KEYS = f"test-2:{'B' * 43}=,{old_spec}"
    (event,) = append()
    assert event.key_id == "test-2"
    report = audit_verify()
    assert report.ok
    assert report.report.key_ids == ("test-1", "test-2")
    settings.AUDIT_KEYS = f"test-2:{'B' * 43}="
    report = audit_verify()
    assert report.first_bad_sequence == 1
    assert "unknown audit key id 'test-1'" in report.reason

"""The audit log is append-only at every level, down to raw SQL (DOMAIN MLPS-5, MLPS-10)."""

import pytest
from django.db import IntegrityError

from onetrip.police.audit.models import AppendOnlyError, AuditEvent
from onetrip.police.audit.selectors import audit_triggers_installed

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def test_an_event_cannot_be_saved_again(append):
    (event,) = append()
    event.purpose = "改写"
    with pytest.raises(AppendOnlyError):
        event.save()


def test_an_event_cannot_be_saved_with_update_fields(append):
    (event,) = append()
    with pytest.raises(AppendOnlyError):
        event.save(update_fields=["purpose"])


def test_an_event_cannot_be_deleted(append):
    (event,) = append()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.count() == 1


@pytest.mark.parametrize(
    "attempt",
    [
        lambda qs: qs.update(purpose="x"),
        lambda qs: qs.delete(),
        lambda qs: qs.bulk_update(list(qs), ["purpose"]),
        lambda qs: qs.update_or_create(sequence=1, defaults={"purpose": "x"}),
    ],
    ids=["update", "delete", "bulk_update", "update_or_create"],
)
def test_the_queryset_refuses_every_bulk_change(append, attempt):
    append(2)
    with pytest.raises(AppendOnlyError):
        attempt(AuditEvent.objects.all())


def test_the_manager_refuses_update_and_delete_too(append):
    append()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(purpose="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(sequence=1).delete()


def test_the_database_has_the_append_only_triggers():
    assert audit_triggers_installed()


def test_raw_sql_update_is_refused_by_the_database(append, raw_sql):
    append(2)
    with pytest.raises(IntegrityError, match="append-only"):
        raw_sql("UPDATE police_audit_auditevent SET purpose = %s WHERE sequence = 1", ["改写"])
    assert AuditEvent.objects.get(sequence=1).purpose == "核查申报"


def test_raw_sql_delete_is_refused_by_the_database(append, raw_sql):
    append(2)
    with pytest.raises(IntegrityError, match="append-only"):
        raw_sql("DELETE FROM police_audit_auditevent WHERE sequence = 2")
    with pytest.raises(IntegrityError, match="append-only"):
        raw_sql("DELETE FROM police_audit_auditevent")
    assert AuditEvent.objects.count() == 2


def test_raw_sql_insert_is_still_allowed(append, raw_sql):
    """Append-only, not read-only: the triggers guard UPDATE and DELETE, not INSERT."""
    append()
    raw_sql(
        "INSERT INTO police_audit_auditevent (sequence, occurred_at, actor, actor_role, "
        "station_code, action, object_type, object_id, purpose, success, detail, prev_hash, hash, "
        "key_id) SELECT 2, occurred_at, actor, actor_role, station_code, action, object_type, "
        "object_id, purpose, success, detail, hash, hash, key_id FROM police_audit_auditevent "
        "WHERE sequence = 1"
    )
    assert AuditEvent.objects.count() == 2


def test_dropping_the_triggers_is_noticed(without_triggers):
    assert not audit_triggers_installed()


def test_post_migrate_restores_missing_triggers(without_triggers, audit_connection):
    from django.apps import apps
    from django.db.models.signals import post_migrate

    post_migrate.send(
        sender=apps.get_app_config("police_audit"),
        app_config=apps.get_app_config("police_audit"),
        using=audit_connection.alias,
    )
    assert audit_triggers_installed()


def test_post_migrate_leaves_other_databases_alone(without_triggers):
    from django.apps import apps
    from django.db.models.signals import post_migrate

    config = apps.get_app_config("police_audit")
    post_migrate.send(sender=config, app_config=config, using="default")
    assert not audit_triggers_installed()


def test_sequence_must_be_positive(append, raw_sql):
    append()
    with pytest.raises(IntegrityError):
        raw_sql(
            "INSERT INTO police_audit_auditevent (sequence, occurred_at, actor, actor_role, "
            "station_code, action, object_type, object_id, purpose, success, detail, prev_hash, "
            "hash, key_id) SELECT 0, occurred_at, actor, actor_role, station_code, action, "
            "object_type, object_id, purpose, success, detail, hash, hash, key_id "
            "FROM police_audit_auditevent"
        )


def test_str_names_sequence_action_and_object(append):
    (event,) = append()
    assert str(event) == "#1 declaration.verify declaration:D-1"

"""A failed SMS send is tried again within seconds, not at the next sweep (issue 9): a gateway
error after RETRY_DELAYS[0], a task that could not take its row after DB_RETRY_DELAYS, both
through the deferred task queue; when the quick retries are used up, the sweep takes over."""

from datetime import timedelta

import pytest
from django.db import OperationalError, transaction
from django.utils import timezone

from onetrip.portal.notify import services
from onetrip.portal.notify.models import SmsMessage
from onetrip.portal.notify.services import sms_queue, sms_send, sms_sweep

pytestmark = pytest.mark.django_db(databases=["default", "police"])

PHONE = "13800138000"
Status = SmsMessage.Status


@pytest.fixture
def db_tasks(settings):
    """The database task backend, as `make up` runs it: deferred tasks wait in DBTaskResult."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "sms"]}
    }


def queue_login_code():
    with transaction.atomic():
        return sms_queue(
            phone=PHONE, template="login_code", params={"code": "123456", "minutes": 5}
        )


def pending_tasks():
    from django_tasks_db.models import DBTaskResult

    return list(DBTaskResult.objects.filter(status="READY").order_by("enqueued_at"))


def run_when_due(task_result):
    """What the worker does once run_after has passed: call the task with its arguments."""
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(pk=task_result.pk).update(status="SUCCESSFUL")
    args = task_result.args_kwargs
    return task_result.task.call(*args["args"], **args["kwargs"])


def test_first_retries_come_within_seconds_and_the_tail_backs_off():
    assert services.RETRY_DELAYS[0] <= timedelta(seconds=5)
    assert services.RETRY_DELAYS[1] <= timedelta(seconds=30)
    assert services.RETRY_DELAYS[-1] >= timedelta(minutes=30)
    assert sum(services.DB_RETRY_DELAYS, timedelta()) < services.QUEUED_GRACE


def test_gateway_error_is_retried_after_seconds_through_the_task_queue(
    db_tasks, sms_simulator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sms = queue_login_code()
    [first] = pending_tasks()
    sms_simulator.fail_next(1, status=503)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_when_due(first) == Status.QUEUED
    failed_by = timezone.now()
    [retry] = pending_tasks()
    assert retry.run_after <= failed_by + services.RETRY_DELAYS[0]
    sms.refresh_from_db()
    assert retry.run_after == sms.next_attempt_at
    # Once the delay has passed, the worker's run sends it; no sweep involved.
    SmsMessage.objects.filter(pk=sms.pk).update(next_attempt_at=timezone.now())
    assert run_when_due(retry) == Status.SENT
    sms.refresh_from_db()
    assert sms.attempts == 2
    assert len(sms_simulator.messages()) == 1


def test_a_locked_row_is_retried_shortly_without_counting_an_attempt(
    db_tasks, sms_simulator, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sms = queue_login_code()
    [first] = pending_tasks()
    claim = services._claim

    def locked(sms_id):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "_claim", locked)
    began = timezone.now()
    assert run_when_due(first) == Status.QUEUED
    [retry] = pending_tasks()
    assert retry.args_kwargs == {"args": [str(sms.id)], "kwargs": {"db_retries": 1}}
    assert began + services.DB_RETRY_DELAYS[0] <= retry.run_after
    assert retry.run_after <= timezone.now() + services.DB_RETRY_DELAYS[0]
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (Status.QUEUED, 0)

    monkeypatch.setattr(services, "_claim", claim)
    assert run_when_due(retry) == Status.SENT
    sms.refresh_from_db()
    assert sms.attempts == 1
    assert len(sms_simulator.messages()) == 1


def test_after_the_quick_retries_a_locked_row_waits_for_the_sweep(
    db_tasks, sms_simulator, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sms = queue_login_code()
    [task] = pending_tasks()
    claim = services._claim

    def locked(sms_id):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "_claim", locked)
    for n in range(1, len(services.DB_RETRY_DELAYS) + 1):
        run_when_due(task)
        [task] = pending_tasks()
        assert task.args_kwargs["kwargs"] == {"db_retries": n}
    run_when_due(task)
    assert pending_tasks() == []  # bounded: nothing more is enqueued

    monkeypatch.setattr(services, "_claim", claim)
    past = timezone.now() - services.QUEUED_GRACE - timedelta(seconds=1)
    SmsMessage.objects.filter(pk=sms.pk).update(next_attempt_at=past)
    assert sms_sweep() == 1
    [swept] = pending_tasks()
    assert run_when_due(swept) == Status.SENT


def test_the_outcome_of_a_send_is_written_even_if_the_first_write_fails(sms_simulator, monkeypatch):
    sms = queue_login_code()
    record_sent = services._record_sent
    calls = []

    def flaky(sms_id, **kwargs):
        calls.append(sms_id)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return record_sent(sms_id, **kwargs)

    monkeypatch.setattr(services, "_record_sent", flaky)
    monkeypatch.setattr(services, "RECORD_RETRY_PAUSE_SECONDS", 0)
    assert sms_send(sms_id=sms.id) == Status.SENT
    assert len(calls) == 2
    assert len(sms_simulator.messages()) == 1


def test_a_task_that_cannot_be_enqueued_does_not_undo_the_callers_change(
    monkeypatch, django_capture_on_commit_callbacks
):
    def busy(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "_enqueue", busy)
    with django_capture_on_commit_callbacks(execute=True):
        sms = queue_login_code()  # no exception reaches the caller
    sms.refresh_from_db()
    assert sms.status == Status.QUEUED  # the sweep will enqueue it

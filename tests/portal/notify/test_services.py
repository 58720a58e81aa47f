"""Queueing and sending SMS: sent once, retried honestly, swept when stuck (DESIGN §3, §8)."""

from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from onetrip.common.crypto import lookup_hash
from onetrip.portal.notify import services
from onetrip.portal.notify.clients.sms import SmsGatewayError
from onetrip.portal.notify.models import SmsMessage
from onetrip.portal.notify.services import MAX_ATTEMPTS, sms_queue, sms_send, sms_sweep
from onetrip.portal.notify.tasks import sms_send_task

pytestmark = pytest.mark.django_db(databases=["default", "police"])

PHONE = "13800138000"
Status = SmsMessage.Status


class CountingGateway:
    def __init__(self, error=None):
        self.calls = []
        self.error = error

    def send(self, *, to, text, template, client_ref):
        self.calls.append(client_ref)
        if self.error is not None:
            raise self.error
        return f"fake-{len(self.calls)}"


def queue_login_code(code="123456", **kwargs):
    with transaction.atomic():
        return sms_queue(
            phone=PHONE, template="login_code", params={"code": code, "minutes": 5}, **kwargs
        )


def make_due(sms):
    """Move a waiting retry's due time into the past, as if the delay had passed."""
    past = timezone.now() - services.QUEUED_GRACE - timedelta(seconds=1)
    SmsMessage.objects.filter(pk=sms.pk).update(next_attempt_at=past)


def test_queued_sms_is_sent_after_commit(sms_simulator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sms = queue_login_code()
        assert SmsMessage.objects.get(pk=sms.pk).status == Status.QUEUED
    assert len(callbacks) >= 1
    sms.refresh_from_db()
    assert sms.status == Status.SENT
    assert sms.attempts == 1
    assert sms.sent_at is not None
    [recorded] = sms_simulator.messages()
    assert recorded["id"] == sms.provider_id
    assert recorded["client_ref"] == str(sms.id)
    assert recorded["to"] == PHONE
    assert recorded["text"] == "【杭州公安】您的登录验证码为123456，5分钟内有效。请勿泄露给他人。"


def test_nothing_is_sent_when_the_callers_transaction_rolls_back(
    sms_simulator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                queue_login_code()
                raise RuntimeError("caller failed")
        except RuntimeError:
            pass
    assert callbacks == []
    assert SmsMessage.objects.count() == 0
    assert sms_simulator.messages() == []


def test_phone_and_text_are_encrypted_at_rest_and_phone_is_findable_by_hash():
    sms = queue_login_code(code="987654")
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT phone, text FROM portal_notify_smsmessage WHERE id = %s",
            [sms.id.hex if connections["default"].vendor == "sqlite" else sms.id],
        )
        phone_raw, text_raw = cursor.fetchone()
    assert phone_raw.startswith("v1:") and PHONE not in phone_raw
    assert text_raw.startswith("v1:") and "987654" not in text_raw
    assert SmsMessage.objects.get(phone_hash=lookup_hash(PHONE, purpose="phone")) == sms


@pytest.mark.django_db(databases=["default", "police"], transaction=True)
def test_queue_outside_a_transaction_is_refused():
    with pytest.raises(TransactionManagementError):
        sms_queue(phone=PHONE, template="login_code", params={"code": "1", "minutes": 5})
    assert SmsMessage.objects.count() == 0


def test_queue_refuses_an_unnormalised_number():
    with pytest.raises(ValueError), transaction.atomic():
        sms_queue(phone="+86 138", template="login_code", params={"code": "1", "minutes": 5})


def test_same_client_ref_queues_once(sms_simulator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = queue_login_code(client_ref="declaration.received:SB1")
        again = queue_login_code(client_ref="declaration.received:SB1")
    assert first.pk == again.pk
    assert SmsMessage.objects.count() == 1
    assert len(sms_simulator.messages()) == 1


def test_a_message_queued_under_a_reference_is_stored_as_any_other_and_a_repeat_is_harmless():
    """Queued under a reference, the message is one insert that skips an existing reference:
    the row reads back like one `create` wrote (number and text encrypted at rest), and a
    repeat inside the same transaction neither raises nor spoils the transaction."""
    with transaction.atomic():
        first = queue_login_code(client_ref="booking.made:YY1")
        again = queue_login_code(client_ref="booking.made:YY1")
        SmsMessage.objects.filter(pk=first.pk).update(attempts=0)  # the transaction still works
    assert first.pk == again.pk
    stored = SmsMessage.objects.get(client_ref="booking.made:YY1")
    assert (stored.phone, stored.text, stored.status) == (PHONE, first.text, Status.QUEUED)
    assert stored.phone_hash == lookup_hash(PHONE, purpose="phone")
    assert stored.created_at == first.created_at and stored.sent_at is None
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT phone, text FROM portal_notify_smsmessage WHERE client_ref = %s",
            ["booking.made:YY1"],
        )
        phone_at_rest, text_at_rest = cursor.fetchone()
    assert PHONE not in phone_at_rest and first.text not in text_at_rest


def test_task_sends_exactly_once_when_run_twice():
    sms = queue_login_code()
    gateway = CountingGateway()
    assert sms_send(sms_id=sms.id, gateway=gateway) == Status.SENT
    assert sms_send(sms_id=sms.id, gateway=gateway) == Status.SENT
    assert gateway.calls == [str(sms.id)]


def test_replayed_task_while_sending_does_not_send(sms_simulator):
    sms = queue_login_code()
    SmsMessage.objects.filter(pk=sms.pk).update(status=Status.SENDING)
    sms_send_task.enqueue(str(sms.id))
    sms.refresh_from_db()
    assert sms.status == Status.SENDING
    assert sms.attempts == 0
    assert sms_simulator.messages() == []


def test_task_enqueued_twice_sends_once(sms_simulator):
    sms = queue_login_code()
    sms_send_task.enqueue(str(sms.id))
    sms_send_task.enqueue(str(sms.id))
    sms.refresh_from_db()
    assert sms.status == Status.SENT
    assert sms.attempts == 1
    assert len(sms_simulator.messages()) == 1


def test_unknown_id_is_ignored():
    assert sms_send(sms_id="00000000-0000-0000-0000-000000000000") == "missing"


def test_retryable_failure_goes_back_to_queued_with_a_delay(sms_simulator):
    sms_simulator.fail_next(1, status=503)
    sms = queue_login_code()
    before = timezone.now()
    assert sms_send(sms_id=sms.id) == Status.QUEUED
    sms.refresh_from_db()
    assert sms.attempts == 1
    assert sms.next_attempt_at >= before + services.RETRY_DELAYS[0]
    assert "503" in sms.last_error
    # Not due yet: running the task again early sends nothing.
    assert sms_send(sms_id=sms.id) == Status.QUEUED
    assert sms_simulator.messages() == []
    make_due(sms)
    assert sms_sweep() == 1
    sms.refresh_from_db()
    assert sms.status == Status.SENT
    assert sms.attempts == 2
    assert sms.last_error == ""
    assert len(sms_simulator.messages()) == 1


def test_retries_then_fails_after_max_attempts(sms_simulator):
    sms_simulator.fail_next(100, status=502)
    sms = queue_login_code()
    sms_send(sms_id=sms.id)
    for _ in range(MAX_ATTEMPTS - 1):
        sms.refresh_from_db()
        assert sms.status == Status.QUEUED
        make_due(sms)
        sms_sweep()
    sms.refresh_from_db()
    assert sms.status == Status.FAILED
    assert sms.attempts == MAX_ATTEMPTS
    assert "502" in sms.last_error
    make_due(sms)
    assert sms_sweep() == 0
    assert sms_simulator.messages() == []


def test_retry_delays_grow():
    delays = list(services.RETRY_DELAYS)
    assert delays == sorted(delays)
    assert len(delays) == MAX_ATTEMPTS - 1


def test_rejected_message_fails_at_once(sms_simulator):
    sms_simulator.fail_next(1, status=400)
    sms = queue_login_code()
    assert sms_send(sms_id=sms.id) == Status.FAILED
    sms.refresh_from_db()
    assert sms.attempts == 1


def test_unexpected_client_error_is_retried():
    sms = queue_login_code()
    assert sms_send(sms_id=sms.id, gateway=CountingGateway(error=KeyError("x"))) == Status.QUEUED
    sms.refresh_from_db()
    assert sms.last_error == "client error: KeyError"


def test_lost_answer_is_resent_and_deduplicated_by_the_gateway(sms_simulator, settings):
    settings.ONETRIP_SMS_TIMEOUT_SECONDS = 0.2
    sms_simulator.fail_next(1, status=202, delay=0.6)
    sms = queue_login_code()
    assert sms_send(sms_id=sms.id) == Status.QUEUED
    make_due(sms)
    sms_sweep()
    sms.refresh_from_db()
    assert sms.status == Status.SENT
    [recorded] = sms_simulator.messages()
    assert recorded["id"] == sms.provider_id


def test_sweep_rescues_a_row_stuck_in_sending(sms_simulator):
    sms = queue_login_code()
    old = timezone.now() - services.SENDING_TIMEOUT - timedelta(seconds=1)
    SmsMessage.objects.filter(pk=sms.pk).update(status=Status.SENDING, attempts=1, updated_at=old)
    assert sms_sweep() == 1
    sms.refresh_from_db()
    assert sms.status == Status.SENT
    assert sms.attempts == 2
    assert len(sms_simulator.messages()) == 1


def test_sweep_gives_up_on_a_row_stuck_in_sending_out_of_attempts(sms_simulator):
    sms = queue_login_code()
    old = timezone.now() - services.SENDING_TIMEOUT - timedelta(seconds=1)
    SmsMessage.objects.filter(pk=sms.pk).update(
        status=Status.SENDING, attempts=MAX_ATTEMPTS, updated_at=old
    )
    assert sms_sweep() == 0
    sms.refresh_from_db()
    assert sms.status == Status.FAILED
    assert sms_simulator.messages() == []


def test_sweep_leaves_recent_rows_alone(sms_simulator):
    queue_login_code()
    sending = queue_login_code(code="222222")
    SmsMessage.objects.filter(pk=sending.pk).update(status=Status.SENDING)
    assert sms_sweep() == 0
    assert sms_simulator.messages() == []


def test_late_success_after_the_sweeper_gave_up_is_recorded():
    sms = queue_login_code()

    class SlowGateway(CountingGateway):
        def send(self, **kwargs):
            # The sweeper marks the row failed while this worker still waits for the gateway.
            SmsMessage.objects.filter(pk=sms.pk).update(status=Status.FAILED)
            return super().send(**kwargs)

    assert sms_send(sms_id=sms.id, gateway=SlowGateway()) == Status.SENT


def test_gateway_error_carries_no_personal_data(sms_simulator):
    sms_simulator.fail_next(1, status=503)
    sms = queue_login_code()
    sms_send(sms_id=sms.id)
    sms.refresh_from_db()
    assert PHONE not in sms.last_error and "123456" not in sms.last_error


def test_gateway_error_flag():
    assert SmsGatewayError("x", retryable=True).retryable
    assert not SmsGatewayError("x", retryable=False).retryable


def test_with_a_database_task_backend_sends_go_to_the_sms_queue_and_retries_are_deferred(
    settings, sms_simulator, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "sms"]}
    }
    with django_capture_on_commit_callbacks(execute=True):
        sms = queue_login_code()
    [first] = DBTaskResult.objects.all()
    assert first.queue_name == "sms"
    assert first.task_path == "onetrip.portal.notify.tasks.sms_send_task"
    assert first.args_kwargs == {"args": [str(sms.id)], "kwargs": {}}

    sms_simulator.fail_next(1, status=503)
    with django_capture_on_commit_callbacks(execute=True):
        assert sms_send(sms_id=sms.id) == Status.QUEUED
    sms.refresh_from_db()
    retry = DBTaskResult.objects.exclude(pk=first.pk).get()
    assert retry.run_after == sms.next_attempt_at
    assert sms_simulator.messages() == []


def test_with_a_database_task_backend_the_task_is_written_with_the_message_or_not_at_all(settings):
    """One write transaction for a code and its task; a rolled-back change leaves no task."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "sms"]}
    }
    with transaction.atomic():
        sms = queue_login_code()
        assert DBTaskResult.objects.get().args_kwargs["args"] == [str(sms.id)]
    assert DBTaskResult.objects.count() == 1

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        queue_login_code()
        raise Undo
    assert DBTaskResult.objects.count() == 1

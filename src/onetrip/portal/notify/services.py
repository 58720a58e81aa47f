"""Queueing and sending SMS (GOV.UK Notify style: guarded status changes and honest retries).

A caller queues a message inside its own transaction; the send task runs after the commit. The
task moves the row from queued to sending under a lock and commits before it calls the gateway,
so a replay of the task, or a second worker, finds the row no longer queued and sends nothing.
The gateway's idempotency key is the row id, so even a resend after a lost answer (the sweeper's
rescue of a row stuck in sending) reaches the phone once.

A failed send is retried within seconds, not at the next sweep: a gateway error puts the row back
in queued with a short first delay (RETRY_DELAYS), and a task that could not reach its row because
the database was busy is enqueued again after DB_RETRY_DELAYS without counting an attempt. When
those are used up, the sweep and the final failed status take over as before.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import OperationalError, connections, router, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from onetrip.common.bulk import insert_rows
from onetrip.common.crypto import lookup_hash
from onetrip.common.db import atomic_for, db_for

from .clients.sms import SmsGateway, SmsGatewayError, get_gateway
from .models import SmsMessage
from .tasks import sms_send_task
from .templates_sms import render_sms

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# Delay before attempt n+1 after attempt n failed at the gateway: two quick retries for a blip (a
# login code is valid for five minutes), then backing off through an outage.
RETRY_DELAYS = (
    timedelta(seconds=2),
    timedelta(seconds=10),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
)
# A send task that could not take its row (the database busy past its timeout, a dropped
# connection) runs again after these delays; nothing was sent, so no attempt is counted. After the
# last, the row waits for the sweep.
DB_RETRY_DELAYS = (
    timedelta(seconds=0.5),
    timedelta(seconds=1),
    timedelta(seconds=2),
    timedelta(seconds=5),
)
# The outcome of a send that reached the gateway is written at once, retried in place this many
# times, this far apart; if it still fails, the row stays in sending and the sweeper resends it
# under the same idempotency key after SENDING_TIMEOUT.
RECORD_RETRIES = 3
RECORD_RETRY_PAUSE_SECONDS = 0.5
# A row still in sending after this long lost its worker; a row queued and due for this long
# lost its task. The sweeper re-enqueues both.
SENDING_TIMEOUT = timedelta(minutes=5)
QUEUED_GRACE = timedelta(minutes=1)

MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
Status = SmsMessage.Status


def _enqueue(
    sms_id: uuid.UUID | str, *, run_after: datetime | None = None, db_retries: int = 0
) -> None:
    """Enqueue the send task. A delayed retry on a backend that cannot defer waits for the sweep."""
    task = sms_send_task
    if run_after is not None:
        if not task.get_backend().supports_defer:
            return
        task = task.using(run_after=run_after)
    if db_retries:
        task.enqueue(str(sms_id), db_retries=db_retries)
    else:
        task.enqueue(str(sms_id))


def sms_queue(
    *,
    phone: str,
    template: str,
    params: dict[str, Any],
    client_ref: str | None = None,
) -> SmsMessage:
    """Queue one SMS to `phone` (11 digits, already normalised) from a template.

    Precondition: call inside `transaction.atomic()` — the message is queued only if the caller's
    change commits, and the send starts on commit. With `client_ref`, queueing the same reference
    again returns the first message and sends nothing more."""
    db = db_for(SmsMessage)
    if not transaction.get_connection(db).in_atomic_block:
        raise TransactionManagementError("sms_queue must be called inside transaction.atomic()")
    if not MOBILE_RE.fullmatch(phone):
        raise ValueError("phone must be a normalised 11-digit mainland mobile number")
    text = render_sms(template, params)
    fields = {
        "phone": phone,
        "phone_hash": lookup_hash(phone, purpose="phone"),
        "template": template,
        "text": text,
    }
    if client_ref is None:
        sms = SmsMessage.objects.create(**fields)
    else:
        sms = _queued_once(client_ref, fields)
        if sms is None:
            sms = SmsMessage.objects.get(client_ref=client_ref)
            logger.info("sms-queue duplicate sms_id=%s client_ref=%s", sms.id, client_ref)
            return sms
    logger.info("sms-queue queued sms_id=%s template=%s", sms.id, template)
    sms_id = sms.id
    if _tasks_share_transaction(db):
        # The task row is written in the caller's transaction: it exists exactly when the
        # message does, and a login code costs one write transaction, not two.
        _enqueue(sms_id)
        return sms
    # Robust: the caller's change is committed by then; a task that cannot be enqueued (the
    # database busy past its timeout) is logged and left to the sweep, not turned into an error.
    transaction.on_commit(lambda: _enqueue(sms_id), using=db, robust=True)
    return sms


def _queued_once(client_ref: str, fields: dict[str, str]) -> SmsMessage | None:
    """The message inserted under `client_ref`, or None when one with that reference exists
    already. One `INSERT … ON CONFLICT DO NOTHING`: no look-up first and no savepoint for the
    error a second insert would raise, on a path every confirmed booking and registration
    takes; a concurrent insert of the same reference waits for the first and then finds it."""
    sms = SmsMessage(client_ref=client_ref, **fields)
    sms.updated_at = sms.created_at
    connection = connections[db_for(SmsMessage)]
    columns = [f for f in SmsMessage._meta.concrete_fields if getattr(sms, f.attname) is not None]
    values = [f.get_db_prep_save(getattr(sms, f.attname), connection) for f in columns]
    names = [f.name for f in columns]
    if not insert_rows(SmsMessage, names, [values], ignore_conflicts=True, returning=["id"]):
        return None
    sms._state.adding = False
    sms._state.db = connection.alias
    return sms


def _tasks_share_transaction(db: str) -> bool:
    """True when the task queue is a table in the messages' own database."""
    backend = sms_send_task.get_backend()
    return isinstance(backend, DatabaseBackend) and router.db_for_write(DBTaskResult) == db


def sms_send(
    *, sms_id: str | uuid.UUID, gateway: SmsGateway | None = None, db_retries: int = 0
) -> str:
    """Send one queued SMS if it is due; return the status it ends in.

    Idempotent: a row that is not queued (already sending, sent or failed) is left alone.
    `db_retries` counts the task's earlier runs that could not take the row (DB_RETRY_DELAYS)."""
    try:
        claimed = _claim(sms_id)
    except OperationalError as exc:
        return _retry_claim(sms_id, db_retries=db_retries, error=exc)
    if not isinstance(claimed, SmsMessage):
        return claimed
    sms = claimed

    gateway = gateway if gateway is not None else get_gateway()
    try:
        provider_id = gateway.send(
            to=sms.phone, text=sms.text, template=sms.template, client_ref=str(sms.id)
        )
    except SmsGatewayError as exc:
        return _record(_record_failure, sms.id, error=str(exc), retryable=exc.retryable)
    except Exception as exc:
        logger.exception("sms-send client-bug sms_id=%s", sms.id)
        return _record(
            _record_failure, sms.id, error=f"client error: {type(exc).__name__}", retryable=True
        )
    return _record(_record_sent, sms.id, provider_id=provider_id)


def _claim(sms_id: str | uuid.UUID) -> SmsMessage | str:
    """Move a due, queued row to sending and count the attempt; else the status to report."""
    now = timezone.now()
    with atomic_for(SmsMessage):
        sms = SmsMessage.objects.select_for_update().filter(pk=sms_id).first()
        if sms is None:
            logger.warning("sms-send missing sms_id=%s", sms_id)
            return "missing"
        if sms.status != Status.QUEUED:
            logger.info("sms-send skip sms_id=%s status=%s", sms.id, sms.status)
            return str(sms.status)
        if sms.next_attempt_at > now:
            logger.info("sms-send not-due sms_id=%s", sms.id)
            return str(sms.status)
        sms.status = Status.SENDING
        sms.attempts += 1
        sms.save(update_fields=["status", "attempts", "updated_at"])
    return sms


def _forget_broken_connection() -> None:
    """After an OperationalError, drop the connection if it is unusable, so a retry reconnects
    (never inside a caller's transaction, which owns the connection)."""
    connection = connections[db_for(SmsMessage)]
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()


def _retry_claim(sms_id: str | uuid.UUID, *, db_retries: int, error: OperationalError) -> str:
    """The row could not be taken; nothing was sent. Run the task again shortly, or leave the
    row queued for the sweep once DB_RETRY_DELAYS are used up."""
    _forget_broken_connection()
    if db_retries >= len(DB_RETRY_DELAYS):
        logger.warning(
            "sms-send db-error sms_id=%s retries=%s left-to=sweep error=%s",
            sms_id,
            db_retries,
            type(error).__name__,
        )
        return str(Status.QUEUED)
    delay = DB_RETRY_DELAYS[db_retries]
    logger.warning(
        "sms-send db-error sms_id=%s retry=%s in=%.1fs error=%s",
        sms_id,
        db_retries + 1,
        delay.total_seconds(),
        type(error).__name__,
    )
    _enqueue(sms_id, run_after=timezone.now() + delay, db_retries=db_retries + 1)
    return str(Status.QUEUED)


def _record(write: Callable[..., str], sms_id: uuid.UUID, **kwargs: Any) -> str:
    """Write the outcome of a send that reached the gateway, retrying a failed write in place."""
    for attempt in range(RECORD_RETRIES + 1):
        try:
            return write(sms_id, **kwargs)
        except OperationalError as exc:
            _forget_broken_connection()
            if attempt == RECORD_RETRIES:
                raise
            logger.warning(
                "sms-send record-retry sms_id=%s attempt=%s error=%s",
                sms_id,
                attempt + 1,
                type(exc).__name__,
            )
            time.sleep(RECORD_RETRY_PAUSE_SECONDS)
    raise AssertionError("unreachable")


def _record_sent(sms_id: uuid.UUID, *, provider_id: str) -> str:
    with atomic_for(SmsMessage):
        sms = SmsMessage.objects.select_for_update().get(pk=sms_id)
        if sms.status == Status.SENT:
            return sms.status
        # Also from queued or failed: the sweeper may have given up on this worker, but the
        # gateway has the message, and a resend under the same client_ref is deduplicated.
        sms.status = Status.SENT
        sms.provider_id = provider_id
        sms.sent_at = timezone.now()
        sms.last_error = ""
        sms.save(update_fields=["status", "provider_id", "sent_at", "last_error", "updated_at"])
    logger.info("sms-send sent sms_id=%s attempts=%s", sms.id, sms.attempts)
    return sms.status


def _record_failure(sms_id: uuid.UUID, *, error: str, retryable: bool) -> str:
    db = db_for(SmsMessage)
    with atomic_for(SmsMessage):
        sms = SmsMessage.objects.select_for_update().get(pk=sms_id)
        if sms.status != Status.SENDING:
            logger.info("sms-send late-failure sms_id=%s status=%s", sms.id, sms.status)
            return sms.status
        sms.last_error = error[:500]
        if retryable and sms.attempts < MAX_ATTEMPTS:
            delay = RETRY_DELAYS[min(sms.attempts, len(RETRY_DELAYS)) - 1]
            sms.status = Status.QUEUED
            sms.next_attempt_at = timezone.now() + delay
            run_after = sms.next_attempt_at
            transaction.on_commit(
                lambda: _enqueue(sms_id, run_after=run_after), using=db, robust=True
            )
        else:
            sms.status = Status.FAILED
        sms.save(update_fields=["status", "last_error", "next_attempt_at", "updated_at"])
    logger.warning(
        "sms-send error sms_id=%s attempts=%s retryable=%s status=%s error=%s",
        sms.id,
        sms.attempts,
        retryable,
        sms.status,
        sms.last_error,
    )
    return sms.status


def sms_sweep() -> int:
    """Re-enqueue what got stuck; return how many messages were enqueued.

    Rows in sending longer than SENDING_TIMEOUT lost their worker mid-send: they go back to queued
    (or to failed when out of attempts). Queued rows due for longer than QUEUED_GRACE lost their
    task, or wait for a retry on a backend that cannot defer. Run it every minute or so."""
    now = timezone.now()
    with atomic_for(SmsMessage):
        stuck = list(
            SmsMessage.objects.select_for_update(skip_locked=True).filter(
                status=Status.SENDING, updated_at__lt=now - SENDING_TIMEOUT
            )
        )
        for sms in stuck:
            sms.last_error = "no outcome from the gateway: worker lost while sending"
            if sms.attempts >= MAX_ATTEMPTS:
                sms.status = Status.FAILED
            else:
                sms.status = Status.QUEUED
                sms.next_attempt_at = now
            sms.save(update_fields=["status", "last_error", "next_attempt_at", "updated_at"])
            logger.warning("sms-sweep reset sms_id=%s status=%s", sms.id, sms.status)
        due = list(
            SmsMessage.objects.filter(
                status=Status.QUEUED, next_attempt_at__lte=now - QUEUED_GRACE
            ).values_list("id", flat=True)
        ) + [sms.id for sms in stuck if sms.status == Status.QUEUED]
    for sms_id in dict.fromkeys(due):
        _enqueue(sms_id)
    if due:
        logger.info("sms-sweep enqueued count=%s", len(due))
    return len(set(due))

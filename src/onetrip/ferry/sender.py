"""The sending half of an agent: outbox → signed batches → transport, resends, and acks.

Sequence numbers are assigned here, at batch time, under the channel lock and in the same
transaction that stores the batch, so they are gapless and no two exporters can reuse one. The
batch bytes are stored with the row; shipping happens after commit and a resend ships the same
bytes, so the receiver can tell a duplicate (same hash) from a conflict (different hash).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import models as abstract
from .batch import BatchInvalid, build_batch, verify_ack
from .channels import sender_of
from .envelope import Envelope
from .log import log_event
from .quarantine import quarantine
from .registry import Store
from .report import AgentReport
from .signing import SigningKey
from .state import ensure_channel_state, lock_channel
from .transports.base import Transport


def envelope_of(row: abstract.OutboxMessage) -> Envelope:
    if row.sequence is None:
        raise ValueError("an outbox row gets its envelope only once it has a sequence")
    return Envelope(
        message_id=row.message_id,
        sequence=row.sequence,
        message_type=row.message_type,
        version=row.version,
        aggregate_type=row.aggregate_type,
        aggregate_id=row.aggregate_id,
        correlation_id=row.correlation_id,
        actor=row.actor,
        purpose=row.purpose,
        occurred_at=row.occurred_at,
        payload=row.payload,
    )


def build_batches(store: Store, key: SigningKey, report: AgentReport) -> None:
    """Drain the outbox into batches of at most FERRY_BATCH_MAX_MESSAGES messages."""
    channel = store.sends_on
    ensure_channel_state(store, channel, abstract.ChannelState.DIRECTION_OUT)
    limit = max(1, int(settings.FERRY_BATCH_MAX_MESSAGES))
    while True:
        with transaction.atomic(using=store.db):
            state = lock_channel(store, channel)
            rows = list(
                store.outbox._default_manager.filter(
                    channel=channel, sequence__isnull=True
                ).order_by("id")[:limit]
            )
            if not rows:
                return
            batch_id = uuid.uuid4()
            for offset, row in enumerate(rows):
                row.sequence = state.last_seq + 1 + offset
                row.batch_id = batch_id
            built = build_batch(
                channel=channel,
                sender_zone=store.zone,
                envelopes=[envelope_of(row) for row in rows],
                prev_sha256=state.last_batch_sha256,
                key=key,
                created_at=timezone.now(),
                batch_id=batch_id,
            )
            # One small UPDATE per row: much cheaper than bulk_update's CASE expression.
            for row in rows:
                store.outbox._default_manager.filter(pk=row.pk).update(
                    sequence=row.sequence, batch_id=batch_id
                )
            store.sent_batch._default_manager.create(
                channel=channel,
                batch_id=built.batch_id,
                first_seq=built.first_seq,
                last_seq=built.last_seq,
                message_count=built.message_count,
                sha256=built.sha256,
                prev_sha256=built.prev_sha256,
                file_name=built.file_name,
                body=built.body,
            )
            state.last_seq = built.last_seq
            state.last_batch_sha256 = built.sha256
            state.save(update_fields=["last_seq", "last_batch_sha256", "updated_at"])
        report.batches_built += 1
        log_event(
            logging.INFO,
            "batch_built",
            zone=store.zone,
            channel=channel,
            batch_id=built.batch_id,
            first_seq=built.first_seq,
            last_seq=built.last_seq,
            messages=built.message_count,
            sha256=built.sha256,
        )


def _send(store: Store, transport: Transport, batch: abstract.SentBatch) -> None:
    transport.put_batch(batch.channel, batch.file_name, bytes(batch.body))
    now = timezone.now()
    store.sent_batch._default_manager.filter(pk=batch.pk).update(
        exported_at=batch.exported_at or now, last_sent_at=now, send_count=F("send_count") + 1
    )


def export_batches(store: Store, transport: Transport, report: AgentReport) -> set[int]:
    """Ship batches built but not yet written (also those a crash left behind)."""
    shipped: set[int] = set()
    pending = store.sent_batch._default_manager.filter(
        channel=store.sends_on, exported_at__isnull=True
    ).order_by("first_seq")
    for batch in pending:
        _send(store, transport, batch)
        shipped.add(batch.pk)
        report.batches_exported += 1
        log_event(
            logging.INFO,
            "batch_exported",
            zone=store.zone,
            channel=batch.channel,
            batch_id=batch.batch_id,
            first_seq=batch.first_seq,
            file=batch.file_name,
        )
    return shipped


def resend_unacked(
    store: Store, transport: Transport, report: AgentReport, skip: set[int] | None = None
) -> None:
    """Rewrite, byte for byte, every unacked batch last sent longer ago than the timeout."""
    cutoff = timezone.now() - dt.timedelta(seconds=float(settings.FERRY_RESEND_AFTER_SECONDS))
    stale = store.sent_batch._default_manager.filter(
        channel=store.sends_on,
        acked_at__isnull=True,
        exported_at__isnull=False,
        last_sent_at__lte=cutoff,
    ).order_by("first_seq")
    for batch in stale:
        if skip and batch.pk in skip:
            continue
        _send(store, transport, batch)
        report.batches_resent += 1
        log_event(
            logging.WARNING,
            "batch_resent",
            zone=store.zone,
            channel=batch.channel,
            batch_id=batch.batch_id,
            first_seq=batch.first_seq,
            send_count=batch.send_count + 1,
        )


def read_acks(store: Store, transport: Transport, report: AgentReport) -> None:
    """Mark our batches acknowledged from the receiver's signed acks."""
    channel = store.sends_on
    for name in transport.list_acks(channel):
        body = transport.read_ack(channel, name)
        if body is None:
            continue
        try:
            ack = verify_ack(channel=channel, signer_channel=store.receives_on, body=body)
            batch = store.sent_batch._default_manager.filter(
                channel=channel, batch_id=ack.batch_id
            ).first()
            if batch is None or batch.sha256 != ack.batch_sha256:
                raise BatchInvalid("ack names a batch we did not send")
            if (batch.first_seq, batch.last_seq) != (ack.first_seq, ack.last_seq):
                raise BatchInvalid("ack sequences differ from the batch's")
            if ack.receiver_zone != sender_of(store.receives_on):
                raise BatchInvalid(f"ack from unexpected zone {ack.receiver_zone!r}")
        except BatchInvalid as exc:
            quarantine(
                store,
                transport,
                channel,
                name,
                body,
                exc.reason,
                abstract.QuarantinedBatch.KIND_ACK,
            )
            report.quarantined += 1
            continue
        if batch.acked_at is None:
            store.sent_batch._default_manager.filter(pk=batch.pk).update(
                acked_at=timezone.now(), ack_rejects=ack.rejects
            )
            log_event(
                logging.INFO,
                "batch_acked",
                zone=store.zone,
                channel=channel,
                batch_id=batch.batch_id,
                last_seq=batch.last_seq,
                applied_through=ack.applied_through,
                rejects=len(ack.rejects),
            )
            for reject in ack.rejects:
                log_event(
                    logging.WARNING,
                    "message_rejected_by_receiver",
                    zone=store.zone,
                    channel=channel,
                    batch_id=batch.batch_id,
                    message_id=reject.get("message_id", ""),
                    sequence=reject.get("sequence", ""),
                )
        transport.remove_ack(channel, name)
        report.acks_received += 1

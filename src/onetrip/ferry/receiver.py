"""The receiving half of an agent: verify, apply exactly once, in order, then acknowledge.

For each pending batch file, in sequence order:

1. Verify every byte (`batch.verify_batch`) and that this zone has a handler for every message
   type. Anything wrong → quarantine; nothing is applied.
2. Compare with what was applied: a batch already applied (same first sequence, same hash) is a
   duplicate → drop the file and ack again; a different batch under an applied sequence is a
   security alarm → quarantine; a batch beyond the next expected sequence is parked (left in
   place) until the missing one arrives; the next batch must chain to the last one's hash.
3. Apply the whole batch in one transaction under the channel lock: per message, skip a message id
   already in the inbox, else run its handler in a savepoint and record the inbox row; then record
   the batch and advance the channel state.
4. After commit, write the signed ack, then remove the file. A crash before that leaves the file
   to be recognised as a duplicate (step 2) on the next pass, which acks it then.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import models as abstract
from .batch import BatchInvalid, VerifiedBatch, build_ack, verify_batch
from .handlers import BusinessReject, handler_for
from .log import log_event
from .quarantine import quarantine
from .registry import Store
from .report import AgentReport
from .signing import SigningKey
from .state import ensure_channel_state, lock_channel, read_channel_state
from .transports.base import Transport

CONFLICT_REASON = "security alarm: conflicting batch"

# When this process first saw each parked batch, to warn once a gap outlives several resends.
_parked_since: dict[tuple[str, str, str], float] = {}


class _Retry(Exception):
    """The channel moved under us (another agent applied first); look again next pass."""


def receive_batches(
    store: Store,
    transport: Transport,
    ack_key: SigningKey,
    report: AgentReport,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    channel = store.receives_on
    ensure_channel_state(store, channel, abstract.ChannelState.DIRECTION_IN)
    for name in transport.list_batches(channel):
        if should_stop():
            return
        body = transport.read_batch(channel, name)
        if body is None:
            continue
        try:
            _receive_one(store, transport, ack_key, report, name, body)
        except _Retry:
            return
        except Exception as exc:
            # A handler bug or a database outage: the batch rolled back as a whole and stays
            # pending. Later batches would only park behind it, so stop this channel's pass.
            log_event(
                logging.ERROR,
                "apply_failed",
                zone=store.zone,
                channel=channel,
                file=name,
                error=exc.__class__.__name__,
            )
            logging.getLogger("onetrip.ferry").debug("apply failure detail", exc_info=True)
            report.errors.append(f"{channel}/{name}: {exc.__class__.__name__}")
            return


def _receive_one(
    store: Store,
    transport: Transport,
    ack_key: SigningKey,
    report: AgentReport,
    name: str,
    body: bytes,
) -> None:
    channel = store.receives_on
    try:
        batch = verify_batch(channel=channel, file_name=name, body=body)
    except BatchInvalid as exc:
        quarantine(store, transport, channel, name, body, exc.reason)
        report.quarantined += 1
        return

    state = read_channel_state(store, channel)
    assert state is not None
    prior = store.received_batch._default_manager.filter(
        channel=channel, first_seq=batch.first_seq
    ).first()
    if prior is not None or batch.first_seq <= state.last_seq:
        if prior is not None and prior.sha256 == batch.sha256:
            _duplicate(store, transport, ack_key, report, batch, prior, state.last_seq)
        else:
            quarantine(store, transport, channel, name, body, CONFLICT_REASON, alarm=True)
            report.quarantined += 1
        return
    if batch.first_seq > state.last_seq + 1:
        _park(store, report, batch, expected=state.last_seq + 1)
        return
    if batch.prev_sha256 != state.last_batch_sha256:
        quarantine(
            store,
            transport,
            channel,
            name,
            body,
            "hash chain broken: prev_batch_sha256 is not the last applied batch",
            alarm=True,
        )
        report.quarantined += 1
        return

    missing = _missing_handler(store.zone, batch)
    if missing:
        quarantine(store, transport, channel, name, body, missing)
        report.quarantined += 1
        return

    rejects = _apply(store, report, batch)
    _parked_since.pop((store.zone, channel, name), None)
    # Ack before removing: a crash in between leaves the file, which the next pass sees as a
    # duplicate and acks again. The other order could lose both file and ack until a resend.
    _write_ack(store, transport, ack_key, batch, rejects, applied_through=batch.last_seq)
    transport.remove_batch(channel, name)


def _missing_handler(zone: str, batch: VerifiedBatch) -> str:
    """A deployment error, not a business reject: quarantine so that nothing is lost; once the
    handler is deployed, the sender's resend of the same batch applies."""
    for envelope, _message in batch.messages:
        if handler_for(zone, envelope.message_type) is None:
            return (
                f"no handler for {envelope.message_type} in zone {zone} "
                f"(message {envelope.message_id})"
            )
    return ""


def _apply(store: Store, report: AgentReport, batch: VerifiedBatch) -> list[dict[str, Any]]:
    """Apply the whole batch in one transaction; return the business rejects."""
    channel = batch.channel
    rejects: list[dict[str, Any]] = []
    applied = skipped = 0
    inbox_rows: list[abstract.InboxMessage] = []
    inbox = store.inbox._default_manager
    with transaction.atomic(using=store.db):
        state = lock_channel(store, channel)
        if state.last_seq != batch.first_seq - 1 or state.last_batch_sha256 != batch.prev_sha256:
            raise _Retry
        now = timezone.now()
        seen = set(
            inbox.filter(message_id__in=[e.message_id for e, _ in batch.messages]).values_list(
                "message_id", flat=True
            )
        )
        for envelope, message in batch.messages:
            if envelope.message_id in seen:
                skipped += 1
                continue
            handler = handler_for(store.zone, envelope.message_type)
            assert handler is not None  # checked before the transaction
            status, reason = abstract.InboxMessage.STATUS_APPLIED, ""
            try:
                with transaction.atomic(using=store.db):
                    handler(envelope, message)
            except BusinessReject as exc:
                status, reason = abstract.InboxMessage.STATUS_REJECTED, exc.reason
                rejects.append(
                    {
                        "message_id": str(envelope.message_id),
                        "sequence": envelope.sequence,
                        "reason": reason,
                    }
                )
                log_event(
                    logging.WARNING,
                    "message_rejected",
                    zone=store.zone,
                    channel=channel,
                    batch_id=batch.batch_id,
                    message_id=envelope.message_id,
                    sequence=envelope.sequence,
                    message_type=envelope.message_type,
                )
            else:
                applied += 1
            inbox_rows.append(
                store.inbox(
                    message_id=envelope.message_id,
                    channel=channel,
                    sequence=envelope.sequence,
                    batch_id=batch.batch_id,
                    message_type=envelope.message_type,
                    version=envelope.version,
                    status=status,
                    reject_reason=reason,
                    applied_at=now,
                )
            )
        inbox.bulk_create(inbox_rows)
        store.received_batch._default_manager.create(
            channel=channel,
            batch_id=batch.batch_id,
            first_seq=batch.first_seq,
            last_seq=batch.last_seq,
            message_count=len(batch.messages),
            sha256=batch.sha256,
            rejects=rejects,
            applied_at=now,
        )
        state.last_seq = batch.last_seq
        state.last_batch_sha256 = batch.sha256
        state.save(update_fields=["last_seq", "last_batch_sha256", "updated_at"])
    report.batches_applied += 1
    report.messages_applied += applied
    report.messages_rejected += len(rejects)
    report.messages_skipped += skipped
    log_event(
        logging.INFO,
        "batch_applied",
        zone=store.zone,
        channel=channel,
        batch_id=batch.batch_id,
        first_seq=batch.first_seq,
        last_seq=batch.last_seq,
        applied=applied,
        rejected=len(rejects),
        skipped=skipped,
    )
    return rejects


def _duplicate(
    store: Store,
    transport: Transport,
    ack_key: SigningKey,
    report: AgentReport,
    batch: VerifiedBatch,
    prior: abstract.ReceivedBatch,
    applied_through: int,
) -> None:
    """Already applied: ack again (the first ack may have been lost) and drop the copy."""
    _write_ack(store, transport, ack_key, batch, list(prior.rejects), applied_through)
    transport.remove_batch(batch.channel, batch.file_name)
    _parked_since.pop((store.zone, batch.channel, batch.file_name), None)
    report.duplicate_batches += 1
    log_event(
        logging.INFO,
        "batch_duplicate",
        zone=store.zone,
        channel=batch.channel,
        batch_id=batch.batch_id,
        first_seq=batch.first_seq,
    )


def _park(store: Store, report: AgentReport, batch: VerifiedBatch, expected: int) -> None:
    """Leave a batch that arrived ahead of a gap; the sender's resend fills the gap."""
    report.parked_batches += 1
    key = (store.zone, batch.channel, batch.file_name)
    first_seen = _parked_since.setdefault(key, time.monotonic())
    waited = time.monotonic() - first_seen
    persistent = waited > 3 * float(settings.FERRY_RESEND_AFTER_SECONDS)
    log_event(
        logging.WARNING if persistent else logging.INFO,
        "gap_persists" if persistent else "batch_parked",
        zone=store.zone,
        channel=batch.channel,
        batch_id=batch.batch_id,
        first_seq=batch.first_seq,
        expected_seq=expected,
        waited_seconds=round(waited, 1),
    )


def _write_ack(
    store: Store,
    transport: Transport,
    ack_key: SigningKey,
    batch: VerifiedBatch,
    rejects: list[dict[str, Any]],
    applied_through: int,
) -> None:
    name, body = build_ack(
        channel=batch.channel,
        receiver_zone=store.zone,
        batch_id=batch.batch_id,
        batch_sha256=batch.sha256,
        first_seq=batch.first_seq,
        last_seq=batch.last_seq,
        applied_through=applied_through,
        rejects=rejects,
        acked_at=timezone.now(),
        key=ack_key,
    )
    transport.put_ack(batch.channel, name, body)
    log_event(
        logging.INFO,
        "ack_written",
        zone=store.zone,
        channel=batch.channel,
        batch_id=batch.batch_id,
        applied_through=applied_through,
        rejects=len(rejects),
    )

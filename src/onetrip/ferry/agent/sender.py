"""The sending half of an agent: outbox → signed batches → transport, resends, acks, heartbeats.

Sequence numbers are assigned here, at batch time, under the channel lock and in the same
transaction that stores the batch, so they are gapless and no two exporters can reuse one. The
batch bytes are stored with the row; shipping happens after commit and a resend ships the same
bytes, so the receiver can tell a duplicate (same hash) from a conflict (different hash). With
settings.FERRY_ENCRYPT the message lines are sealed to the receiver's X25519 key at build time.

From the reverse channel come acks and resend requests. An ack marks its batch acknowledged and,
in the same transaction, records each business reject on its outbox row and calls the zone's
reject handler for it (exactly once: only the ack that flips `acked_at` does this). A resend
request makes the batches covering the missing range go out again at once, byte for byte.

When nothing has gone out for FERRY_HEARTBEAT_SECONDS, a signed heartbeat goes out on the sending
channel with the last sequence built and sent and how far this zone has applied the other channel.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from onetrip.contracts.base import contract_for

from .. import models as abstract
from ..log import log_event
from ..protocol.batch import (
    Ack,
    BatchInvalid,
    ResendRequest,
    build_batch,
    build_heartbeat,
    is_ack_directory_name,
    verify_reverse,
)
from ..protocol.channels import sender_of
from ..protocol.envelope import Envelope
from ..protocol.sealing import load_encryption_key
from ..protocol.signing import SigningKey
from ..registry import Store
from ..transports.base import Incoming, Transport
from . import events
from .alarms import clear_alarms_for_key
from .handlers import reject_handler_for
from .quarantine import (
    HOST_ERRORS,
    alarm_key,
    bad_name_reason,
    malformed_reason,
    quarantine,
    unreadable_reason,
    within_limits,
)
from .report import AgentReport
from .state import ensure_channel_state, lock_channel, read_channel_state


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


# What an envelope adds to its payload in a batch file, at most (ids, type, times, hashes).
ENVELOPE_ALLOWANCE = 1024


def _payloads_within(
    rows: list[abstract.OutboxMessage], max_bytes: int
) -> list[abstract.OutboxMessage]:
    """The longest prefix of `rows` whose payloads alone could fit in one file (at least one).

    Bulk messages (1,000 reported rows each) are large: without this, a batch of
    FERRY_BATCH_MAX_MESSAGES of them was built at ten times the limit and halved, rebuilding
    and signing hundreds of megabytes to send sixteen. The halving below stays as the exact
    check."""
    total = 0
    for count, row in enumerate(rows):
        total += len(json.dumps(row.payload, separators=(",", ":"))) + ENVELOPE_ALLOWANCE
        if total > max_bytes and count:
            return rows[:count]
    return rows


def build_batches(
    store: Store, key: SigningKey, report: AgentReport, max_batches: int | None = None
) -> int:
    """Drain the outbox into batches of at most FERRY_BATCH_MAX_MESSAGES messages, and fewer
    where that many would make a file over FERRY_MAX_DOCUMENT_BYTES, which the receiver refuses.

    Stops after `max_batches` batches (if given) so the caller can ship them before building
    more: with a backlog, the first batch then leaves at once instead of after the whole outbox.
    Returns how many batches it built."""
    channel = store.sends_on
    ensure_channel_state(store, channel, abstract.ChannelState.DIRECTION_OUT)
    limit = max(1, int(settings.FERRY_BATCH_MAX_MESSAGES))
    max_bytes = int(settings.FERRY_MAX_DOCUMENT_BYTES)
    encrypt = bool(settings.FERRY_ENCRYPT)
    recipient = None
    built_count = 0
    while max_batches is None or built_count < max_batches:
        with transaction.atomic(using=store.db):
            state = lock_channel(store, channel)
            rows = list(
                store.outbox._default_manager.filter(
                    channel=channel, sequence__isnull=True
                ).order_by("id")[:limit]
            )
            if not rows:
                return built_count
            rows = _payloads_within(rows, max_bytes)
            if encrypt and recipient is None:
                recipient = load_encryption_key(channel)
            batch_id = uuid.uuid4()
            for offset, row in enumerate(rows):
                row.sequence = state.last_seq + 1 + offset
                row.batch_id = batch_id
            while True:
                built = build_batch(
                    channel=channel,
                    sender_zone=store.zone,
                    envelopes=[envelope_of(row) for row in rows],
                    prev_sha256=state.last_batch_sha256,
                    key=key,
                    created_at=timezone.now(),
                    batch_id=batch_id,
                    encrypt_to=recipient,
                )
                if len(built.body) <= max_bytes or len(rows) == 1:
                    break
                # The receiver would quarantine it unread: fewer messages in this batch.
                rows = rows[: len(rows) // 2]
            if len(built.body) > max_bytes:
                log_event(
                    logging.ERROR,
                    "batch_too_large",
                    zone=store.zone,
                    channel=channel,
                    batch_id=batch_id,
                    first_seq=built.first_seq,
                    size=len(built.body),
                    limit=max_bytes,
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
            events.record_event(
                store.zone,
                events.BUILT,
                channel,
                batch_id=built.batch_id,
                first_seq=built.first_seq,
                last_seq=built.last_seq,
                count=built.message_count,
                detail="encrypted" if recipient is not None else "",
            )
        report.batches_built += 1
        built_count += 1
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
    return built_count


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
        _audit(store, events.EXPORTED, batch)
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
        _resend(store, transport, report, batch, "timeout")


def _resend(
    store: Store, transport: Transport, report: AgentReport, batch: abstract.SentBatch, why: str
) -> None:
    _send(store, transport, batch)
    report.batches_resent += 1
    _audit(store, events.RESENT, batch, why)
    log_event(
        logging.WARNING,
        "batch_resent",
        zone=store.zone,
        channel=batch.channel,
        batch_id=batch.batch_id,
        first_seq=batch.first_seq,
        send_count=batch.send_count + 1,
        why=why,
    )


def _audit(store: Store, step: str, batch: abstract.SentBatch, detail: str = "") -> None:
    events.record_event(
        store.zone,
        step,
        batch.channel,
        batch_id=batch.batch_id,
        first_seq=batch.first_seq,
        last_seq=batch.last_seq,
        count=batch.message_count,
        detail=detail,
    )


BAD_ACK_NAME = bad_name_reason(abstract.QuarantinedBatch.KIND_ACK)


def read_acks(store: Store, transport: Transport, report: AgentReport) -> set[int]:
    """Process the receiver's signed acks and resend requests for our channel.

    Returns the ids of the batches resent on request, so that the timeout resend of the same
    pass skips them. Whatever cannot be read or verified, under whatever name, is quarantined;
    nothing here can hold up the acks behind it."""
    channel = store.sends_on
    resent: set[int] = set()
    names = transport.list_acks(channel)
    for item in transport.take_set_aside(channel, "acks"):
        # Set aside by the transport itself while listing (no usable name): record it.
        _quarantine_ack(
            store,
            transport,
            report,
            item.name or "(no name)",
            within_limits(item.body),
            BAD_ACK_NAME,
            moved_to=item.where,
        )
    for name in names:
        if not is_ack_directory_name(name):
            # Before any path is built from the name, and unread.
            _quarantine_ack(
                store, transport, report, name, Incoming.unread("bad name"), BAD_ACK_NAME
            )
            continue
        document = _read_reverse(store, transport, report, name)
        if document is None:
            continue
        incoming, reverse = document
        try:
            if reverse.receiver_zone != sender_of(store.receives_on):
                raise BatchInvalid(f"ack from unexpected zone {reverse.receiver_zone!r}")
            if isinstance(reverse, ResendRequest):
                _answer_resend_request(store, transport, report, reverse, resent)
            else:
                _process_ack(store, report, reverse)
        except BatchInvalid as exc:
            _quarantine_ack(store, transport, report, name, incoming, exc.reason, exc.kind)
            continue
        except Exception as exc:
            # A reject handler's bug or a database outage: the ack's transaction rolled back and
            # the ack stays for the next pass.
            log_event(
                logging.ERROR,
                "ack_failed",
                zone=store.zone,
                channel=channel,
                file=name,
                error=exc.__class__.__name__,
            )
            logging.getLogger("onetrip.ferry").debug("ack failure detail", exc_info=True)
            report.errors.append(f"{channel}/acks/{name}: {exc.__class__.__name__}")
            continue
        transport.remove_ack(channel, name)
        report.acks_received += 1
        clear_alarms_for_key(
            store.zone, channel, alarm_key(abstract.QuarantinedBatch.KIND_ACK, name)
        )
    return resent


def _read_reverse(
    store: Store, transport: Transport, report: AgentReport, name: str
) -> tuple[Incoming, Ack | ResendRequest] | None:
    """Read an ack or resend request within FERRY_MAX_DOCUMENT_BYTES and verify it; None if it
    has vanished or was quarantined. Anything its parsing raises (but HOST_ERRORS, which are about
    this host) is the document's fault, never the channel's."""
    channel = store.sends_on
    max_bytes = int(settings.FERRY_MAX_DOCUMENT_BYTES)
    incoming = transport.read_ack_limited(
        channel, name, max_bytes=max_bytes, keep_bytes=int(settings.FERRY_QUARANTINE_PREFIX_BYTES)
    )
    if incoming is None:
        return None
    problem = unreadable_reason(incoming, max_bytes)
    if problem:
        _quarantine_ack(store, transport, report, name, incoming, problem)
        return None
    try:
        reverse = verify_reverse(
            channel=channel, signer_channel=store.receives_on, body=incoming.body
        )
    except BatchInvalid as exc:
        _quarantine_ack(store, transport, report, name, incoming, exc.reason, exc.kind)
        return None
    except HOST_ERRORS:
        raise
    except Exception as exc:
        _quarantine_ack(store, transport, report, name, incoming, malformed_reason(exc))
        return None
    return incoming, reverse


def _quarantine_ack(
    store: Store,
    transport: Transport,
    report: AgentReport,
    name: str,
    incoming: Incoming,
    reason: str,
    alarm_kind: str | None = None,
    *,
    moved_to: str | None = None,
) -> None:
    quarantine(
        store,
        transport,
        store.sends_on,
        name,
        incoming,
        reason,
        abstract.QuarantinedBatch.KIND_ACK,
        alarm_kind=alarm_kind,
        moved_to=moved_to,
    )
    report.quarantined += 1


def _process_ack(store: Store, report: AgentReport, ack: Ack) -> None:
    channel = store.sends_on
    manager = store.sent_batch._default_manager
    batch = manager.filter(channel=channel, batch_id=ack.batch_id).first()
    if batch is None or batch.sha256 != ack.batch_sha256:
        raise BatchInvalid("ack names a batch we did not send")
    if (batch.first_seq, batch.last_seq) != (ack.first_seq, ack.last_seq):
        raise BatchInvalid("ack sequences differ from the batch's")
    store.channel_state._default_manager.filter(
        channel=channel, peer_applied_through__lt=ack.applied_through
    ).update(peer_applied_through=ack.applied_through)
    if batch.acked_at is not None:
        return
    with transaction.atomic(using=store.db):
        # Only the pass that flips acked_at surfaces the rejects: exactly once.
        flipped = manager.filter(pk=batch.pk, acked_at__isnull=True).update(
            acked_at=timezone.now(), ack_rejects=ack.rejects
        )
        if not flipped:
            return
        surfaced = _surface_rejects(store, batch, ack.rejects)
        _audit(store, events.ACKED, batch, f"rejects={len(ack.rejects)}")
    report.rejects_surfaced += surfaced
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


def _surface_rejects(store: Store, batch: abstract.SentBatch, rejects: list[dict[str, Any]]) -> int:
    """Record each reject on its outbox row and tell the zone's reject handler, once."""
    if not rejects:
        return 0
    by_id: dict[str, str] = {}
    for reject in rejects:
        if isinstance(reject, dict) and isinstance(reject.get("message_id"), str):
            by_id[reject["message_id"]] = str(reject.get("reason", ""))[:2000]
    ids: list[uuid.UUID] = []
    for text in by_id:
        try:
            ids.append(uuid.UUID(text))
        except ValueError:
            continue
    rows = store.outbox._default_manager.filter(
        channel=batch.channel,
        batch_id=batch.batch_id,
        message_id__in=ids,
        reject_seen_at__isnull=True,
    ).order_by("sequence")
    now = timezone.now()
    surfaced = 0
    for row in rows:
        reason = by_id[str(row.message_id)]
        store.outbox._default_manager.filter(pk=row.pk).update(
            rejected_reason=reason, reject_seen_at=now
        )
        handler = reject_handler_for(store.zone, row.message_type)
        contract = contract_for(row.message_type, row.version)
        if handler is not None and contract is not None:
            handler(envelope_of(row), contract.model_validate(row.payload), reason)
        surfaced += 1
        log_event(
            logging.WARNING,
            "message_rejected_by_receiver",
            zone=store.zone,
            channel=batch.channel,
            batch_id=batch.batch_id,
            message_id=row.message_id,
            sequence=row.sequence,
            message_type=row.message_type,
            handled="yes" if handler is not None else "no",
        )
    return surfaced


def _answer_resend_request(
    store: Store,
    transport: Transport,
    report: AgentReport,
    request: ResendRequest,
    resent: set[int],
) -> None:
    """Send again, at once and byte for byte, every batch we shipped that overlaps the range."""
    batches = store.sent_batch._default_manager.filter(
        channel=store.sends_on,
        exported_at__isnull=False,
        first_seq__lte=request.last,
        last_seq__gte=request.first,
    ).order_by("first_seq")
    report.resend_requests_received += 1
    for batch in batches:
        if batch.pk in resent:
            continue
        _resend(store, transport, report, batch, f"requested {request.first}-{request.last}")
        resent.add(batch.pk)


def send_heartbeat(
    store: Store, transport: Transport, key: SigningKey, report: AgentReport, *, force: bool = False
) -> bool:
    """Send a heartbeat if nothing has gone out on our channel for FERRY_HEARTBEAT_SECONDS."""
    channel = store.sends_on
    ensure_channel_state(store, channel, abstract.ChannelState.DIRECTION_OUT)
    state = read_channel_state(store, channel)
    assert state is not None
    now = timezone.now()
    sent = store.sent_batch._default_manager.filter(channel=channel)
    last_batch_sent = sent.aggregate(m=Max("last_sent_at"))["m"]
    quiet_since = max(
        t for t in (state.created_at, state.heartbeat_sent_at, last_batch_sent) if t is not None
    )
    every = float(settings.FERRY_HEARTBEAT_SECONDS)
    if not force and (now - quiet_since).total_seconds() < every:
        return False
    incoming = read_channel_state(store, store.receives_on)
    name, body = build_heartbeat(
        channel=channel,
        sender_zone=store.zone,
        last_seq=state.last_seq,
        last_seq_sent=sent.filter(exported_at__isnull=False).aggregate(m=Max("last_seq"))["m"] or 0,
        applied_through=incoming.last_seq if incoming else 0,
        sent_at=now,
        key=key,
    )
    transport.put_batch(channel, name, body)
    store.channel_state._default_manager.filter(channel=channel).update(heartbeat_sent_at=now)
    report.heartbeats_sent += 1
    log_event(
        logging.DEBUG, "heartbeat_sent", zone=store.zone, channel=channel, last_seq=state.last_seq
    )
    return True

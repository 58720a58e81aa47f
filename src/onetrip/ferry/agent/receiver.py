"""The receiving half of an agent: verify, apply exactly once, in order, then acknowledge.

For each pending batch file, in sequence order:

1. Verify every byte (`batch.verify_batch`: signature with a key trusted for the channel, hashes,
   sequences, schemas; decrypting first if the batch is sealed) and that this zone has a handler
   for every message type. Anything wrong → quarantine and alarm; nothing is applied.
2. Compare with what was applied: a batch already applied (same first sequence, same hash) is a
   duplicate → drop the file and ack again; a different batch under an applied sequence is a
   security alarm → quarantine; a batch beyond the next expected sequence is parked (left in
   place, recorded in `ParkedBatch`) until the missing one arrives; the next batch must chain to
   the last one's hash. A batch with a message of a (type, version) this zone has no contract for
   is parked too, and alarmed, and re-checked every pass: deploying the contract lets it apply.
3. Apply the whole batch in one transaction under the channel lock: per message, skip a message id
   already in the inbox, else upcast it to the newest contract version and run its handler in a
   savepoint and record the inbox row; then record the batch and advance the channel state.
4. After commit, write the signed ack, then remove the file. A crash before that leaves the file
   to be recognised as a duplicate (step 2) on the next pass, which acks it then.

After the batches: heartbeats from the sender are read (lag and liveness); then the missing
ranges are worked out — holes between what was applied and the parked batches, or up to the last
sequence the sender's heartbeat reports — and each is asked for with a signed resend request on
the reverse channel, at once and again every FERRY_RESEND_REQUEST_SECONDS while it persists. A gap
older than FERRY_GAP_ALARM_SECONDS raises a `gap` alarm, cleared when the gap is filled; silence
from the sender for FERRY_HEARTBEAT_ALARM_SECONDS raises `heartbeat_missing`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from onetrip.contracts.base import upcast

from .. import models as abstract
from ..log import log_event
from ..protocol.batch import (
    BatchInvalid,
    VerifiedBatch,
    build_ack,
    build_resend_request,
    is_heartbeat_name,
    verify_batch,
    verify_heartbeat,
)
from ..protocol.channels import sender_of
from ..protocol.signing import SigningKey
from ..registry import Store
from ..transports.base import Transport
from . import events
from .alarms import clear_alarm, clear_alarms_for_key, raise_alarm
from .handlers import BusinessReject, handler_for
from .quarantine import alarm_key, quarantine
from .report import AgentReport
from .state import ensure_channel_state, lock_channel, read_channel_state

CONFLICT_REASON = "security alarm: conflicting batch"
CHAIN_REASON = "hash chain broken: prev_batch_sha256 is not the last applied batch"
MAX_REQUESTS_PER_PASS = 10

Alarm = abstract.Alarm
Parked = abstract.ParkedBatch


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


class _Retry(Exception):
    """The channel moved under us (another agent applied first); look again next pass."""


class _AckPending(Exception):
    """The batch is applied and committed, but acking or removing it failed (e.g. the broker
    went away): it comes back as a duplicate and is acked then. Not an apply failure."""

    def __init__(self, batch: VerifiedBatch) -> None:
        super().__init__(batch.file_name)
        self.batch = batch


@dataclass
class _Park:
    """A batch left pending this pass, and why."""

    name: str
    batch_id: Any
    first_seq: int
    last_seq: int
    reason: str
    detail: str
    unknown_keys: list[str] = field(default_factory=list)


@dataclass
class _Pass:
    """What one receive pass learnt, for the bookkeeping after the batches."""

    pending: dict[str, _Park] = field(default_factory=dict)
    heard: bool = False
    peer_last_seq: int = 0


def receive_batches(
    store: Store,
    transport: Transport,
    ack_key: SigningKey,
    report: AgentReport,
    should_stop: Callable[[], bool] = lambda: False,
    max_batches: int | None = None,
) -> None:
    """Receive what is pending on our channel, in sequence order.

    After `max_batches` applied batches the pass ends early, like a stop request, without the
    bookkeeping (parked rows, gaps, liveness): batches not looked at yet are not missing, and
    the agent's next pass follows at once."""
    channel = store.receives_on
    ensure_channel_state(store, channel, abstract.ChannelState.DIRECTION_IN)
    parked_rows = {
        row.file_name: row for row in store.parked_batch._default_manager.filter(channel=channel)
    }
    seen = _Pass()
    heartbeats: list[str] = []
    limit = report.batches_applied + max_batches if max_batches is not None else None
    for name in transport.list_batches(channel):
        if is_heartbeat_name(name):
            heartbeats.append(name)
            continue
        if should_stop() or (limit is not None and report.batches_applied >= limit):
            return
        row = parked_rows.get(name)
        if row is not None and row.reason == Parked.REASON_GAP:
            # Still behind the gap? Then it need not be read and verified again.
            state = read_channel_state(store, channel)
            if state is not None and row.first_seq > state.last_seq + 1:
                seen.pending[name] = _Park(
                    name, row.batch_id, row.first_seq, row.last_seq, row.reason, row.detail
                )
                report.parked_batches += 1
                continue
        body = transport.read_batch(channel, name)
        if body is None:
            continue
        try:
            parked = _receive_one(store, transport, ack_key, report, seen, name, body)
        except _Retry:
            return
        except _AckPending as exc:
            cause = exc.__cause__
            log_event(
                logging.WARNING,
                "ack_pending",
                zone=store.zone,
                channel=channel,
                file=name,
                batch_id=exc.batch.batch_id,
                first_seq=exc.batch.first_seq,
                error=type(cause).__name__,
                detail="applied; acked when the batch comes again",
            )
            report.errors.append(f"{channel}/{name}: ack pending ({type(cause).__name__})")
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
        if parked is not None:
            seen.pending[name] = parked
            report.parked_batches += 1
    for name in heartbeats:
        _receive_heartbeat(store, transport, report, seen, name)
    _sync_parked(store, seen.pending, parked_rows)
    _note_peer(store, seen)
    _check_gaps(store, transport, ack_key, report, seen.pending)
    _check_liveness(store)


def _receive_one(
    store: Store,
    transport: Transport,
    ack_key: SigningKey,
    report: AgentReport,
    seen: _Pass,
    name: str,
    body: bytes,
) -> _Park | None:
    """Handle one batch file; return how it is parked, or None when it was consumed."""
    channel = store.receives_on
    try:
        batch = verify_batch(channel=channel, file_name=name, body=body)
    except BatchInvalid as exc:
        quarantine(store, transport, channel, name, body, exc.reason, alarm_kind=exc.kind)
        report.quarantined += 1
        return None
    seen.heard = True
    seen.peer_last_seq = max(seen.peer_last_seq, batch.last_seq)

    state = read_channel_state(store, channel)
    assert state is not None
    prior = store.received_batch._default_manager.filter(
        channel=channel, first_seq=batch.first_seq
    ).first()
    if prior is not None or batch.first_seq <= state.last_seq:
        if prior is not None and prior.sha256 == batch.sha256:
            _duplicate(store, transport, ack_key, report, batch, prior, state.last_seq)
        else:
            quarantine(
                store,
                transport,
                channel,
                name,
                body,
                CONFLICT_REASON,
                alarm=True,
                alarm_kind=Alarm.KIND_SECURITY_CONFLICT,
            )
            report.quarantined += 1
        return None
    expected = state.last_seq + 1
    if batch.first_seq > expected:
        return _Park(
            name,
            batch.batch_id,
            batch.first_seq,
            batch.last_seq,
            Parked.REASON_GAP,
            f"waiting for sequence {expected}",
        )
    if batch.prev_sha256 != state.last_batch_sha256:
        quarantine(
            store,
            transport,
            channel,
            name,
            body,
            CHAIN_REASON,
            alarm=True,
            alarm_kind=Alarm.KIND_CHAIN_BROKEN,
        )
        report.quarantined += 1
        return None
    if batch.unknown:
        return _park_unknown(store, batch)

    missing = _missing_handler(store.zone, batch)
    if missing:
        quarantine(store, transport, channel, name, body, missing)
        report.quarantined += 1
        return None

    rejects = _apply(store, report, batch)
    # Ack before removing: a crash in between leaves the file, which the next pass sees as a
    # duplicate and acks again. The other order could lose both file and ack until a resend.
    try:
        _write_ack(store, transport, ack_key, batch, rejects, applied_through=batch.last_seq)
        transport.remove_batch(channel, name)
    except Exception as exc:
        raise _AckPending(batch) from exc
    clear_alarms_for_key(store.zone, channel, name)
    return None


def _park_unknown(store: Store, batch: VerifiedBatch) -> _Park:
    """Authentic and next in line, but a message version is not deployed here yet: keep the batch
    pending (never drop or quarantine it) and alarm, once per (type, version)."""
    keys = [f"{kind} v{version}" for kind, version in batch.unknown]
    for key in keys:
        raise_alarm(
            store.zone,
            Alarm.KIND_UNKNOWN_VERSION,
            batch.channel,
            key=key,
            detail=f"batch {batch.first_seq}-{batch.last_seq} waits for contract {key}",
        )
    return _Park(
        batch.file_name,
        batch.batch_id,
        batch.first_seq,
        batch.last_seq,
        Parked.REASON_UNKNOWN_VERSION,
        ("unknown message version " + ", ".join(keys))[:300],
        unknown_keys=keys,
    )


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
                    handler(envelope, upcast(message))
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
        _audit_batch(store.zone, events.VERIFIED, batch, len(batch.messages), batch.key_id)
        _audit_batch(
            store.zone, events.APPLIED, batch, applied, f"rejected={len(rejects)} skipped={skipped}"
        )
        if rejects:
            _audit_batch(store.zone, events.REJECTED, batch, len(rejects), "business reject")
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


def _audit_batch(zone: str, step: str, batch: VerifiedBatch, count: int, detail: str = "") -> None:
    events.record_event(
        zone,
        step,
        batch.channel,
        batch_id=batch.batch_id,
        first_seq=batch.first_seq,
        last_seq=batch.last_seq,
        count=count,
        detail=detail,
    )


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
    report.duplicate_batches += 1
    _audit_batch(store.zone, events.DUPLICATE, batch, batch.last_seq - batch.first_seq + 1)
    clear_alarms_for_key(store.zone, batch.channel, batch.file_name)
    log_event(
        logging.INFO,
        "batch_duplicate",
        zone=store.zone,
        channel=batch.channel,
        batch_id=batch.batch_id,
        first_seq=batch.first_seq,
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


# -- heartbeats, parked batches, gaps, liveness ---------------------------------------------------


def _receive_heartbeat(
    store: Store, transport: Transport, report: AgentReport, seen: _Pass, name: str
) -> None:
    channel = store.receives_on
    body = transport.read_batch(channel, name)
    if body is None:
        return
    try:
        beat = verify_heartbeat(channel=channel, body=body)
    except BatchInvalid as exc:
        quarantine(
            store,
            transport,
            channel,
            name,
            body,
            exc.reason,
            abstract.QuarantinedBatch.KIND_HEARTBEAT,
            alarm_kind=exc.kind,
        )
        report.quarantined += 1
        return
    transport.remove_batch(channel, name)
    now = timezone.now()
    manager = store.channel_state._default_manager
    # Only a newer heartbeat counts: a replayed old one must not move the figures back.
    newer = manager.filter(channel=channel).filter(
        Q(peer_clock_at__isnull=True) | Q(peer_clock_at__lt=beat.sent_at)
    )
    if newer.update(peer_clock_at=beat.sent_at, heartbeat_received_at=now):
        seen.heard = True
        seen.peer_last_seq = max(seen.peer_last_seq, beat.last_seq)
        manager.filter(
            channel=store.sends_on, peer_applied_through__lt=beat.applied_through
        ).update(peer_applied_through=beat.applied_through)
    report.heartbeats_received += 1
    clear_alarms_for_key(
        store.zone, channel, alarm_key(abstract.QuarantinedBatch.KIND_HEARTBEAT, name)
    )


def _note_peer(store: Store, seen: _Pass) -> None:
    """The sender was heard this pass: record when, and how far it says it has got."""
    if not seen.heard:
        return
    channel = store.receives_on
    manager = store.channel_state._default_manager
    manager.filter(channel=channel).update(peer_seen_at=timezone.now())
    manager.filter(channel=channel, peer_last_seq__lt=seen.peer_last_seq).update(
        peer_last_seq=seen.peer_last_seq
    )
    clear_alarm(store.zone, Alarm.KIND_HEARTBEAT_MISSING, channel)


def _sync_parked(
    store: Store, pending: dict[str, _Park], rows: dict[str, abstract.ParkedBatch]
) -> None:
    """Keep the ParkedBatch rows in step with what this pass left pending."""
    channel = store.receives_on
    manager = store.parked_batch._default_manager
    now = timezone.now()
    for name, park in pending.items():
        row = rows.get(name)
        if row is None:
            try:
                with transaction.atomic(using=store.db):
                    manager.create(
                        channel=channel,
                        file_name=name,
                        batch_id=park.batch_id,
                        first_seq=park.first_seq,
                        last_seq=park.last_seq,
                        reason=park.reason,
                        detail=park.detail,
                        first_seen_at=now,
                        last_seen_at=now,
                    )
            except IntegrityError:
                continue  # another agent of this zone recorded it first
            events.record_event(
                store.zone,
                events.PARKED,
                channel,
                batch_id=park.batch_id,
                first_seq=park.first_seq,
                last_seq=park.last_seq,
                count=park.last_seq - park.first_seq + 1,
                detail=f"{park.reason}: {park.detail}",
            )
            log_event(
                logging.INFO,
                "batch_parked",
                zone=store.zone,
                channel=channel,
                batch_id=park.batch_id,
                first_seq=park.first_seq,
                reason=park.reason,
                detail=park.detail,
            )
        elif (row.reason, row.detail) != (park.reason, park.detail):
            manager.filter(pk=row.pk).update(
                reason=park.reason, detail=park.detail, last_seen_at=now
            )
    gone = [row.pk for name, row in rows.items() if name not in pending]
    if gone:
        manager.filter(pk__in=gone).delete()
    had_unknown = any(row.reason == Parked.REASON_UNKNOWN_VERSION for row in rows.values())
    if had_unknown:
        still = {key for park in pending.values() for key in park.unknown_keys}
        open_ = store.alarm._default_manager.filter(
            kind=Alarm.KIND_UNKNOWN_VERSION, channel=channel, cleared_at__isnull=True
        ).exclude(key__in=still)
        for key in set(open_.values_list("key", flat=True)):
            clear_alarm(store.zone, Alarm.KIND_UNKNOWN_VERSION, channel, key=key)


def missing_ranges(
    applied: int, pending: list[tuple[int, int]], peer_last_seq: int
) -> list[tuple[int, int]]:
    """The sequence ranges after `applied` that no pending batch covers, up to the highest
    sequence known to exist (a pending batch's last, or the sender's reported last)."""
    holes: list[tuple[int, int]] = []
    cursor = applied + 1
    for first, last in sorted(pending):
        if first > cursor:
            holes.append((cursor, first - 1))
        cursor = max(cursor, last + 1)
    if peer_last_seq >= cursor:
        holes.append((cursor, peer_last_seq))
    return holes


def _check_gaps(
    store: Store,
    transport: Transport,
    key: SigningKey,
    report: AgentReport,
    pending: dict[str, _Park],
) -> None:
    channel = store.receives_on
    state = read_channel_state(store, channel)
    assert state is not None
    manager = store.channel_state._default_manager
    holes = missing_ranges(
        state.last_seq, [(p.first_seq, p.last_seq) for p in pending.values()], state.peer_last_seq
    )
    if not holes:
        if state.gap_since is not None or state.resend_requested_range:
            clear_alarm(store.zone, Alarm.KIND_GAP, channel)
            manager.filter(channel=channel).update(gap_since=None, resend_requested_range="")
        return
    now = timezone.now()
    since = state.gap_since or now
    if state.gap_since is None:
        manager.filter(channel=channel).update(gap_since=now)
    text = ",".join(f"{first}-{last}" for first, last in holes)[:60]
    repeat = dt.timedelta(seconds=_setting("FERRY_RESEND_REQUEST_SECONDS", 10))
    due = (
        text != state.resend_requested_range
        or state.resend_requested_at is None
        or now - state.resend_requested_at >= repeat
    )
    if due:
        for first, last in holes[:MAX_REQUESTS_PER_PASS]:
            name, body = build_resend_request(
                channel=channel,
                receiver_zone=store.zone,
                first=first,
                last=last,
                applied_through=state.last_seq,
                requested_at=now,
                key=key,
            )
            transport.put_ack(channel, name, body)
            report.resend_requests_sent += 1
            events.record_event(
                store.zone,
                events.RESEND_REQUESTED,
                channel,
                first_seq=first,
                last_seq=last,
                count=last - first + 1,
            )
            log_event(
                logging.WARNING,
                "resend_requested",
                zone=store.zone,
                channel=channel,
                first_seq=first,
                last_seq=last,
            )
        manager.filter(channel=channel).update(resend_requested_range=text, resend_requested_at=now)
    waited = (now - since).total_seconds()
    if waited >= _setting("FERRY_GAP_ALARM_SECONDS", 60):
        raise_alarm(
            store.zone,
            Alarm.KIND_GAP,
            channel,
            detail=f"missing {text} for {int(waited)} s",
        )


def _check_liveness(store: Store) -> None:
    """Nothing from the sender (no batch, no heartbeat) for too long: alarm."""
    channel = store.receives_on
    state = read_channel_state(store, channel)
    assert state is not None
    last = state.peer_seen_at or state.created_at
    silent = (timezone.now() - last).total_seconds()
    if silent >= _setting("FERRY_HEARTBEAT_ALARM_SECONDS", 60):
        raise_alarm(
            store.zone,
            Alarm.KIND_HEARTBEAT_MISSING,
            channel,
            detail=f"nothing from {sender_of(channel)} for {int(silent)} s",
        )

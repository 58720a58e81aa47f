"""The receiving half of an agent: verify, apply exactly once, in order, then acknowledge.

For each pending batch file, in sequence order (`_receive_batch`):

0. Nothing that arrives can hold up the channel: a name that is not a batch's or a heartbeat's is
   quarantined before any path is built from it, and a file is read only if it is a regular file
   (never through a symbolic link) and at most FERRY_MAX_DOCUMENT_BYTES long; anything else is
   quarantined unread or with its first bytes only (`quarantine.unreadable_reason`). Whatever the
   checks below raise, beyond their own refusals, quarantines the file too.
1. Verify every byte (`_verify`, with `batch.verify_batch`: signature with a key trusted for the
   channel, hashes, sequences, schemas; decrypting first if the batch is sealed). Anything wrong →
   quarantine and alarm; nothing is applied.
2. Classify it against what was applied (`_classify`): a batch already applied (same first
   sequence, same hash) is a duplicate → ack again and drop the file; a different batch under an
   applied sequence is a conflict, a security alarm → quarantine; a batch beyond the next expected
   sequence is parked (left in place, recorded in `ParkedBatch`) until the missing one arrives; the
   next batch must chain to the last one's hash, else → quarantine. The next batch in line is
   parked too, and alarmed, if it holds a message of a (type, version) this zone has no contract
   for; it is re-checked every pass, and deploying the contract lets it apply. A message type with
   no handler here is a deployment error → quarantine, so that nothing is lost.
3. Apply the whole batch in one transaction under the channel lock (`_apply`): per message, skip a
   message id already in the inbox, else upcast it to the newest contract version and run its
   handler in a savepoint and keep its inbox row; then record the batch and advance the channel
   state.
4. After commit, acknowledge (`_acknowledge`): write the signed ack, then remove the file. A crash
   before that leaves the file to be recognised as a duplicate (step 2) on the next pass, which
   acks it then.

After the batches: heartbeats from the sender are read (lag and liveness); the parked rows are
brought in step; then the missing ranges are worked out — holes between what was applied and the
parked batches, or up to the last sequence the sender's heartbeat reports — and each is asked for
with a signed resend request on the reverse channel, at once and again every
FERRY_RESEND_REQUEST_SECONDS while it persists. A gap older than FERRY_GAP_ALARM_SECONDS raises a
`gap` alarm, cleared when the gap is filled; silence from the sender for
FERRY_HEARTBEAT_ALARM_SECONDS raises `heartbeat_missing`.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from onetrip.common.db import atomic_for
from onetrip.contracts.base import Contract, upcast

from .. import models as abstract
from ..log import log_event
from ..protocol.batch import (
    BatchInvalid,
    Heartbeat,
    VerifiedBatch,
    build_ack,
    build_resend_request,
    is_batch_directory_name,
    is_heartbeat_name,
    verify_batch,
    verify_heartbeat,
)
from ..protocol.channels import sender_of
from ..protocol.envelope import Envelope
from ..protocol.signing import SigningKey
from ..registry import Store
from ..transports.base import Incoming, Transport
from . import events
from .alarms import clear_alarm, clear_alarms_for_key, raise_alarm
from .handlers import BusinessReject, handler_for
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

CONFLICT_REASON = "security alarm: conflicting batch"
CHAIN_REASON = "hash chain broken: prev_batch_sha256 is not the last applied batch"
MAX_REQUESTS_PER_PASS = 10

Alarm = abstract.Alarm
Parked = abstract.ParkedBatch

# Where a verified batch stands against what this zone has applied (`_classify`).
DUPLICATE = "duplicate"
CONFLICT = "conflict"
GAP = "gap"
CHAIN_BROKEN = "chain_broken"
NEXT = "next"
# The verdicts that are security alarms: the batch is quarantined with this reason and alarm kind.
SECURITY_VERDICTS = {
    CONFLICT: (CONFLICT_REASON, Alarm.KIND_SECURITY_CONFLICT),
    CHAIN_BROKEN: (CHAIN_REASON, Alarm.KIND_CHAIN_BROKEN),
}


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

    @classmethod
    def from_row(cls, row: abstract.ParkedBatch) -> _Park:
        return cls(row.file_name, row.batch_id, row.first_seq, row.last_seq, row.reason, row.detail)


@dataclass
class _Pass:
    """What one receive pass learnt, for the bookkeeping after the batches."""

    pending: dict[str, _Park] = field(default_factory=dict)
    heard: bool = False
    peer_last_seq: int = 0

    def hear(self, last_seq: int) -> None:
        """A valid document came from the sender, which says it has built up to `last_seq`."""
        self.heard = True
        self.peer_last_seq = max(self.peer_last_seq, last_seq)


@dataclass(frozen=True)
class _Place:
    """Where a verified batch stands: the verdict, the last sequence applied here, and the batch
    applied before under the same first sequence (for a duplicate)."""

    verdict: str
    applied_through: int
    prior: abstract.ReceivedBatch | None = None


@dataclass
class _Applied:
    """What applying one batch's messages did, for the records written with it."""

    inbox_rows: list[abstract.InboxMessage] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    applied: int = 0
    skipped: int = 0


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
    names = transport.list_batches(channel)
    _record_set_aside(store, transport, report)
    for name in names:
        if not is_batch_directory_name(name):
            _quarantine_bad_name(store, transport, report, name)
            continue
        if is_heartbeat_name(name):
            heartbeats.append(name)
            continue
        if should_stop() or (limit is not None and report.batches_applied >= limit):
            return
        if not _take_batch(store, transport, ack_key, report, seen, name, parked_rows.get(name)):
            return
    for name in heartbeats:
        _receive_heartbeat(store, transport, report, seen, name)
    _sync_parked(store, seen.pending, parked_rows)
    _note_peer(store, seen)
    _check_gaps(store, transport, ack_key, report, seen.pending)
    _check_liveness(store)


def _take_batch(
    store: Store,
    transport: Transport,
    ack_key: SigningKey,
    report: AgentReport,
    seen: _Pass,
    name: str,
    parked_row: abstract.ParkedBatch | None,
) -> bool:
    """Receive one pending batch file; False ends this channel's pass.

    The pass ends when another agent moved the channel, when the ack failed after the commit, and
    when the apply failed (a handler bug or a database outage: the batch rolled back as a whole
    and stays pending, and later batches would only park behind it)."""
    if parked_row is not None and _still_behind_gap(store, parked_row):
        _keep_pending(seen, report, _Park.from_row(parked_row))
        return True
    incoming = transport.read_batch_limited(
        store.receives_on,
        name,
        max_bytes=int(settings.FERRY_MAX_DOCUMENT_BYTES),
        keep_bytes=int(settings.FERRY_QUARANTINE_PREFIX_BYTES),
    )
    if incoming is None:
        return True
    try:
        parked = _receive_batch(store, transport, ack_key, report, seen, name, incoming)
    except _Retry:
        return False
    except _AckPending as exc:
        _log_ack_pending(store, report, name, exc)
        return False
    except Exception as exc:
        _log_apply_failed(store, report, name, exc)
        return False
    if parked is not None:
        _keep_pending(seen, report, parked)
    return True


def _still_behind_gap(store: Store, row: abstract.ParkedBatch) -> bool:
    """A batch parked behind a gap that is still open need not be read and verified again."""
    if row.reason != Parked.REASON_GAP:
        return False
    state = read_channel_state(store, store.receives_on)
    return state is not None and row.first_seq > state.last_seq + 1


def _quarantine_bad_name(
    store: Store, transport: Transport, report: AgentReport, name: str
) -> None:
    """A name that is neither a batch's nor a heartbeat's: set aside unread, before any path is
    built from it or anything else is looked at."""
    quarantine(
        store,
        transport,
        store.receives_on,
        name,
        Incoming.unread("bad name"),
        bad_name_reason(abstract.QuarantinedBatch.KIND_BATCH),
    )
    report.quarantined += 1


def _record_set_aside(store: Store, transport: Transport, report: AgentReport) -> None:
    """Record what the transport set aside by itself while listing (no usable name)."""
    channel = store.receives_on
    for item in transport.take_set_aside(channel, "batches"):
        quarantine(
            store,
            transport,
            channel,
            item.name or "(no name)",
            within_limits(item.body),
            bad_name_reason(abstract.QuarantinedBatch.KIND_BATCH),
            moved_to=item.where,
        )
        report.quarantined += 1


def _keep_pending(seen: _Pass, report: AgentReport, park: _Park) -> None:
    seen.pending[park.name] = park
    report.parked_batches += 1


def _log_ack_pending(store: Store, report: AgentReport, name: str, exc: _AckPending) -> None:
    cause = exc.__cause__
    log_event(
        logging.WARNING,
        "ack_pending",
        zone=store.zone,
        channel=store.receives_on,
        file=name,
        batch_id=exc.batch.batch_id,
        first_seq=exc.batch.first_seq,
        error=type(cause).__name__,
        detail="applied; acked when the batch comes again",
    )
    report.errors.append(f"{store.receives_on}/{name}: ack pending ({type(cause).__name__})")


def _log_apply_failed(store: Store, report: AgentReport, name: str, exc: Exception) -> None:
    log_event(
        logging.ERROR,
        "apply_failed",
        zone=store.zone,
        channel=store.receives_on,
        file=name,
        error=exc.__class__.__name__,
    )
    logging.getLogger("onetrip.ferry").debug("apply failure detail", exc_info=True)
    report.errors.append(f"{store.receives_on}/{name}: {exc.__class__.__name__}")


# -- one batch: verify, classify, apply, acknowledge ---------------------------------------------


def _receive_batch(
    store: Store,
    transport: Transport,
    ack_key: SigningKey,
    report: AgentReport,
    seen: _Pass,
    name: str,
    incoming: Incoming,
) -> _Park | None:
    """Handle one batch file; return how it is parked, or None when it was consumed (applied,
    acknowledged again or quarantined)."""
    batch = _verify(store, transport, report, name, incoming)
    if batch is None:
        return None
    body = incoming.body
    seen.hear(batch.last_seq)
    place = _classify(store, batch)
    if place.verdict == DUPLICATE:
        assert place.prior is not None
        _acknowledge_again(
            store, transport, ack_key, report, batch, place.prior, place.applied_through
        )
        return None
    if place.verdict in SECURITY_VERDICTS:
        reason, kind = SECURITY_VERDICTS[place.verdict]
        _quarantine_batch(store, transport, report, name, body, reason, alarm=True, alarm_kind=kind)
        return None
    if place.verdict == GAP:
        return _park_behind_gap(batch, expected=place.applied_through + 1)
    if batch.unknown:
        return _park_unknown(store, batch)
    missing = _missing_handler(store.zone, batch)
    if missing:
        _quarantine_batch(store, transport, report, name, body, missing)
        return None
    rejects = _apply(store, report, batch)
    _acknowledge(store, transport, ack_key, batch, rejects)
    return None


def _verify(
    store: Store, transport: Transport, report: AgentReport, name: str, incoming: Incoming
) -> VerifiedBatch | None:
    """Every byte checked, or the file is quarantined (and alarmed by kind) and None returned.

    Refused before parsing: what was not read, or is over FERRY_MAX_DOCUMENT_BYTES. Whatever
    else the parsing raises (but HOST_ERRORS, which are about this host) is the document's fault:
    quarantined too, so that no file can hold up the channel."""
    problem = unreadable_reason(incoming, int(settings.FERRY_MAX_DOCUMENT_BYTES))
    if problem:
        _quarantine_batch(store, transport, report, name, incoming, problem)
        return None
    try:
        return verify_batch(channel=store.receives_on, file_name=name, body=incoming.body)
    except BatchInvalid as exc:
        _quarantine_batch(store, transport, report, name, incoming, exc.reason, alarm_kind=exc.kind)
    except HOST_ERRORS:
        raise
    except Exception as exc:
        _quarantine_batch(store, transport, report, name, incoming, malformed_reason(exc))
    return None


def _classify(store: Store, batch: VerifiedBatch) -> _Place:
    """Duplicate, conflict, gap, broken chain, or the next batch in line."""
    channel = store.receives_on
    state = read_channel_state(store, channel)
    assert state is not None
    prior = store.received_batch._default_manager.filter(
        channel=channel, first_seq=batch.first_seq
    ).first()
    if prior is not None or batch.first_seq <= state.last_seq:
        if prior is not None and prior.sha256 == batch.sha256:
            return _Place(DUPLICATE, state.last_seq, prior)
        return _Place(CONFLICT, state.last_seq)
    if batch.first_seq > state.last_seq + 1:
        return _Place(GAP, state.last_seq)
    if batch.prev_sha256 != state.last_batch_sha256:
        return _Place(CHAIN_BROKEN, state.last_seq)
    return _Place(NEXT, state.last_seq)


def _quarantine_batch(
    store: Store,
    transport: Transport,
    report: AgentReport,
    name: str,
    document: bytes | Incoming,
    reason: str,
    *,
    alarm: bool = False,
    alarm_kind: str | None = None,
) -> None:
    quarantine(
        store,
        transport,
        store.receives_on,
        name,
        document,
        reason,
        alarm=alarm,
        alarm_kind=alarm_kind,
    )
    report.quarantined += 1


def _park_behind_gap(batch: VerifiedBatch, expected: int) -> _Park:
    """Beyond the next expected sequence: left in place until the missing batch arrives."""
    return _Park(
        batch.file_name,
        batch.batch_id,
        batch.first_seq,
        batch.last_seq,
        Parked.REASON_GAP,
        f"waiting for sequence {expected}",
    )


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
    """Apply the whole batch in one transaction under the channel lock; return the business
    rejects. If another agent applied first, the channel state no longer fits: `_Retry`."""
    with transaction.atomic(using=store.db):
        state = lock_channel(store, batch.channel)
        if state.last_seq != batch.first_seq - 1 or state.last_batch_sha256 != batch.prev_sha256:
            raise _Retry
        now = timezone.now()
        outcome = _apply_messages(store, batch, now)
        _record_applied(store, batch, state, outcome, now)
    _report_applied(store, report, batch, outcome)
    return outcome.rejects


def _apply_messages(store: Store, batch: VerifiedBatch, now: dt.datetime) -> _Applied:
    """Per message: skip an id already in the inbox, else run its handler and keep its inbox
    row (applied, or rejected with the reason)."""
    outcome = _Applied()
    already = _ids_in_inbox(store, batch)
    for envelope, message in batch.messages:
        if envelope.message_id in already:
            outcome.skipped += 1
            continue
        reject_reason = _run_handler(store, batch, envelope, message)
        if reject_reason is None:
            outcome.applied += 1
        else:
            outcome.rejects.append(
                {
                    "message_id": str(envelope.message_id),
                    "sequence": envelope.sequence,
                    "reason": reject_reason,
                }
            )
        outcome.inbox_rows.append(_inbox_row(store, batch, envelope, reject_reason, now))
    return outcome


def _ids_in_inbox(store: Store, batch: VerifiedBatch) -> set[uuid.UUID]:
    ids = [envelope.message_id for envelope, _message in batch.messages]
    return set(
        store.inbox._default_manager.filter(message_id__in=ids).values_list("message_id", flat=True)
    )


def _run_handler(
    store: Store, batch: VerifiedBatch, envelope: Envelope, message: Contract
) -> str | None:
    """Run the message's handler, upcast to the newest version, in a savepoint. A business reject
    undoes the handler's effects and returns its reason; None means applied."""
    handler = handler_for(store.zone, envelope.message_type)
    assert handler is not None  # checked before the transaction
    try:
        with transaction.atomic(using=store.db):
            handler(envelope, upcast(message))
    except BusinessReject as exc:
        log_event(
            logging.WARNING,
            "message_rejected",
            zone=store.zone,
            channel=batch.channel,
            batch_id=batch.batch_id,
            message_id=envelope.message_id,
            sequence=envelope.sequence,
            message_type=envelope.message_type,
        )
        return exc.reason
    return None


def _inbox_row(
    store: Store,
    batch: VerifiedBatch,
    envelope: Envelope,
    reject_reason: str | None,
    now: dt.datetime,
) -> abstract.InboxMessage:
    rejected = reject_reason is not None
    return store.inbox(
        message_id=envelope.message_id,
        channel=batch.channel,
        sequence=envelope.sequence,
        batch_id=batch.batch_id,
        message_type=envelope.message_type,
        version=envelope.version,
        status=(
            abstract.InboxMessage.STATUS_REJECTED
            if rejected
            else abstract.InboxMessage.STATUS_APPLIED
        ),
        reject_reason=reject_reason or "",
        applied_at=now,
    )


def _record_applied(
    store: Store,
    batch: VerifiedBatch,
    state: abstract.ChannelState,
    outcome: _Applied,
    now: dt.datetime,
) -> None:
    """In the apply transaction: the inbox rows, the received batch (its rejects go into the ack
    of a later duplicate), the channel state moved on, and the audit rows."""
    store.inbox._default_manager.bulk_create(outcome.inbox_rows)
    store.received_batch._default_manager.create(
        channel=batch.channel,
        batch_id=batch.batch_id,
        first_seq=batch.first_seq,
        last_seq=batch.last_seq,
        message_count=len(batch.messages),
        sha256=batch.sha256,
        rejects=outcome.rejects,
        applied_at=now,
    )
    state.last_seq = batch.last_seq
    state.last_batch_sha256 = batch.sha256
    state.save(update_fields=["last_seq", "last_batch_sha256", "updated_at"])
    rejected = len(outcome.rejects)
    _audit_batch(store.zone, events.VERIFIED, batch, len(batch.messages), batch.key_id)
    _audit_batch(
        store.zone,
        events.APPLIED,
        batch,
        outcome.applied,
        f"rejected={rejected} skipped={outcome.skipped}",
    )
    if rejected:
        _audit_batch(store.zone, events.REJECTED, batch, rejected, "business reject")


def _report_applied(
    store: Store, report: AgentReport, batch: VerifiedBatch, outcome: _Applied
) -> None:
    report.batches_applied += 1
    report.messages_applied += outcome.applied
    report.messages_rejected += len(outcome.rejects)
    report.messages_skipped += outcome.skipped
    log_event(
        logging.INFO,
        "batch_applied",
        zone=store.zone,
        channel=batch.channel,
        batch_id=batch.batch_id,
        first_seq=batch.first_seq,
        last_seq=batch.last_seq,
        applied=outcome.applied,
        rejected=len(outcome.rejects),
        skipped=outcome.skipped,
    )


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


def _acknowledge(
    store: Store,
    transport: Transport,
    ack_key: SigningKey,
    batch: VerifiedBatch,
    rejects: list[dict[str, Any]],
) -> None:
    """After the commit: the signed ack, then the file removed, then the alarms an earlier bad
    copy of this file raised cleared.

    Ack before removing: a crash in between leaves the file, which the next pass sees as a
    duplicate and acks again. The other order could lose both file and ack until a resend."""
    try:
        _write_ack(store, transport, ack_key, batch, rejects, applied_through=batch.last_seq)
        transport.remove_batch(batch.channel, batch.file_name)
    except Exception as exc:
        raise _AckPending(batch) from exc
    clear_alarms_for_key(store.zone, batch.channel, batch.file_name)


def _acknowledge_again(
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
    incoming = transport.read_batch_limited(
        channel,
        name,
        max_bytes=int(settings.FERRY_MAX_DOCUMENT_BYTES),
        keep_bytes=int(settings.FERRY_QUARANTINE_PREFIX_BYTES),
    )
    if incoming is None:
        return
    kind = None
    reason = unreadable_reason(incoming, int(settings.FERRY_MAX_DOCUMENT_BYTES))
    if not reason:
        try:
            beat = verify_heartbeat(channel=channel, body=incoming.body)
        except BatchInvalid as exc:
            reason, kind = exc.reason, exc.kind
        except HOST_ERRORS:
            raise
        except Exception as exc:
            reason = malformed_reason(exc)
    if reason:
        quarantine(
            store,
            transport,
            channel,
            name,
            incoming,
            reason,
            abstract.QuarantinedBatch.KIND_HEARTBEAT,
            alarm_kind=kind,
        )
        report.quarantined += 1
        return
    transport.remove_batch(channel, name)
    if _record_heartbeat(store, beat):
        seen.hear(beat.last_seq)
    report.heartbeats_received += 1
    clear_alarms_for_key(
        store.zone, channel, alarm_key(abstract.QuarantinedBatch.KIND_HEARTBEAT, name)
    )


def _record_heartbeat(store: Store, beat: Heartbeat) -> bool:
    """Take the sender's figures from a heartbeat newer than the last one; True if it was newer.

    Only a newer heartbeat counts: a replayed old one must not move the figures back."""
    manager = store.channel_state._default_manager
    newer = manager.filter(channel=store.receives_on).filter(
        Q(peer_clock_at__isnull=True) | Q(peer_clock_at__lt=beat.sent_at)
    )
    if not newer.update(peer_clock_at=beat.sent_at, heartbeat_received_at=timezone.now()):
        return False
    manager.filter(channel=store.sends_on, peer_applied_through__lt=beat.applied_through).update(
        peer_applied_through=beat.applied_through
    )
    return True


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
    manager = store.parked_batch._default_manager
    now = timezone.now()
    for name, park in pending.items():
        row = rows.get(name)
        if row is None:
            _record_park(store, park, now)
        elif (row.reason, row.detail) != (park.reason, park.detail):
            manager.filter(pk=row.pk).update(
                reason=park.reason, detail=park.detail, last_seen_at=now
            )
    gone = [row.pk for name, row in rows.items() if name not in pending]
    if gone:
        manager.filter(pk__in=gone).delete()
    _clear_deployed_versions(store, pending, rows)


def _record_park(store: Store, park: _Park, now: dt.datetime) -> None:
    """A newly parked batch: its row, and once recorded, an audit row and a log line."""
    channel = store.receives_on
    try:
        with atomic_for(store.parked_batch):
            store.parked_batch._default_manager.create(
                channel=channel,
                file_name=park.name,
                batch_id=park.batch_id,
                first_seq=park.first_seq,
                last_seq=park.last_seq,
                reason=park.reason,
                detail=park.detail,
                first_seen_at=now,
                last_seen_at=now,
            )
    except IntegrityError:
        return  # another agent of this zone recorded it first
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


def _clear_deployed_versions(
    store: Store, pending: dict[str, _Park], rows: dict[str, abstract.ParkedBatch]
) -> None:
    """An `unknown_version` alarm ends once no pending batch waits for that contract."""
    if not any(row.reason == Parked.REASON_UNKNOWN_VERSION for row in rows.values()):
        return
    channel = store.receives_on
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
    """Ask for every missing range when it is due, and alarm a gap that has lasted too long; a
    filled gap clears both."""
    channel = store.receives_on
    state = read_channel_state(store, channel)
    assert state is not None
    holes = missing_ranges(
        state.last_seq, [(p.first_seq, p.last_seq) for p in pending.values()], state.peer_last_seq
    )
    if not holes:
        _gap_filled(store, state)
        return
    now = timezone.now()
    since = state.gap_since or now
    if state.gap_since is None:
        store.channel_state._default_manager.filter(channel=channel).update(gap_since=now)
    text = ",".join(f"{first}-{last}" for first, last in holes)[:60]
    if _resend_request_due(state, text, now):
        _request_resends(store, transport, key, report, state, holes, text, now)
    _alarm_lasting_gap(store, since, now, text)


def _gap_filled(store: Store, state: abstract.ChannelState) -> None:
    if state.gap_since is not None or state.resend_requested_range:
        clear_alarm(store.zone, Alarm.KIND_GAP, store.receives_on)
        store.channel_state._default_manager.filter(channel=store.receives_on).update(
            gap_since=None, resend_requested_range=""
        )


def _resend_request_due(state: abstract.ChannelState, text: str, now: dt.datetime) -> bool:
    """At once for new missing ranges, then again every FERRY_RESEND_REQUEST_SECONDS."""
    repeat = dt.timedelta(seconds=float(settings.FERRY_RESEND_REQUEST_SECONDS))
    return (
        text != state.resend_requested_range
        or state.resend_requested_at is None
        or now - state.resend_requested_at >= repeat
    )


def _request_resends(
    store: Store,
    transport: Transport,
    key: SigningKey,
    report: AgentReport,
    state: abstract.ChannelState,
    holes: list[tuple[int, int]],
    text: str,
    now: dt.datetime,
) -> None:
    """A signed resend request per missing range, on the reverse channel; at most
    MAX_REQUESTS_PER_PASS of them."""
    channel = store.receives_on
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
    store.channel_state._default_manager.filter(channel=channel).update(
        resend_requested_range=text, resend_requested_at=now
    )


def _alarm_lasting_gap(store: Store, since: dt.datetime, now: dt.datetime, text: str) -> None:
    waited = (now - since).total_seconds()
    if waited >= float(settings.FERRY_GAP_ALARM_SECONDS):
        raise_alarm(
            store.zone,
            Alarm.KIND_GAP,
            store.receives_on,
            detail=f"missing {text} for {int(waited)} s",
        )


def _check_liveness(store: Store) -> None:
    """Nothing from the sender (no batch, no heartbeat) for too long: alarm."""
    channel = store.receives_on
    state = read_channel_state(store, channel)
    assert state is not None
    last = state.peer_seen_at or state.created_at
    silent = (timezone.now() - last).total_seconds()
    if silent >= float(settings.FERRY_HEARTBEAT_ALARM_SECONDS):
        raise_alarm(
            store.zone,
            Alarm.KIND_HEARTBEAT_MISSING,
            channel,
            detail=f"nothing from {sender_of(channel)} for {int(silent)} s",
        )

"""What an operator may do with a zone's ferry, from the CLI or the ferry page (DESIGN §3).

* Release a quarantined document (`quarantine_release`): the raw bytes go back into the
  transport's pending set of their channel under their original name, so the receiver verifies
  them again from scratch. Releasing is for after the cause was fixed (the key is now trusted, the
  schema deployed); a document that is still bad is simply quarantined again, and one that is good
  is applied exactly once like any other (the inbox remembers every message id).
* Discard it for good (`quarantine_discard`), which also ends the alarms the document raised
  (not the security alarms, which an operator clears after investigating).
* Clear an alarm (`alarm_clear`): for a condition that does not end by itself, such as a
  conflicting batch or a broken hash chain, once it has been investigated.

Every action needs a reason and names the actor, and records both the same way: a `FerryEvent`
row in the zone's database (the step, what was acted on, the actor and the reason) and a log line
(ids and the actor; the reason is free text and stays out of logs). The ferry belongs to no zone
and cannot write the police audit log, so the caller passes `on_done`, which runs inside the same
database transaction as the change: if it raises (say the audit row cannot be written), nothing
changes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.utils import timezone

from onetrip.common.db import atomic_for

from .. import models as abstract
from ..agent import events
from ..agent.alarms import clear_alarms_for_key
from ..agent.quarantine import alarm_key, split_stored_note
from ..log import log_event
from ..registry import Store, get_store
from ..transports import get_transport
from . import quarantined
from .errors import (
    AlarmNotFound,
    NotReleasable,
    NotReleasableRecord,
    QuarantineNotFound,
    ReasonRequired,
    ReleaseConflict,
)
from .quarantined import classify_reason, summarize_document

REASON_MIN_LENGTH = 4

RELEASABLE_KINDS = quarantined.RELEASABLE_KINDS

ACTION_RELEASE = "release"
ACTION_DISCARD = "discard"
ACTION_CLEAR = "clear"


@dataclass(frozen=True)
class QuarantineAction:
    """What `quarantine_release` or `quarantine_discard` did (for the caller's audit row)."""

    action: str
    zone: str
    quarantine_id: int
    channel: str
    kind: str
    file_name: str
    sha256: str
    size: int
    batch_id: str
    category: str
    quarantine_reason: str
    times_seen: int
    actor: str
    reason: str
    put_back: bool
    alarms_cleared: int = 0


@dataclass(frozen=True)
class AlarmAction:
    """What `alarm_clear` did (for the caller's audit row)."""

    action: str
    zone: str
    alarm_id: int
    kind: str
    channel: str
    key: str
    count: int
    raised_at: dt.datetime
    actor: str
    reason: str


def check_reason(reason: str) -> str:
    cleaned = (reason or "").strip()
    if len(cleaned) < REASON_MIN_LENGTH:
        raise ReasonRequired(REASON_MIN_LENGTH)
    return cleaned


def _check_actor(actor: str) -> str:
    if not actor:
        raise ValueError("an operator action needs an actor (a username)")
    return actor


# -- quarantined documents -----------------------------------------------------------------------


def quarantine_release(
    *,
    zone: str,
    quarantine_id: int,
    actor: str,
    reason: str,
    on_done: Callable[[QuarantineAction], None] | None = None,
) -> QuarantineAction:
    """Put the document's bytes back where its receiver looks, and forget the record.

    The bytes are written before the record is deleted and inside the same transaction, so a
    failure at any point leaves the record (and at worst a pending copy the receiver checks
    again — which is what a release asks for anyway). Refused if a *different* document is
    pending under the same name: overwriting it could drop a good batch."""
    reason = check_reason(reason)
    actor = _check_actor(actor)
    store = get_store(zone)
    transport = get_transport()
    with atomic_for(store.quarantined_batch):
        row = _locked_quarantine(store, quarantine_id)
        if row.kind not in RELEASABLE_KINDS:
            raise NotReleasable(row.kind)
        if not quarantined.holds_whole_document(row):
            raise NotReleasableRecord()
        body = bytes(row.raw)
        is_ack = row.kind == abstract.QuarantinedBatch.KIND_ACK
        pending = (
            transport.read_ack(row.channel, row.file_name)
            if is_ack
            else transport.read_batch(row.channel, row.file_name)
        )
        if pending is not None and pending != body:
            raise ReleaseConflict(row.channel, row.file_name)
        if is_ack:
            transport.put_ack(row.channel, row.file_name, body)
        else:
            transport.put_batch(row.channel, row.file_name, body)
        result = _quarantine_action(ACTION_RELEASE, zone, row, actor, reason)
        row.delete()
        _record(zone, events.RELEASED, row.channel, f"{row.kind} {row.file_name}", actor, reason)
        if on_done is not None:
            on_done(result)
    _log_quarantine_action(result)
    return result


def quarantine_discard(
    *,
    zone: str,
    quarantine_id: int,
    actor: str,
    reason: str,
    on_done: Callable[[QuarantineAction], None] | None = None,
) -> QuarantineAction:
    """Delete the record and its bytes for good. A copy the `dir` transport moved to
    `<channel>/quarantine/` stays there for forensics until the operator removes it."""
    reason = check_reason(reason)
    actor = _check_actor(actor)
    store = get_store(zone)
    with atomic_for(store.quarantined_batch):
        row = _locked_quarantine(store, quarantine_id)
        # The document is dealt with, so its own quarantine alarms end with it; security alarms
        # (conflict, broken chain) stay open until an operator clears them explicitly.
        cleared = clear_alarms_for_key(zone, row.channel, alarm_key(row.kind, row.file_name))
        result = replace(
            _quarantine_action(ACTION_DISCARD, zone, row, actor, reason), alarms_cleared=cleared
        )
        row.delete()
        _record(zone, events.DISCARDED, row.channel, f"{row.kind} {row.file_name}", actor, reason)
        if on_done is not None:
            on_done(result)
    _log_quarantine_action(result)
    return result


def _locked_quarantine(store: Store, quarantine_id: int) -> abstract.QuarantinedBatch:
    row = (
        store.quarantined_batch._default_manager.select_for_update()
        .filter(pk=quarantine_id)
        .first()
    )
    if row is None:
        raise QuarantineNotFound(quarantine_id)
    return row


def _quarantine_action(
    action: str, zone: str, row: abstract.QuarantinedBatch, actor: str, reason: str
) -> QuarantineAction:
    raw = bytes(row.raw)
    _reason, size = split_stored_note(row.reason)
    return QuarantineAction(
        action=action,
        zone=zone,
        quarantine_id=row.pk,
        channel=row.channel,
        kind=row.kind,
        file_name=row.file_name,
        sha256=row.sha256,
        size=len(raw) if size is None else size,
        batch_id=summarize_document(raw, row.kind).batch_id,
        category=classify_reason(row.reason),
        quarantine_reason=row.reason,
        times_seen=row.times_seen,
        actor=actor,
        reason=reason,
        put_back=action == ACTION_RELEASE,
    )


def _log_quarantine_action(result: QuarantineAction) -> None:
    log_event(
        logging.WARNING,
        "quarantine_released" if result.action == ACTION_RELEASE else "quarantine_discarded",
        zone=result.zone,
        channel=result.channel,
        kind=result.kind,
        file=result.file_name,
        sha256=result.sha256,
        quarantine_id=result.quarantine_id,
        actor=result.actor,
    )


# -- alarms --------------------------------------------------------------------------------------


def alarm_clear(
    *,
    zone: str,
    alarm_id: int,
    actor: str,
    reason: str,
    on_done: Callable[[AlarmAction], None] | None = None,
) -> AlarmAction:
    """Close an open alarm an operator has dealt with. If its condition persists, the agent
    raises a new alarm the next time it sees it."""
    reason = check_reason(reason)
    actor = _check_actor(actor)
    store = get_store(zone)
    with atomic_for(store.alarm):
        alarm = (
            store.alarm._default_manager.select_for_update()
            .filter(pk=alarm_id, cleared_at__isnull=True)
            .first()
        )
        if alarm is None:
            raise AlarmNotFound(alarm_id)
        alarm.cleared_at = timezone.now()
        alarm.save(update_fields=["cleared_at"])
        result = AlarmAction(
            action=ACTION_CLEAR,
            zone=zone,
            alarm_id=alarm.pk,
            kind=alarm.kind,
            channel=alarm.channel,
            key=alarm.key,
            count=alarm.count,
            raised_at=alarm.raised_at,
            actor=actor,
            reason=reason,
        )
        subject = f"{alarm.kind} {alarm.key}".strip()
        _record(zone, events.ALARM_CLEARED, alarm.channel, subject, actor, reason)
        if on_done is not None:
            on_done(result)
    log_event(
        logging.WARNING,
        "alarm_cleared",
        zone=zone,
        kind=result.kind,
        channel=result.channel,
        key=result.key,
        alarm_id=result.alarm_id,
        actor=actor,
    )
    return result


def _record(zone: str, step: str, channel: str, subject: str, actor: str, reason: str) -> None:
    """The operator action's `FerryEvent` row: what was acted on, by whom and why."""
    events.record_event(zone, step, channel, count=1, detail=f"{subject} by {actor}: {reason}")

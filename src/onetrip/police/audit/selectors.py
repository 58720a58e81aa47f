"""Reading the audit log and checking that nobody has tampered with it (DOMAIN MLPS-5)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connections, router
from django.db.models import QuerySet
from django.utils import timezone

from onetrip.common.audit_chain import ChainReport, Checkpoint, verify_chain

from .anchors import read_anchors
from .keys import anchor_path, audit_keys, declared_legacy_through, uses_published_dev_key
from .models import AuditEvent, AuditHead
from .triggers import append_only_triggers_installed

VERIFY_CHUNK = 2000


def audit_events_for(object_type: str, object_id: str) -> QuerySet[AuditEvent]:
    """Every event about one object, oldest first."""
    return AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id)).order_by(
        "sequence"
    )


def chain_rows(
    *, after: int = 0, through: int | None = None, using: str | None = None
) -> Iterator[tuple[dict[str, Any], str]]:
    """(chain record, stored hash) of the events after `after` up to `through`, in order.

    Streams rows; memory does not grow with the log.
    """
    events = AuditEvent.objects.using(using or router.db_for_read(AuditEvent)).order_by("sequence")
    if after:
        events = events.filter(sequence__gt=after)
    if through is not None:
        events = events.filter(sequence__lte=through)
    for event in events.iterator(chunk_size=VERIFY_CHUNK):
        yield event.chain_record(), event.hash


@dataclass(frozen=True)
class AuditVerification:
    """The chain's report (`report`: ok or the first fault, chain or anchors) and what the
    operator should know besides: the anchor file, the legacy prefix, the key in use."""

    report: ChainReport
    anchor_file: Path
    anchor_file_exists: bool
    anchors: int
    last_anchor: Checkpoint | None
    legacy_declared: int
    published_dev_key: bool

    @property
    def ok(self) -> bool:
        return self.report.ok

    @property
    def checked(self) -> int:
        return self.report.checked

    @property
    def first_bad_sequence(self) -> int | None:
        return self.report.first_bad_sequence

    @property
    def reason(self) -> str:
        return self.report.reason

    @property
    def last_hash(self) -> str:
        return self.report.last_hash


def _missing(first: int, last: int) -> str:
    return f"{first}" if first == last else f"{first}–{last}"


def _against_head_and_anchors(
    report: ChainReport, head: AuditHead | None, last_anchor: Checkpoint | None
) -> ChainReport:
    """The walk's report, failed if the chain stops short of the head or of the last anchor."""
    if head is not None and report.last_sequence < head.last_sequence:
        return dataclasses.replace(
            report,
            ok=False,
            first_bad_sequence=report.last_sequence + 1,
            reason=(
                f"sequence gap: {_missing(report.last_sequence + 1, head.last_sequence)} "
                "missing at the end of the chain"
            ),
        )
    if head is not None and report.last_hash != head.last_hash:
        return dataclasses.replace(
            report,
            ok=False,
            first_bad_sequence=head.last_sequence,
            reason="hash mismatch: the chain's last hash differs from the head's",
        )
    if last_anchor is not None and report.last_sequence < last_anchor.sequence:
        return dataclasses.replace(
            report,
            ok=False,
            first_bad_sequence=report.last_sequence + 1,
            reason=(
                f"truncated: {_missing(report.last_sequence + 1, last_anchor.sequence)} "
                f"missing — the chain ends at {report.last_sequence} but sequence "
                f"{last_anchor.sequence} was anchored at {last_anchor.anchored_at}"
            ),
        )
    return report


def audit_verify() -> AuditVerification:
    """Walk the whole chain in sequence order and report the first place it does not hold.

    Finds a changed row (hash mismatch under its key), a deleted row (sequence gap), a forged
    link, a row recomputed without the key or downgraded to legacy, rows deleted from the end
    (the chain stops short of the head row or of the last anchor), and — through the anchor
    file — a chain rewritten before an anchored sequence even with the right key. A bad anchor
    line (forged, edited, removed from the middle, torn) fails the check too.

    The anchor file is read first and then the head, and the walk stops at the head's
    sequence, so checkpoints and appends made meanwhile do not disturb the check. Streams rows;
    memory does not grow with the log.
    """
    keys = audit_keys()
    anchors = read_anchors(anchor_path(), keys)
    head = AuditHead.objects.filter(pk=AuditHead.SINGLETON_ID).first()
    report = verify_chain(
        chain_rows(through=head.last_sequence if head else None),
        keys=keys,
        checkpoints={c.sequence: c.hash for c in anchors.checkpoints},
        max_legacy=declared_legacy_through(),
    )
    if report.ok:
        report = _against_head_and_anchors(report, head, anchors.last)
    if report.ok and anchors.fault:
        report = dataclasses.replace(
            report,
            ok=False,
            reason=f"anchor file {anchors.path} line {anchors.fault_line}: {anchors.fault}",
        )
    return AuditVerification(
        report=report,
        anchor_file=anchors.path,
        anchor_file_exists=anchors.exists,
        anchors=len(anchors.checkpoints),
        last_anchor=anchors.last,
        legacy_declared=declared_legacy_through(),
        published_dev_key=uses_published_dev_key(),
    )


def audit_triggers_installed() -> bool:
    """Whether the database still refuses UPDATE and DELETE on the audit table."""
    return append_only_triggers_installed(connections[router.db_for_read(AuditEvent)])


# --- The audit administrator's viewer (MLPS-5, MLPS-10) --------------------------------------

AUDIT_PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditQuery:
    """Filters of the audit viewer; empty ones do not filter. `action` matches a prefix, so
    "login." finds every log-in event; `object_id` is an object's reference, exactly."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    actor: str = ""
    action: str = ""
    success: bool | None = None
    object_id: str = ""

    def used(self) -> list[str]:
        """The names of the filters in use (for the audit row of the read: names, not values,
        since a value typed into a filter may be anything)."""
        return [f.name for f in dataclasses.fields(self) if getattr(self, f.name) not in (None, "")]


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    next_before: int | None  # the `before` of the next (older) page, None on the last one


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_events_filtered(query: AuditQuery) -> QuerySet[AuditEvent]:
    """Events matching `query`, newest first."""
    events = AuditEvent.objects.all()
    if query.date_from:
        events = events.filter(occurred_at__gte=_day_start(query.date_from))
    if query.date_to:
        events = events.filter(occurred_at__lt=_day_start(query.date_to + dt.timedelta(days=1)))
    if query.actor:
        events = events.filter(actor=query.actor)
    if query.action:
        events = events.filter(action__startswith=query.action)
    if query.success is not None:
        events = events.filter(success=query.success)
    if query.object_id:
        events = events.filter(object_id=query.object_id)
    return events.order_by("-sequence")


def audit_events_page(
    query: AuditQuery, *, before: int | None = None, size: int = AUDIT_PAGE_SIZE
) -> AuditPage:
    """One page of `audit_events_filtered`, keyset-paginated on the sequence: the events
    below `before`. Each page costs the same however deep in the log it lies."""
    events = audit_events_filtered(query)
    if before:
        events = events.filter(sequence__lt=before)
    rows = list(events[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return AuditPage(events=rows, next_before=rows[-1].sequence if more and rows else None)

"""Reading the audit log and checking that nobody has tampered with it (DOMAIN MLPS-5)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import connections, router
from django.db.models import QuerySet

from onetrip.common.audit_chain import ChainReport, verify_chain

from .models import AuditEvent, AuditHead
from .triggers import append_only_triggers_installed

VERIFY_CHUNK = 2000


def audit_events_for(object_type: str, object_id: str) -> QuerySet[AuditEvent]:
    """Every event about one object, oldest first."""
    return AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id)).order_by(
        "sequence"
    )


def _rows(limit: int | None) -> Iterator[tuple[dict[str, Any], str]]:
    events = AuditEvent.objects.order_by("sequence")
    if limit is not None:
        events = events.filter(sequence__lte=limit)
    for event in events.iterator(chunk_size=VERIFY_CHUNK):
        yield event.chain_record(), event.hash


def audit_verify() -> ChainReport:
    """Walk the whole chain in sequence order and report the first place it does not hold.

    Finds a changed row (hash mismatch), a deleted row (sequence gap), a forged link, and rows
    deleted from the end (the chain stops short of the head row). The head is read first and
    the walk stops at its sequence, so appends committed meanwhile do not disturb the check.
    Streams rows; memory does not grow with the log.
    """
    head = AuditHead.objects.filter(pk=AuditHead.SINGLETON_ID).first()
    report = verify_chain(_rows(head.last_sequence if head else None))
    if not report.ok or head is None:
        return report
    if report.last_sequence < head.last_sequence:
        first_missing = report.last_sequence + 1
        missing = (
            f"{first_missing}"
            if first_missing == head.last_sequence
            else f"{first_missing}–{head.last_sequence}"
        )
        return ChainReport(
            ok=False,
            checked=report.checked,
            first_bad_sequence=first_missing,
            reason=f"sequence gap: {missing} missing at the end of the chain",
            last_sequence=report.last_sequence,
            last_hash=report.last_hash,
        )
    if report.last_hash != head.last_hash:
        return ChainReport(
            ok=False,
            checked=report.checked,
            first_bad_sequence=head.last_sequence,
            reason="hash mismatch: the chain's last hash differs from the head's",
            last_sequence=report.last_sequence,
            last_hash=report.last_hash,
        )
    return report


def audit_triggers_installed() -> bool:
    """Whether the database still refuses UPDATE and DELETE on the audit table."""
    return append_only_triggers_installed(connections[router.db_for_read(AuditEvent)])

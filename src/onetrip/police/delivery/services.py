"""The card's way from the station to the resident: one service per step (WF-2 after READY).

Every step runs on the case's row lock (`select_for_update` on `PermitCase`, taken first, then
the shipment's), so hand-over at the window, the courier order, the courier's callbacks, the
resident's change of address and the sweep never act on a stale view of one another. Each
resident-visible change is one `permit.delivery_changed` snapshot, numbered by the case's
`CaseDelivery.sequence` in the same transaction.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from onetrip.common.db import db_for
from onetrip.contracts.delivery import PermitDeliveryChangedV1, TrackingEventV1
from onetrip.ferry.agent.outbox import emit
from onetrip.police.permits.models import PermitCase, PermitStatus

from .models import CLOSED_STATUSES, CaseDelivery, Shipment, ShipmentStatus

logger = logging.getLogger(__name__)

PURPOSE = "residence_permit_delivery"
COURIER_NAME = "EMS"
MAX_EVENTS = 50

# The resident's stage of a posted card by its shipment's status.
_SHIPMENT_STAGE = {
    ShipmentStatus.PENDING: "awaiting_courier",
    ShipmentStatus.CREATED: "shipped",
    ShipmentStatus.PICKED_UP: "in_transit",
    ShipmentStatus.IN_TRANSIT: "in_transit",
    ShipmentStatus.OUT_FOR_DELIVERY: "out_for_delivery",
    ShipmentStatus.FAILED_ATTEMPT: "failed_attempt",
    ShipmentStatus.DELIVERED: "delivered",
}


def open_shipment(case: PermitCase) -> Shipment | None:
    """The case's shipment that is neither returned nor cancelled (at most one exists)."""
    return case.shipments.exclude(status__in=CLOSED_STATUSES).first()


def latest_shipment(case: PermitCase) -> Shipment | None:
    """The case's latest shipment the courier had (a cancelled order never left)."""
    return (
        case.shipments.exclude(status=ShipmentStatus.CANCELLED)
        .order_by("-created_at", "-id")
        .first()
    )


def delivery_stage(case: PermitCase, shipment: Shipment | None) -> str:
    """Where the card is, as the resident is told, from the case and its shipment."""
    if case.status == PermitStatus.COLLECTED:
        return "collected"
    if case.status == PermitStatus.DELIVERED:
        return "delivered"
    if case.status == PermitStatus.IN_PRODUCTION:
        return "in_production"
    if case.status != PermitStatus.READY:
        return "waiting_production"
    if shipment is not None and shipment.status not in CLOSED_STATUSES:
        return _SHIPMENT_STAGE[ShipmentStatus(shipment.status)]
    if case.delivery == "post":
        return "awaiting_courier"
    return "ready_for_pickup"


def _record_for(case: PermitCase) -> CaseDelivery:
    alias = db_for(CaseDelivery)
    record = CaseDelivery.objects.using(alias).filter(case=case).first()
    if record is None:
        try:
            with transaction.atomic(using=alias):
                record = CaseDelivery.objects.using(alias).create(case=case)
        except IntegrityError:
            record = CaseDelivery.objects.using(alias).get(case=case)
    return record


def _next_sequence(case: PermitCase) -> int:
    """The case's next snapshot number, by one conditional UPDATE on its delivery row."""
    _record_for(case)
    CaseDelivery.objects.filter(case=case).update(sequence=F("sequence") + 1)
    return CaseDelivery.objects.values_list("sequence", flat=True).get(case=case)


def _events(shipment: Shipment | None) -> list[TrackingEventV1]:
    if shipment is None:
        return []
    rows = list(shipment.events.order_by("-at", "-id")[:MAX_EVENTS])
    return [
        TrackingEventV1(at=e.at, status=e.status, detail=e.detail[:200])  # type: ignore[arg-type]
        for e in reversed(rows)
    ]


def delivery_emit(
    *, case: PermitCase, change: str, actor: str, reason: str = "", pickup_code: str = ""
) -> None:
    """Tell the portal where the card of `case` is now (`permit.delivery_changed`).

    Runs inside the caller's transaction on a case it has locked, so the snapshot's sequence,
    stage and tracking list are those of the committed change and a later snapshot always
    carries a higher sequence. The stage and the tracking list are derived here, from the case
    and its latest shipment, so no caller can send a stage the rows do not show."""
    shipment = open_shipment(case)
    # A returned shipment stays on the resident's tracking list; a cancelled one never left.
    shown = shipment or latest_shipment(case)
    sequence = _next_sequence(case)
    tracking = (shown.tracking_number or "") if shown is not None else ""
    emit(
        zone="police",
        message=PermitDeliveryChangedV1(
            reference=case.reference,
            sequence=sequence,
            change=change,  # type: ignore[arg-type]
            stage=delivery_stage(case, shipment),  # type: ignore[arg-type]
            method=case.delivery,  # type: ignore[arg-type]
            phone=case.phone,
            station_code=case.station.code,
            station_name=case.station.name,
            pickup_code=pickup_code,
            courier=COURIER_NAME if tracking else "",
            tracking_number=tracking,
            events=_events(shown),
            reason=reason[:300],
            changed_at=timezone.now(),
        ),
        aggregate_id=case.reference,
        correlation_id=case.reference,
        actor=actor,
        purpose="residence_permit",
    )
    logger.info(
        "delivery changed reference=%s sequence=%s change=%s", case.reference, sequence, change
    )

"""The card's way from the station to the resident: one service per step (WF-2 after READY).

Every step runs on the case's row lock (`select_for_update` on `PermitCase`, taken first, then
the shipment's), so hand-over at the window, the courier order, the courier's callbacks, the
resident's change of address and the sweep never act on a stale view of one another. Each
resident-visible change is one `permit.delivery_changed` snapshot, numbered by the case's
`CaseDelivery.sequence` in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from onetrip.common.crypto import lookup_hash
from onetrip.common.db import atomic_for, db_for
from onetrip.contracts.delivery import (
    PermitDeliveryAddressChangeV1,
    PermitDeliveryChangedV1,
    TrackingEventV1,
)
from onetrip.ferry.agent.handlers import BusinessReject
from onetrip.ferry.agent.outbox import emit
from onetrip.police.audit.services import audit_record
from onetrip.police.courier import (
    CourierEvent,
    CourierRejected,
    CourierUnavailable,
    Party,
    get_courier,
)
from onetrip.police.permits.models import (
    PermitCase,
    PermitCaseEvent,
    PermitStatus,
    ResidencePermit,
    Task,
)
from onetrip.police.permits.services import permit_status_emit

from .errors import DeliveryError
from .models import (
    CLOSED_STATUSES,
    AddressChangeRequest,
    CaseDelivery,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
)

logger = logging.getLogger(__name__)

PURPOSE = "residence_permit_delivery"
OBJECT_TYPE = "permit_shipment"
CASE_OBJECT_TYPE = "permit_application"
COURIER_ACTOR = "courier"
SYSTEM_ACTOR = "system"
# Waits between attempts to place a courier order: doubling from a minute, at most an hour.
RETRY_FIRST_SECONDS = 60
RETRY_MAX_SECONDS = 3600
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
    and its latest shipment, so no caller can send a stage the rows do not show. A case
    entered at the window has no portal record to mirror it, so nothing is sent for it."""
    if case.channel != "online":
        return
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


# -- shared -----------------------------------------------------------------------------------


def _audit(
    *, actor: str, action: str, object_id: str, object_type: str = OBJECT_TYPE, **kw: Any
) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        purpose=PURPOSE,
        **kw,
    )


def _lock_case(case_id: int) -> PermitCase:
    return PermitCase.objects.select_for_update().select_related("station").get(pk=case_id)


def _history(*, case: PermitCase, previous: str, actor: str, note: str = "") -> None:
    """One history row and the status message, as casework records a step of staff."""
    PermitCaseEvent.objects.create(
        case=case,
        revision=case.revision,
        from_status=previous,
        status=case.status,
        actor=actor,
        note=note[:500],
        at=timezone.now(),
    )
    if case.channel == "online":
        permit_status_emit(case, actor=actor)


# -- pickup codes -----------------------------------------------------------------------------


def _code_hash(case: PermitCase, code: str) -> str:
    # The reference is in the hashed text, so a code of one case never matches another's.
    return lookup_hash(f"{case.reference}:{code}", purpose="pickup_code")


def pickup_code_issue(*, case: PermitCase) -> str:
    """A fresh 6-digit pickup code for a locked case; only its keyed hash is kept, and it
    replaces any earlier code. The caller puts the code in the message to the resident."""
    code = f"{secrets.randbelow(10**6):06d}"
    record = _record_for(case)
    record.pickup_code_hash = _code_hash(case, code)
    record.pickup_code_issued_at = timezone.now()
    record.save(update_fields=["pickup_code_hash", "pickup_code_issued_at"])
    return code


def pickup_code_matches(*, case: PermitCase, code: str) -> bool:
    code = (code or "").strip()
    if len(code) != 6 or not code.isdigit():
        return False
    record = CaseDelivery.objects.filter(case=case).first()
    if record is None or not record.pickup_code_hash:
        return False
    return hmac.compare_digest(record.pickup_code_hash, _code_hash(case, code))


# -- the card at the station and the window ---------------------------------------------------


def delivery_card_at_station(*, case: PermitCase, actor: str) -> None:
    """The card of a locked case has just become READY: for pickup, the resident gets a pickup
    code; for post, a courier order is opened (placed after the commit). Runs inside the
    caller's transaction."""
    if case.delivery == "post":
        _shipment_open(case=case)
        # Nothing for an SMS yet: the resident hears when the courier has the card.
        delivery_emit(case=case, change="courier_update", actor=actor)
        return
    code = pickup_code_issue(case=case)
    delivery_emit(case=case, change="ready", actor=actor, pickup_code=code)


def delivery_check_can_hand_over(*, case: PermitCase) -> None:
    """Never both collected and shipped: a card with a courier order (not returned) is not
    handed over at the window. Called under the case's row lock."""
    if open_shipment(case) is not None:
        raise DeliveryError(
            "shipment_exists",
            "该证件已安排邮寄，不能在窗口发放",
            "The card is being posted; it cannot be handed over at the window",
            status=409,
        )


def delivery_collected(*, case: PermitCase, actor: str) -> None:
    """The locked case's card was handed over: the pickup code is spent, the resident told."""
    CaseDelivery.objects.filter(case=case).update(pickup_code_hash="")
    delivery_emit(case=case, change="collected", actor=actor)


# -- shipments --------------------------------------------------------------------------------


def shipment_check_can_create(*, case: PermitCase) -> None:
    """A courier order only for a card that lies at the station for posting and has no open
    order: never both collected and shipped. Called under the case's row lock."""
    if case.status != PermitStatus.READY or case.delivery != "post":
        raise DeliveryError(
            "not_ready_for_post",
            f"该证件当前不能邮寄（状态：{case.get_status_display()}）",
            f"The card cannot be posted now (status {case.status}, delivery {case.delivery})",
            status=409,
        )
    if open_shipment(case) is not None:
        raise DeliveryError(
            "shipment_exists",
            "该证件已有寄件单",
            "The card already has a courier order",
            status=409,
        )
    if not case.postal_address:
        raise DeliveryError(
            "no_postal_address",
            "缺少收件地址，不能邮寄",
            "There is no postal address to post the card to",
            status=409,
        )


def _shipment_open(*, case: PermitCase) -> Shipment:
    shipment_check_can_create(case=case)
    shipment = Shipment.objects.create(
        case=case,
        client_ref=f"{case.reference}-{secrets.token_hex(6)}",
        status=ShipmentStatus.PENDING,
    )
    _audit(actor=SYSTEM_ACTOR, action="delivery.shipment_open", object_id=shipment.client_ref)
    shipment_id = shipment.pk

    def enqueue() -> None:
        from .tasks import shipment_place_task

        shipment_place_task.enqueue(shipment_id=shipment_id)

    transaction.on_commit(enqueue, using=db_for(Shipment))
    return shipment


def shipment_create(*, reference: str, actor: str = SYSTEM_ACTOR) -> Shipment:
    """Open the courier order of a card at the station for posting (its own transaction): the
    order is placed after the commit. Refused unless the card may be posted now."""
    with atomic_for(PermitCase, durable=True):
        found = PermitCase.objects.filter(reference=reference).values_list("pk", flat=True)
        if not found:
            raise DeliveryError("not_found", "未找到该申请", "No such application", status=404)
        case = _lock_case(found[0])
        shipment = _shipment_open(case=case)
        delivery_emit(case=case, change="courier_update", actor=actor)
        return shipment


def _retry_delay(attempts: int) -> dt.timedelta:
    return dt.timedelta(
        seconds=min(RETRY_FIRST_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS)
    )


def _alarm(shipment: Shipment, *, now: dt.datetime, why: str) -> None:
    """Tell the operators a card is stuck: an ERROR log, an audit row and `alarmed_at`, which
    the ops view shows. Once per shipment."""
    if shipment.alarmed_at is not None:
        return
    shipment.alarmed_at = now
    shipment.save(update_fields=["alarmed_at", "updated_at"])
    logger.error(
        "courier order alarm client_ref=%s attempts=%s why=%s",
        shipment.client_ref,
        shipment.attempts,
        why,
    )
    _audit(
        actor=SYSTEM_ACTOR,
        action="delivery.courier_alarm",
        object_id=shipment.client_ref,
        success=False,
        detail={"why": why, "attempts": shipment.attempts},
    )


def _alarm_due(shipment: Shipment, now: dt.datetime) -> bool:
    waited = (now - shipment.created_at).total_seconds()
    return shipment.alarmed_at is None and waited >= settings.ONETRIP_COURIER_ALARM_SECONDS


def _sender(case: PermitCase) -> Party:
    station = case.station
    return Party(
        name=station.name,
        phone=station.phone or "0571-110",
        address=station.address or station.name,
    )


def shipment_place(*, shipment_id: int) -> str:
    """Place the courier order of one pending shipment; answers what happened ("created",
    "retry", "rejected", "not_due", "not_pending").

    The order is sent from the shipment's row locked in `pending` (under the case's lock, taken
    first as everywhere), so two workers, a replayed task or the sweep never book twice; the
    courier also treats `client_ref` as an idempotency key, so a lost answer retried books
    nothing new. A courier that does not answer is retried later with backoff (`next_attempt_at`,
    picked up by `delivery_sweep`); past ONETRIP_COURIER_ALARM_SECONDS the alarm is raised."""
    with atomic_for(Shipment, durable=True):
        case_id = Shipment.objects.filter(pk=shipment_id).values_list("case_id", flat=True)
        if not case_id:
            return "not_pending"
        case = _lock_case(case_id[0])
        shipment = (
            Shipment.objects.select_for_update()
            .filter(pk=shipment_id, status=ShipmentStatus.PENDING)
            .first()
        )
        if shipment is None:
            return "not_pending"
        now = timezone.now()
        if shipment.next_attempt_at is not None and shipment.next_attempt_at > now:
            return "not_due"
        if case.status != PermitStatus.READY or case.delivery != "post":
            return "not_pending"
        shipment.attempts += 1
        try:
            placed = get_courier().create_shipment(
                client_ref=shipment.client_ref,
                recipient=Party(name=case.name, phone=case.phone, address=case.postal_address),
                sender=_sender(case),
                callback_url=str(settings.ONETRIP_COURIER_CALLBACK_URL),
            )
        except CourierUnavailable as exc:
            shipment.last_error = exc.message_en[:300]
            shipment.next_attempt_at = now + _retry_delay(shipment.attempts)
            shipment.save(update_fields=["attempts", "last_error", "next_attempt_at", "updated_at"])
            logger.warning(
                "courier order deferred client_ref=%s attempts=%s next_attempt_at=%s",
                shipment.client_ref,
                shipment.attempts,
                shipment.next_attempt_at.isoformat(),
            )
            if _alarm_due(shipment, now):
                _alarm(shipment, now=now, why="courier unavailable")
            return "retry"
        except CourierRejected as exc:
            # Sending the same order again would be refused the same way: a person looks.
            shipment.last_error = exc.message_en[:300]
            shipment.next_attempt_at = None
            shipment.save(update_fields=["attempts", "last_error", "next_attempt_at", "updated_at"])
            _alarm(shipment, now=now, why="courier rejected the order")
            return "rejected"
        shipment.tracking_number = placed.tracking_number
        shipment.status = ShipmentStatus.CREATED
        shipment.last_error = ""
        shipment.next_attempt_at = None
        shipment.save()
        _audit(
            actor=SYSTEM_ACTOR,
            action="delivery.shipped",
            object_id=shipment.client_ref,
            detail={"tracking_number": placed.tracking_number, "attempts": shipment.attempts},
        )
        delivery_emit(case=case, change="shipped", actor=SYSTEM_ACTOR)
        return "created"


# -- the courier's callbacks ------------------------------------------------------------------

# How far along a shipment is; a callback never moves it back. Final ones outrank everything.
_RANK = {
    ShipmentStatus.PENDING: 0,
    ShipmentStatus.CREATED: 1,
    ShipmentStatus.PICKED_UP: 2,
    ShipmentStatus.IN_TRANSIT: 3,
    ShipmentStatus.OUT_FOR_DELIVERY: 4,
    ShipmentStatus.FAILED_ATTEMPT: 4,
    ShipmentStatus.DELIVERED: 9,
    ShipmentStatus.RETURNED: 9,
}
_EVENT_STATUS = {
    "picked_up": ShipmentStatus.PICKED_UP,
    "in_transit": ShipmentStatus.IN_TRANSIT,
    "out_for_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "failed_attempt": ShipmentStatus.FAILED_ATTEMPT,
    "delivered": ShipmentStatus.DELIVERED,
    "returned_to_sender": ShipmentStatus.RETURNED,
}


def _moves_forward(shipment: Shipment, event: ShipmentEvent, new: ShipmentStatus) -> bool:
    """Whether `event` (just recorded) sets the shipment's status: a final event always does
    unless the shipment is already final; otherwise only the newest event by the courier's time,
    and never to a status ranked below the current one (failed attempt and out for delivery
    alternate, so they rank alike)."""
    current = ShipmentStatus(shipment.status)
    if current in (ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED, ShipmentStatus.CANCELLED):
        return False
    if current == ShipmentStatus.PENDING:
        # A callback before our order is recorded as placed: kept, applied by no status.
        return False
    if _RANK[new] >= 9:
        return True
    newest = shipment.events.order_by("-at", "-id").first()
    return newest is not None and newest.pk == event.pk and _RANK[new] >= _RANK[current]


def courier_event_apply(*, event: CourierEvent) -> str:
    """Apply one verified courier callback, exactly once: "applied", "recorded" (kept on the
    tracking list and sent on to the resident's, status unchanged: late or out of order) or
    "duplicate" (its event id was seen: nothing changes).

    Under the case's and then the shipment's row lock, so two deliveries of one callback, or
    callbacks racing each other, are applied one after the other and a repeat finds its event
    id taken. Delivered closes the case (DELIVERED); returned to sender turns the card into a
    pickup with a fresh code."""
    with atomic_for(Shipment, durable=True):
        found = Shipment.objects.filter(tracking_number=event.tracking_number).values_list(
            "pk", "case_id"
        )
        if not found:
            _audit(
                actor=COURIER_ACTOR,
                action="delivery.callback_unknown",
                object_id=event.tracking_number,
                success=False,
            )
            raise DeliveryError(
                "unknown_shipment",
                "未知的运单号",
                "No shipment has this tracking number",
                status=404,
            )
        shipment_id, case_id = found[0]
        case = _lock_case(case_id)
        shipment = Shipment.objects.select_for_update().get(pk=shipment_id)
        if ShipmentEvent.objects.filter(event_id=event.event_id).exists():
            logger.info("courier callback duplicate event_id=%s", event.event_id)
            return "duplicate"
        recorded = ShipmentEvent.objects.create(
            shipment=shipment,
            event_id=event.event_id,
            status=event.status,
            at=event.at,
            detail=event.detail[:500],
        )
        new = _EVENT_STATUS[event.status]
        if not _moves_forward(shipment, recorded, new):
            logger.info(
                "courier callback recorded event_id=%s status=%s shipment_status=%s",
                event.event_id,
                event.status,
                shipment.status,
            )
            if shipment.status not in (ShipmentStatus.PENDING, ShipmentStatus.CANCELLED):
                # The resident's tracking list shows every event the courier reported, late
                # ones included; the stage stays where it is and no SMS goes with it.
                delivery_emit(case=case, change="courier_update", actor=COURIER_ACTOR)
            return "recorded"
        shipment.status = new
        shipment.save(update_fields=["status", "updated_at"])
        _audit(
            actor=COURIER_ACTOR,
            action="delivery.courier_event",
            object_id=shipment.client_ref,
            # The row's own id: the courier's event_id is its text, not ours to vouch for.
            detail={"status": event.status, "shipment_event": recorded.pk},
        )
        if new == ShipmentStatus.DELIVERED:
            _delivered(case=case, at=event.at)
        elif new == ShipmentStatus.RETURNED:
            _returned(case=case)
        else:
            delivery_emit(case=case, change="courier_update", actor=COURIER_ACTOR)
        return "applied"


def _delivered(*, case: PermitCase, at: dt.datetime) -> None:
    if case.status != PermitStatus.READY:
        logger.error("courier delivered a card not ready reference=%s", case.reference)
        return
    previous = case.status
    case.status = PermitStatus.DELIVERED
    case.task = ""
    case.task_since = None
    case.assigned_to = None
    case.assigned_at = None
    case.save()
    ResidencePermit.objects.filter(case=case).update(handed_over_at=at)
    _history(case=case, previous=previous, actor=COURIER_ACTOR, note="快递已签收")
    delivery_emit(case=case, change="delivered", actor=COURIER_ACTOR)


def _returned(*, case: PermitCase) -> None:
    """The courier brought the card back: it waits at the station for pickup, with a code."""
    case.delivery = "pickup"
    case.task = Task.HAND_OVER
    # The uncollected clock starts again from the day the card came back.
    case.task_since = timezone.now()
    case.save(update_fields=["delivery", "task", "task_since"])
    PermitCaseEvent.objects.create(
        case=case,
        revision=case.revision,
        from_status=case.status,
        status=case.status,
        actor=COURIER_ACTOR,
        note="快递退回，改为窗口领取",
        at=timezone.now(),
    )
    code = pickup_code_issue(case=case)
    delivery_emit(case=case, change="returned", actor=COURIER_ACTOR, pickup_code=code)


# -- the resident's change of address or method -----------------------------------------------


def delivery_address_change(*, message: PermitDeliveryAddressChangeV1) -> str:
    """Apply the resident's change of how the card reaches them, once per `request_id`
    ("applied", "refused" or "duplicate"). Runs in the ferry's apply transaction.

    Applied while the courier does not have the card (no shipment beyond `pending`); a pending
    order is cancelled for a switch to pickup, and otherwise placed to the new address, which
    is read when the order is placed. Too late, the resident is told so."""
    if AddressChangeRequest.objects.filter(request_id=message.request_id).exists():
        return "duplicate"
    found = PermitCase.objects.filter(reference=message.reference).values_list("pk", flat=True)
    if not found:
        raise BusinessReject(f"no permit case {message.reference}")
    case = _lock_case(found[0])
    actor = "resident"
    refused = _address_change_refusal(case, message)
    AddressChangeRequest.objects.create(
        request_id=message.request_id, case=case, applied=not refused
    )
    if refused:
        delivery_emit(case=case, change="address_change_refused", actor=actor, reason=refused)
        return "refused"
    case.delivery = message.method
    if message.method == "post":
        case.postal_address = message.postal_address
    case.save(update_fields=["delivery", "postal_address"])
    shipment = open_shipment(case)
    code = ""
    if case.status == PermitStatus.READY:
        if message.method == "pickup":
            if shipment is not None:
                shipment.status = ShipmentStatus.CANCELLED
                shipment.next_attempt_at = None
                shipment.save(update_fields=["status", "next_attempt_at", "updated_at"])
            code = pickup_code_issue(case=case)
        elif shipment is None:
            _shipment_open(case=case)
    _audit(
        actor=actor,
        action="delivery.address_change",
        object_type=CASE_OBJECT_TYPE,
        object_id=case.reference,
        detail={"method": message.method, "request_id": message.request_id},
    )
    delivery_emit(case=case, change="address_changed", actor=actor)
    if code:
        delivery_emit(case=case, change="ready", actor=actor, pickup_code=code)
    return "applied"


def _address_change_refusal(case: PermitCase, message: PermitDeliveryAddressChangeV1) -> str:
    if case.status in (PermitStatus.COLLECTED, PermitStatus.DELIVERED):
        return "证件已领取或签收，无法变更"
    if case.status not in (PermitStatus.APPROVED, PermitStatus.IN_PRODUCTION, PermitStatus.READY):
        return "申请尚未批准，请在审批后变更领取方式"
    shipment = open_shipment(case)
    if shipment is not None and shipment.status != ShipmentStatus.PENDING:
        return "证件已交快递寄出，地址无法变更"
    if message.method == "post" and not message.postal_address.strip():
        return "邮寄须填写收件地址"
    return ""


# -- the sweep --------------------------------------------------------------------------------


def delivery_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """What the delivery track does by the clock, safe to run on several workers and again
    after a crash (each step re-checks under the row locks): (a) place the courier orders whose
    retry is due, (b) raise the alarm for orders failing longer than
    ONETRIP_COURIER_ALARM_SECONDS, (c) remind residents of cards ready for pickup longer than
    ONETRIP_CARD_UNCOLLECTED_DAYS, once per that many days, with a fresh code."""
    now = now or timezone.now()
    counts = {"placed": 0, "retry": 0, "alarmed": 0, "reminded": 0}
    due = Shipment.objects.filter(status=ShipmentStatus.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    for shipment_id in list(due.values_list("pk", flat=True)):
        outcome = shipment_place(shipment_id=shipment_id)
        if outcome == "created":
            counts["placed"] += 1
        elif outcome == "retry":
            counts["retry"] += 1
    cutoff = now - dt.timedelta(seconds=settings.ONETRIP_COURIER_ALARM_SECONDS)
    stuck = Shipment.objects.filter(
        status=ShipmentStatus.PENDING, alarmed_at__isnull=True, created_at__lte=cutoff
    )
    for shipment_id in list(stuck.values_list("pk", flat=True)):
        with atomic_for(Shipment, durable=True):
            shipment = (
                Shipment.objects.select_for_update()
                .filter(pk=shipment_id, status=ShipmentStatus.PENDING, alarmed_at__isnull=True)
                .first()
            )
            if shipment is not None:
                _alarm(shipment, now=now, why="courier order not placed in time")
                counts["alarmed"] += 1
    counts["reminded"] = _remind_uncollected(now)
    logger.info("delivery sweep %s", " ".join(f"{k}={v}" for k, v in counts.items()))
    return counts


def _reminder_due(case: PermitCase, now: dt.datetime) -> bool:
    every = dt.timedelta(days=settings.ONETRIP_CARD_UNCOLLECTED_DAYS)
    if case.status != PermitStatus.READY or case.delivery != "pickup":
        return False
    if case.task != Task.HAND_OVER or case.task_since is None:
        return False
    record = CaseDelivery.objects.filter(case=case).first()
    last = record.last_reminded_at if record is not None else None
    since = max(case.task_since, last) if last is not None else case.task_since
    return now - since >= every


def _remind_uncollected(now: dt.datetime) -> int:
    cutoff = now - dt.timedelta(days=settings.ONETRIP_CARD_UNCOLLECTED_DAYS)
    candidates = (
        PermitCase.objects.filter(
            status=PermitStatus.READY,
            delivery="pickup",
            task=Task.HAND_OVER,
            task_since__lte=cutoff,
        )
        .exclude(delivery_record__last_reminded_at__gt=cutoff)
        .values_list("pk", flat=True)
    )
    reminded = 0
    for case_id in list(candidates):
        with atomic_for(PermitCase, durable=True):
            case = _lock_case(case_id)
            if not _reminder_due(case, now):
                continue
            code = pickup_code_issue(case=case)
            CaseDelivery.objects.filter(case=case).update(
                reminder_count=F("reminder_count") + 1, last_reminded_at=now
            )
            _audit(
                actor=SYSTEM_ACTOR,
                action="delivery.pickup_reminder",
                object_type=CASE_OBJECT_TYPE,
                object_id=case.reference,
            )
            delivery_emit(case=case, change="pickup_reminder", actor=SYSTEM_ACTOR, pickup_code=code)
            reminded += 1
    return reminded

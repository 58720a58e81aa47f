"""The resident's side of the card's way to them (WF-2 after approval, NAT-3, PI-2).

The police zone owns production, the station's shelf and the courier; it tells the portal where
the card is as a snapshot (`permit.delivery_changed`) numbered by `sequence`. The portal keeps
the newest snapshot per application (`PermitDelivery`), so a late or repeated message never
moves the resident's page back and never sends a second SMS. The one-time pickup code that
some snapshots carry goes into the SMS and nowhere else.

While the card has not left the station the resident may change the postal address, or switch
between pickup and post. The portal records the request and emits
`permit.delivery_address_changed` in one transaction; the request stays pending until the
police zone answers with an `address_changed` or `address_change_refused` snapshot.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from onetrip.common.db import atomic_for
from onetrip.contracts.delivery import (
    DELIVERY_CHANGE_LABELS,
    DELIVERY_STAGE_LABELS,
    TRACKING_STATUS_LABELS,
    PermitDeliveryAddressChangeV1,
    PermitDeliveryChangedV1,
    TrackingEventV1,
)
from onetrip.contracts.permits import DELIVERY_METHOD_LABELS
from onetrip.ferry.agent.outbox import emit
from onetrip.portal.accounts.models import Resident
from onetrip.portal.limits.services import rate_limit_hit
from onetrip.portal.notify.services import MOBILE_RE, sms_queue

from .applications import PURPOSE, clean_field
from .errors import DeliveryChangeInvalid, DeliveryNotChangeable, FieldError
from .models import (
    DeliveryChangeOutcome,
    PermitApplication,
    PermitDelivery,
    PermitDeliveryChange,
)
from .selectors import permit_application_of_resident

logger = logging.getLogger(__name__)

# Where the card still is at the station (or not yet made): the delivery may change.
CHANGEABLE_STAGES = frozenset(
    {"waiting_production", "in_production", "ready_for_pickup", "awaiting_courier"}
)
# Before the first snapshot has crossed: an approved application whose card is being made.
CHANGEABLE_STATUSES = frozenset({"approved", "in_production", "ready"})
# Kinds that never produce a card (an endorsement is recorded electronically).
CARDLESS_KINDS = frozenset({"endorsement"})
# A few corrections a day are plenty; every one is a message to the station.
MAX_CHANGES_PER_DAY = 5
CHANGE_WINDOW_SECONDS = 24 * 3600
# Shorter than this cannot be a deliverable address (a district and a street at least).
MIN_ADDRESS_LENGTH = 5
DEFAULT_STATION = "居住地派出所"

# The SMS of each change; every other change is silent (the contract's list).
CHANGE_SMS: dict[str, str] = {
    "ready": "permit_delivery_ready",
    "shipped": "permit_delivery_shipped",
    "delivered": "permit_delivery_delivered",
    "returned": "permit_delivery_returned",
    "production_failed": "permit_delivery_production_failed",
    "pickup_reminder": "permit_delivery_pickup_reminder",
    "address_change_refused": "permit_delivery_address_change_refused",
}
# Changes whose SMS carries the pickup code.
CODE_CHANGES = frozenset({"ready", "returned", "pickup_reminder"})
ANSWER_CHANGES = {
    "address_changed": DeliveryChangeOutcome.APPLIED,
    "address_change_refused": DeliveryChangeOutcome.REFUSED,
}
if not set(CHANGE_SMS) <= set(DELIVERY_CHANGE_LABELS) or not set(ANSWER_CHANGES) <= set(
    DELIVERY_CHANGE_LABELS
):
    raise ImportError("delivery SMS names a change the contract does not know")
if not CHANGEABLE_STAGES.issubset(DELIVERY_STAGE_LABELS):
    raise ImportError("CHANGEABLE_STAGES names a stage the contract does not know")

# The courier's events as the resident reads them. The contract has the codes only.


# --- The police zone's snapshot --------------------------------------------------------------


def _phone(message: PermitDeliveryChangedV1, application: PermitApplication) -> str:
    """Where the SMS goes: the number the message names, or the application's own if the
    message's cannot be an SMS number."""
    if MOBILE_RE.fullmatch(message.phone):
        return message.phone
    return application.phone


def _answer_requests(application: PermitApplication, message: PermitDeliveryChangedV1) -> None:
    """The police zone's answer to the resident's pending requests. The answer names no
    request, and the two zones' clocks may differ, so it settles every pending one: a later
    request the police zone has not yet seen is answered by its own snapshot after this, which
    then finds nothing pending. An applied change becomes the application's delivery."""
    outcome = ANSWER_CHANGES[message.change]
    pending = list(application.delivery_changes.filter(outcome=DeliveryChangeOutcome.PENDING))
    for request in pending:
        request.outcome = outcome
        request.answered_at = message.changed_at
        request.save(update_fields=["outcome", "answered_at"])
    if outcome != DeliveryChangeOutcome.APPLIED:
        return
    application.delivery = message.method
    if pending:
        newest = pending[-1]
        application.postal_address = newest.postal_address if message.method == "post" else ""
    application.save(update_fields=["delivery", "postal_address", "updated_at"])


def _tell(application: PermitApplication, message: PermitDeliveryChangedV1) -> None:
    """The SMS of this snapshot, if its change has one: keyed by (reference, sequence), so it
    goes once even if two deliveries of the message race past the sequence check."""
    template = CHANGE_SMS.get(message.change)
    if template is None:
        return
    if message.change in CODE_CHANGES and not message.pickup_code:
        logger.warning(
            "permit-delivery no pickup code reference=%s sequence=%s change=%s",
            message.reference,
            message.sequence,
            message.change,
        )
        template = "permit_delivery_pickup_without_code"
    sms_queue(
        phone=_phone(message, application),
        template=template,
        params={
            "reference": application.reference,
            "station": message.station_name or application.station_name or DEFAULT_STATION,
            "code": message.pickup_code,
            "courier": message.courier or "快递公司",
            "tracking_number": message.tracking_number or "见服务平台",
        },
        client_ref=f"permit-delivery:{application.reference}:{message.sequence}",
    )


def permit_delivery_apply(*, message: PermitDeliveryChangedV1) -> PermitDelivery | None:
    """Keep the snapshot if it is newer than the one held, settle the resident's pending
    change requests when it answers them, and send its SMS. Runs inside the ferry's apply
    transaction; the application's row lock orders it with the resident's own requests.

    A snapshot whose `sequence` is not newer changes nothing and sends nothing (returns None).
    The pickup code is read for the SMS only. Raises `PermitApplication.DoesNotExist` for an
    unknown reference."""
    with atomic_for(PermitDelivery):
        application = PermitApplication.objects.select_for_update().get(reference=message.reference)
        delivery = PermitDelivery.objects.filter(application=application).first()
        if delivery is not None and delivery.sequence >= message.sequence:
            logger.info(
                "permit-delivery stale reference=%s sequence=%s current=%s",
                message.reference,
                message.sequence,
                delivery.sequence,
            )
            return None
        fields = {
            "sequence": message.sequence,
            "change": message.change,
            "stage": message.stage,
            "method": message.method,
            "station_code": message.station_code,
            "station_name": message.station_name,
            "courier": message.courier,
            "tracking_number": message.tracking_number,
            "events": [event.model_dump(mode="json") for event in message.events],
            "reason": message.reason,
            "changed_at": message.changed_at,
        }
        if delivery is None:
            delivery = PermitDelivery(application=application, **fields)
        else:
            for name, value in fields.items():
                setattr(delivery, name, value)
        delivery.save()
        if message.change in ANSWER_CHANGES:
            _answer_requests(application, message)
        _tell(application, message)
    logger.info(
        "permit-delivery applied reference=%s sequence=%s change=%s stage=%s",
        message.reference,
        message.sequence,
        message.change,
        message.stage,
    )
    return delivery


# --- May the resident change the delivery? ---------------------------------------------------


def permit_delivery_can_change(
    *, application: PermitApplication, delivery: PermitDelivery | None = None
) -> bool:
    """Whether the card has not yet left the station: by the last snapshot's stage, or, before
    any snapshot has crossed, by the application being approved and its card being made. Pass
    `delivery` when it is already read; otherwise it is looked up."""
    if application.kind in CARDLESS_KINDS:
        return False
    if delivery is None:
        delivery = PermitDelivery.objects.filter(application=application).first()
    if delivery is not None:
        return delivery.stage in CHANGEABLE_STAGES
    return application.status in CHANGEABLE_STATUSES


def permit_delivery_check_can_change(
    *, application: PermitApplication, delivery: PermitDelivery | None = None
) -> None:
    """Raise `DeliveryNotChangeable` unless the delivery may still change."""
    if not permit_delivery_can_change(application=application, delivery=delivery):
        raise DeliveryNotChangeable()


# --- The resident's request ------------------------------------------------------------------

# Full-width digits, Latin letters and the signs used in house numbers, as a Chinese input
# method types them in 全角 mode, read as their ASCII characters ("１２号" is "12号"); Chinese
# punctuation such as "，" and "（" is left as typed, being ordinary in a Chinese address.
_FULL_WIDTH_FOLD = {
    **{code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)},  # ０-９
    **{code: code - 0xFEE0 for code in range(0xFF21, 0xFF3B)},  # Ａ-Ｚ
    **{code: code - 0xFEE0 for code in range(0xFF41, 0xFF5B)},  # ａ-ｚ
    0xFF0D: ord("-"),  # －
    0xFF03: ord("#"),  # ＃
    0xFF0F: ord("/"),  # ／
    0xFF0E: ord("."),  # ．
    0x3000: ord(" "),  # ideographic space
}


def fold_full_width(text: str) -> str:
    """`text` with the full-width forms of digits, letters and house-number signs folded to
    ASCII, so one address has one spelling whichever mode the keyboard was in."""
    return text.translate(_FULL_WIDTH_FOLD)


@dataclass(frozen=True)
class DeliveryChoice:
    """A cleaned request: the method, and the postal address when it is "post" (else "")."""

    method: str
    postal_address: str


def _current(application: PermitApplication) -> DeliveryChoice:
    """What the resident has asked for last: a pending request, or the application's own."""
    pending = (
        application.delivery_changes.filter(outcome=DeliveryChangeOutcome.PENDING)
        .order_by("-requested_at", "-id")
        .first()
    )
    if pending is not None:
        return DeliveryChoice(pending.method, pending.postal_address)
    address = application.postal_address if application.delivery == "post" else ""
    return DeliveryChoice(application.delivery, address)


def permit_delivery_change_clean(
    *, data: Mapping[str, Any], current: DeliveryChoice | None = None, today: dt.date | None = None
) -> DeliveryChoice:
    """The typed method (`delivery`) and `postal_address` checked as the application form checks
    them (the same validator), full-width forms folded; the address is required for post and
    dropped for pickup. Every problem at once as `DeliveryChangeInvalid`; a request equal to
    `current` is refused too, since it would change nothing."""
    today = today or timezone.localdate()
    errors: list[FieldError] = []
    method = clean_field("delivery", data.get("delivery"), today=today, errors=errors)
    if not errors and not method:
        errors.append(
            FieldError("delivery", "required", "请选择领取方式", "Choose how to receive the card")
        )
    address = ""
    if method == "post":
        raw = fold_full_width(str(data.get("postal_address") or ""))
        address_errors: list[FieldError] = []
        address = clean_field("postal_address", raw, today=today, errors=address_errors)
        if address_errors:
            errors.extend(address_errors)
        elif not address:
            errors.append(
                FieldError(
                    "postal_address",
                    "required",
                    "选择邮寄时请填写邮寄地址",
                    "Give the postal address to have the card posted",
                )
            )
        elif len(address) < MIN_ADDRESS_LENGTH:
            errors.append(
                FieldError(
                    "postal_address",
                    "too_short",
                    f"邮寄地址至少{MIN_ADDRESS_LENGTH}个字，请填写区、街道、门牌号等完整地址",
                    f"The postal address has at least {MIN_ADDRESS_LENGTH} characters; give "
                    "the district, street and house number",
                )
            )
    if errors:
        raise DeliveryChangeInvalid(errors)
    choice = DeliveryChoice(str(method), str(address))
    if current is not None and choice == current:
        raise DeliveryChangeInvalid(
            [
                FieldError(
                    "delivery",
                    "unchanged",
                    "领取方式和邮寄地址与现在相同，无需变更",
                    "The delivery method and address are the same as now; nothing to change",
                )
            ]
        )
    return choice


def permit_delivery_change_request(
    *,
    resident: Resident,
    reference: str,
    data: Mapping[str, Any],
    channel: str = "web",
    today: dt.date | None = None,
) -> PermitDeliveryChange:
    """Ask the station to change how the card reaches the resident (PI-2): checked (allowed at
    this stage, the typed fields), limited to `MAX_CHANGES_PER_DAY` per application, then
    recorded and sent as `permit.delivery_address_changed` in one transaction. Refused input
    and a refused stage change nothing and do not count against the limit."""
    application = permit_application_of_resident(resident=resident, reference=reference)
    permit_delivery_check_can_change(application=application)
    choice = permit_delivery_change_clean(data=data, current=_current(application), today=today)
    rate_limit_hit(
        key=f"permit-delivery-change:{application.reference}",
        limit=MAX_CHANGES_PER_DAY,
        window_seconds=CHANGE_WINDOW_SECONDS,
        message_zh="领取方式变更过于频繁，请{seconds}秒后再试",
        message_en="Too many delivery changes; try again in {seconds} seconds",
    )
    now = timezone.now()
    with atomic_for(PermitApplication, durable=True):
        locked = PermitApplication.objects.select_for_update().get(pk=application.pk)
        permit_delivery_check_can_change(application=locked)
        request = PermitDeliveryChange.objects.create(
            application=locked,
            request_id=uuid.uuid4().hex,
            method=choice.method,
            postal_address=choice.postal_address,
            channel=channel,
            requested_at=now,
        )
        emit(
            zone="portal",
            message=PermitDeliveryAddressChangeV1(
                reference=locked.reference,
                request_id=request.request_id,
                method=choice.method,  # type: ignore[arg-type]
                postal_address=choice.postal_address,
                requested_at=now,
            ),
            aggregate_id=locked.reference,
            correlation_id=locked.reference,
            actor=f"resident:{resident.pk}",
            purpose=PURPOSE,
        )
    logger.info(
        "permit-delivery change requested reference=%s request_id=%s",
        application.reference,
        request.request_id,
    )
    return request


# --- What the resident sees ------------------------------------------------------------------


@dataclass(frozen=True)
class TrackingEvent:
    at: dt.datetime
    status: str
    label: Any
    detail: str


@dataclass(frozen=True)
class DeliveryView:
    """The card's way to the resident as the page and the API show it. `delivery` is None
    before the first snapshot; `method` is the one in force (the snapshot's, else the
    application's); `events` newest first; `pending` the request awaiting the station."""

    delivery: PermitDelivery | None
    method: str
    method_label: Any
    postal_address: str
    stage: str
    stage_label: Any
    station_name: str
    courier: str
    tracking_number: str
    reason: str
    events: list[TrackingEvent]
    pending: PermitDeliveryChange | None
    last_answer: PermitDeliveryChange | None
    can_change: bool


def _events(delivery: PermitDelivery) -> list[TrackingEvent]:
    rows = []
    for raw in delivery.events or []:
        event = TrackingEventV1.model_validate(raw)
        rows.append(
            TrackingEvent(
                at=event.at,
                status=event.status,
                label=TRACKING_STATUS_LABELS[event.status],
                detail=event.detail,
            )
        )
    return sorted(rows, key=lambda e: e.at, reverse=True)


def _stage_before_snapshot(application: PermitApplication) -> str:
    """The stage the application's own status implies while no snapshot has crossed."""
    if application.status == "in_production":
        return "in_production"
    if application.status == "ready":
        return "awaiting_courier" if application.delivery == "post" else "ready_for_pickup"
    return "waiting_production"


def permit_delivery_view(*, application: PermitApplication) -> DeliveryView | None:
    """The delivery section of one application, or None while it has nothing to show: no
    snapshot yet and no card being made (a draft, a case under review, an endorsement)."""
    delivery = PermitDelivery.objects.filter(application=application).first()
    if delivery is None and (
        application.kind in CARDLESS_KINDS or application.status not in CHANGEABLE_STATUSES
    ):
        return None
    changes = list(application.delivery_changes.order_by("requested_at", "id"))
    pending = next(
        (c for c in reversed(changes) if c.outcome == DeliveryChangeOutcome.PENDING), None
    )
    answered = [c for c in changes if c.outcome != DeliveryChangeOutcome.PENDING]
    stage = delivery.stage if delivery is not None else _stage_before_snapshot(application)
    method = delivery.method if delivery is not None else application.delivery
    return DeliveryView(
        delivery=delivery,
        method=method,
        method_label=DELIVERY_METHOD_LABELS.get(method, ""),
        postal_address=application.postal_address if method == "post" else "",
        stage=stage,
        stage_label=DELIVERY_STAGE_LABELS[stage],
        station_name=(delivery.station_name if delivery else "") or application.station_name,
        courier=delivery.courier if delivery else "",
        tracking_number=delivery.tracking_number if delivery else "",
        reason=delivery.reason if delivery else "",
        events=_events(delivery) if delivery is not None else [],
        pending=pending,
        last_answer=answered[-1] if answered and pending is None else None,
        can_change=permit_delivery_can_change(application=application, delivery=delivery),
    )


__all__ = [
    "CHANGEABLE_STAGES",
    "CHANGEABLE_STATUSES",
    "MAX_CHANGES_PER_DAY",
    "TRACKING_STATUS_LABELS",
    "DeliveryChoice",
    "DeliveryView",
    "TrackingEvent",
    "fold_full_width",
    "permit_delivery_apply",
    "permit_delivery_can_change",
    "permit_delivery_change_clean",
    "permit_delivery_change_request",
    "permit_delivery_check_can_change",
    "permit_delivery_view",
]

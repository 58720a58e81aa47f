"""The card between issue and the resident's hands (制证, 领取, 邮寄): NAT-3, WF-2, WF-3, PI-2.

The police zone owns production batches, shipments and the courier; the portal mirrors where the
card is so the resident sees it, sends the SMS, and lets the resident change the delivery address
while the card has not yet left the station.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.utils.translation import gettext_lazy
from pydantic import BaseModel, ConfigDict, Field

from .base import Contract, register
from .declarations import check_vocabularies

# Where the card is, as the resident is told (the WF-2 states after APPROVED, refined).
DeliveryStage = Literal[
    "waiting_production",  # approved, waiting for the station's next production batch
    "in_production",  # the batch is with the card-printing bureau
    "ready_for_pickup",  # at the station; collect it with the ID card or the pickup code
    "awaiting_courier",  # at the station for posting; the courier order is being placed
    "shipped",  # the courier has the order (tracking number known)
    "in_transit",
    "out_for_delivery",
    "failed_attempt",  # the courier could not deliver and will try again
    "delivered",  # 已签收: final
    "collected",  # handed over at the window: final
]
DELIVERY_STAGE_LABELS: dict[str, str] = {
    "waiting_production": gettext_lazy("待制证"),
    "in_production": gettext_lazy("制证中"),
    "ready_for_pickup": gettext_lazy("待领取"),
    "awaiting_courier": gettext_lazy("待寄出"),
    "shipped": gettext_lazy("已寄出"),
    "in_transit": gettext_lazy("运输中"),
    "out_for_delivery": gettext_lazy("派送中"),
    "failed_attempt": gettext_lazy("投递未成功"),
    "delivered": gettext_lazy("已签收"),
    "collected": gettext_lazy("已领取"),
}

# What just happened: the portal chooses the resident's SMS by it, and sends at most one per
# (reference, sequence). Only these send an SMS: ready, shipped, delivered, returned,
# production_failed, pickup_reminder, address_change_refused.
DeliveryChange = Literal[
    "production_started",
    "production_failed",  # the bureau could not print the card; it is made again
    "ready",  # ready for pickup (with the pickup code)
    "shipped",  # handed to the courier (with the tracking number)
    "courier_update",  # picked up, in transit, out for delivery, failed attempt
    "delivered",
    "returned",  # returned to sender: the card waits at the station for pickup (with a code)
    "collected",
    "pickup_reminder",  # still not collected after the set number of days
    "address_changed",  # the resident's change of address or method was applied
    "address_change_refused",  # too late: the card had already left
]
DELIVERY_CHANGE_LABELS: dict[str, str] = {
    "production_started": gettext_lazy("开始制证"),
    "production_failed": gettext_lazy("制证失败，重新制作"),
    "ready": gettext_lazy("证件已到所，待领取"),
    "shipped": gettext_lazy("已交快递寄出"),
    "courier_update": gettext_lazy("快递状态更新"),
    "delivered": gettext_lazy("已签收"),
    "returned": gettext_lazy("快递退回，改为窗口领取"),
    "collected": gettext_lazy("已在窗口领取"),
    "pickup_reminder": gettext_lazy("领证提醒"),
    "address_changed": gettext_lazy("收件地址已变更"),
    "address_change_refused": gettext_lazy("证件已寄出，地址无法变更"),
}
DeliveryMethod = Literal["pickup", "post"]
# What the courier reported, as the resident's tracking list names it.
TrackingStatus = Literal[
    "picked_up",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "failed_attempt",
    "returned_to_sender",
]
TRACKING_STATUS_LABELS: dict[str, str] = {
    "picked_up": gettext_lazy("快递已揽收"),
    "in_transit": gettext_lazy("运输中"),
    "out_for_delivery": gettext_lazy("派送中"),
    "delivered": gettext_lazy("已签收"),
    "failed_attempt": gettext_lazy("投递未成功，将再次派送"),
    "returned_to_sender": gettext_lazy("已退回派出所"),
}

check_vocabularies(
    (DeliveryStage, DELIVERY_STAGE_LABELS),
    (DeliveryChange, DELIVERY_CHANGE_LABELS),
    (TrackingStatus, TRACKING_STATUS_LABELS),
)


class TrackingEventV1(BaseModel):
    """One courier event as the resident sees it on the tracking list."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: dt.datetime
    status: TrackingStatus
    detail: str = Field(default="", max_length=200)


@register
class PermitDeliveryChangedV1(Contract):
    """Where the card of one application is now, as a snapshot: `sequence` counts the delivery
    changes of the case, and the portal keeps only a newer snapshot, so a late or repeated
    message never moves the resident's page back. `phone` is where the SMS goes.

    `pickup_code` (6 digits) travels only with `ready`, `returned` and `pickup_reminder`: the
    portal puts it in the SMS and keeps it nowhere; the police zone keeps only its hash. The
    postal address is not repeated: the portal has it from the resident (PI-2)."""

    message_type = "permit.delivery_changed"
    version = 1
    aggregate_type = "permit_application"

    reference: str = Field(max_length=32)
    sequence: int = Field(ge=1, le=1_000_000)
    change: DeliveryChange
    stage: DeliveryStage
    method: DeliveryMethod
    phone: str = Field(min_length=11, max_length=11)
    station_code: str = Field(default="", max_length=20)
    station_name: str = Field(default="", max_length=100)
    pickup_code: str = Field(default="", pattern=r"^([0-9]{6})?$")
    courier: str = Field(default="", max_length=40)
    tracking_number: str = Field(default="", max_length=40)
    events: list[TrackingEventV1] = Field(default_factory=list, max_length=50)
    reason: str = Field(default="", max_length=300)
    changed_at: dt.datetime


@register
class PermitDeliveryAddressChangeV1(Contract):
    """The resident asks to change how the card reaches them while it has not left the station:
    a new postal address, or a switch between pickup and post. `request_id` makes a repeat
    harmless; the police zone answers with `permit.delivery_changed` (`address_changed`, or
    `address_change_refused` once the courier has the card)."""

    message_type = "permit.delivery_address_changed"
    version = 1
    aggregate_type = "permit_application"

    reference: str = Field(max_length=32)
    request_id: str = Field(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")
    method: DeliveryMethod
    postal_address: str = Field(default="", max_length=200)
    requested_at: dt.datetime

"""The card between the station and the resident's hands (WF-2 after READY; DESIGN §3).

`CaseDelivery` holds per case what the delivery track counts and must not store in clear: the
sequence of the `permit.delivery_changed` snapshots and the hash of the current pickup code.
A `Shipment` is one courier order; its `ShipmentEvent`s are the courier's callbacks, each kept
once by the courier's event id so a repeated callback changes nothing.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CaseDelivery(models.Model):
    """Per case: the delivery snapshot counter and the pickup code (hash only)."""

    case = models.OneToOneField(
        "police_permits.PermitCase", on_delete=models.PROTECT, related_name="delivery_record"
    )
    # The last `sequence` sent in `permit.delivery_changed` for this case.
    sequence = models.PositiveIntegerField(default=0)
    # Keyed hash of the current 6-digit pickup code (`common/crypto.py::lookup_hash`); the code
    # itself travels once, in the message that puts it in the resident's SMS.
    pickup_code_hash = models.CharField(max_length=64, blank=True, default="")
    pickup_code_issued_at = models.DateTimeField(null=True, blank=True)
    reminder_count = models.PositiveIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("证件送达记录")
        verbose_name_plural = _("证件送达记录")

    def __str__(self) -> str:
        return f"{self.case_id}#{self.sequence}"


class ShipmentStatus(models.TextChoices):
    """A courier order's way. `pending` until the courier has accepted it (the order is placed
    from a row locked in this status only, so a replay never books twice); `cancelled` when the
    resident switched to pickup before it was placed."""

    PENDING = "pending", _("待下单")
    CREATED = "created", _("已下单")
    PICKED_UP = "picked_up", _("已揽收")
    IN_TRANSIT = "in_transit", _("运输中")
    OUT_FOR_DELIVERY = "out_for_delivery", _("派送中")
    FAILED_ATTEMPT = "failed_attempt", _("投递未成功")
    DELIVERED = "delivered", _("已签收")
    RETURNED = "returned", _("已退回")
    CANCELLED = "cancelled", _("已取消")


# Statuses after which the courier has nothing more of the card: no further order on this row.
CLOSED_STATUSES = (ShipmentStatus.RETURNED, ShipmentStatus.CANCELLED)


class Shipment(models.Model):
    """One courier order for one case's card. At most one open (neither returned nor
    cancelled) per case, enforced by the database."""

    case = models.ForeignKey(
        "police_permits.PermitCase", on_delete=models.PROTECT, related_name="shipments"
    )
    # Our idempotency key at the courier: retrying a create with it books nothing new.
    client_ref = models.CharField(max_length=64, unique=True)
    tracking_number = models.CharField(max_length=40, unique=True, null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True, default="")
    # When placing the order had failed for longer than ONETRIP_COURIER_ALARM_SECONDS.
    alarmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=~Q(status__in=["returned", "cancelled"]),
                name="police_delivery_one_open_shipment_per_case",
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name = _("寄件单")
        verbose_name_plural = _("寄件单")

    def __str__(self) -> str:
        return self.client_ref


class ShipmentEvent(models.Model):
    """One courier status callback, kept once per courier `event_id` (idempotency)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="events")
    event_id = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=20)
    at = models.DateTimeField()
    detail = models.CharField(max_length=500, blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.event_id


class AddressChangeRequest(models.Model):
    """A resident's change of delivery already answered, by its `request_id`, so a repeated
    ferry message is answered once."""

    request_id = models.CharField(max_length=32, unique=True)
    case = models.ForeignKey(
        "police_permits.PermitCase", on_delete=models.PROTECT, related_name="+"
    )
    applied = models.BooleanField()
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.request_id

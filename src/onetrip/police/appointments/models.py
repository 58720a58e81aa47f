"""Bookings at the station (预约办): what the portal tells the station about each booking, and
what the window marks on the day (arrived, or not come).

The portal owns the booking and enforces capacity; this is the station's copy for its list of
the day's appointments, with as little personal data as greeting the resident needs (PI-2): the
name, encrypted at rest, and the phone already masked by the portal.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onetrip.common.fields import EncryptedTextField
from onetrip.contracts.booking import (
    BOOKING_SERVICE_LABELS,
    BOOKING_STATUS_LABELS,
    CANCEL_REASON_LABELS,
)


class AppointmentStatus(models.TextChoices):
    """The contract's booking statuses, labelled by it (`check_statuses` keeps them in step)."""

    BOOKED = "booked", BOOKING_STATUS_LABELS["booked"]
    CANCELLED = "cancelled", BOOKING_STATUS_LABELS["cancelled"]
    CHECKED_IN = "checked_in", BOOKING_STATUS_LABELS["checked_in"]
    NO_SHOW = "no_show", BOOKING_STATUS_LABELS["no_show"]


def check_statuses() -> None:
    """Fail at start-up, not at the window, if the contract's statuses change."""
    if set(AppointmentStatus.values) != set(BOOKING_STATUS_LABELS):
        raise ImportError(f"appointment statuses differ from {list(BOOKING_STATUS_LABELS)}")


check_statuses()

SERVICE_CHOICES = list(BOOKING_SERVICE_LABELS.items())
CANCEL_REASON_CHOICES = list(CANCEL_REASON_LABELS.items())


class Appointment(models.Model):
    """One booking of one resident at one window, under the portal's booking reference."""

    reference = models.CharField(max_length=32, unique=True)
    window = models.ForeignKey(
        "police_stations.Window", on_delete=models.PROTECT, related_name="appointments"
    )
    # The window's station when the booking arrived or moved: the scope of the day's list.
    station = models.ForeignKey(
        "police_stations.Station", on_delete=models.PROTECT, related_name="appointments"
    )
    service = models.CharField(max_length=24, choices=SERVICE_CHOICES)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    name = EncryptedTextField()
    phone_masked = models.CharField(max_length=20)
    application_reference = models.CharField(max_length=32, blank=True, default="")
    booked_at = models.DateTimeField()
    received_at = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    cancel_reason = models.CharField(
        max_length=16, choices=CANCEL_REASON_CHOICES, blank=True, default=""
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)
    marked_at = models.DateTimeField(null=True, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["station", "starts_at"])]
        verbose_name = _("窗口预约")
        verbose_name_plural = _("窗口预约")

    def __str__(self) -> str:
        return self.reference

"""Bookings of the one visit (预约办) and the counters that keep them within capacity (DESIGN §7).

Capacity lives in the database, never in a process: a `SlotCounter` row per (window, slot start)
and a `DayCounter` row per (window, day), created on demand, are taken with one conditional
`UPDATE … SET taken = taken + 1 WHERE taken < capacity` in the same transaction as the booking
row, so two servers can never overbook a slot or the day's online quota. A hold is a booking
row in `held` status that counts against both counters until it is confirmed, released or
expires; a partial unique index lets a person have one active booking per service.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from onetrip.common.fields import EncryptedTextField
from onetrip.contracts.booking import BOOKING_SERVICE_LABELS, CANCEL_REASON_LABELS


def _choices(name: str, labels: dict[str, Any]) -> type[models.TextChoices]:
    """Django choices from a contract's code list and labels (one source, conventions §4)."""
    return models.TextChoices(  # type: ignore[call-overload,no-any-return]
        name, [(code.upper(), (code, label)) for code, label in labels.items()]
    )


BookingService = _choices("BookingService", BOOKING_SERVICE_LABELS)
CancelReason = _choices("CancelReason", CANCEL_REASON_LABELS)


class BookingStatus(models.TextChoices):
    """The contract's statuses (booked, cancelled, checked_in, no_show) and the portal's own
    `held` (a seat kept while the resident confirms) and `expired` (a hold let go)."""

    HELD = "held", "held"
    BOOKED = "booked", "booked"
    CANCELLED = "cancelled", "cancelled"
    EXPIRED = "expired", "expired"
    CHECKED_IN = "checked_in", "checked_in"
    NO_SHOW = "no_show", "no_show"


# Statuses that take a seat and count as the person's one booking for the service.
ACTIVE_STATUSES = (BookingStatus.HELD, BookingStatus.BOOKED)


class SlotCounter(models.Model):
    """Seats taken (held or booked) in one slot of one window. The capacity is the calendar's
    `counters_per_slot`, given to the conditional UPDATE; `taken` never goes below zero."""

    window = models.ForeignKey(
        "portal_windows.Window", on_delete=models.CASCADE, related_name="slot_counters"
    )
    starts_at = models.DateTimeField()
    taken = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["window", "starts_at"], name="booking_one_slot_row"),
            models.CheckConstraint(
                condition=models.Q(taken__gte=0), name="booking_slot_taken_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.window_id} {self.starts_at:%Y-%m-%d %H:%M} {self.taken}"


class DayCounter(models.Model):
    """Seats taken online on one day of one window, against `online_quota_per_day`."""

    window = models.ForeignKey(
        "portal_windows.Window", on_delete=models.CASCADE, related_name="day_counters"
    )
    day = models.DateField()
    taken = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["window", "day"], name="booking_one_day_row"),
            models.CheckConstraint(
                condition=models.Q(taken__gte=0), name="booking_day_taken_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.window_id} {self.day} {self.taken}"


class Booking(models.Model):
    """One resident's booking of one slot at one window, from the hold to the visit.

    `person_key` says whose booking it is for the one-per-service rule: the applicant's ID hash
    when it is for a permit application, else the resident's account. `name` is what the
    window greets the resident by (PI-2: no more)."""

    reference = models.CharField(max_length=32, unique=True)
    resident = models.ForeignKey(
        "portal_accounts.Resident", on_delete=models.PROTECT, related_name="bookings"
    )
    application = models.ForeignKey(
        "portal_permits.PermitApplication",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bookings",
    )
    window = models.ForeignKey(
        "portal_windows.Window", on_delete=models.PROTECT, related_name="bookings"
    )
    service = models.CharField(max_length=30, choices=BookingService.choices)
    person_key = models.CharField(max_length=80)
    name = EncryptedTextField(blank=True, default="")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    day = models.DateField()  # the local (Asia/Shanghai) day of `starts_at`
    status = models.CharField(max_length=20, choices=BookingStatus.choices)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    # A hold offered to the waitlist rather than chosen by the resident.
    from_waitlist = models.BooleanField(default=False)
    channel = models.CharField(max_length=20, default="web")
    cancel_reason = models.CharField(
        max_length=20, choices=CancelReason.choices, blank=True, default=""
    )
    created_at = models.DateTimeField(default=timezone.now)
    booked_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attended_at = models.DateTimeField(null=True, blank=True)
    # The start the day-before reminder was queued for (a rescheduled booking gets another).
    reminded_for = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person_key", "service"],
                condition=models.Q(status__in=["held", "booked"]),
                name="booking_one_active_per_person_service",
            )
        ]
        indexes = [
            models.Index(fields=["window", "status", "starts_at"], name="booking_window_idx"),
            models.Index(fields=["status", "hold_expires_at"], name="booking_hold_idx"),
            models.Index(fields=["resident", "-created_at"], name="booking_resident_idx"),
        ]

    def __str__(self) -> str:
        return self.reference


class BookingEvent(models.Model):
    """One line of a booking's history (who did what, from when to when); written once."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30)
    starts_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True, default="")
    actor = models.CharField(max_length=60)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.booking_id} {self.action}"


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "waiting"
    OFFERED = "offered", "offered"
    ACCEPTED = "accepted", "accepted"
    LAPSED = "lapsed", "lapsed"  # an offer not taken in time
    SKIPPED = "skipped", "skipped"  # could not be offered (already booked for the service)
    LEFT = "left", "left"


class WaitlistEntry(models.Model):
    """A resident waiting for a seat on a full day of a window; first come, first offered."""

    window = models.ForeignKey(
        "portal_windows.Window", on_delete=models.CASCADE, related_name="waitlist"
    )
    day = models.DateField()
    service = models.CharField(max_length=30, choices=BookingService.choices)
    resident = models.ForeignKey(
        "portal_accounts.Resident", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    application = models.ForeignKey(
        "portal_permits.PermitApplication", on_delete=models.CASCADE, null=True, blank=True
    )
    person_key = models.CharField(max_length=80)
    name = EncryptedTextField(blank=True, default="")
    status = models.CharField(
        max_length=20, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    offer = models.ForeignKey(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    offers_made = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person_key", "service", "window", "day"],
                condition=models.Q(status__in=["waiting", "offered"]),
                name="booking_one_waitlist_entry",
            )
        ]
        indexes = [
            models.Index(fields=["window", "day", "status", "created_at"], name="waitlist_idx")
        ]

    def __str__(self) -> str:
        return f"waitlist {self.window_id} {self.day} {self.status}"


class CaptchaUse(models.Model):
    """A solved challenge's nonce, so one answer cannot be replayed."""

    nonce = models.CharField(max_length=32, primary_key=True)
    used_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.nonce

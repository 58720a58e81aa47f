"""Ferry messages the portal applies for bookings: the window's word on attendance, and the
station's refusal of a booking."""

from __future__ import annotations

from onetrip.contracts.base import Contract
from onetrip.contracts.booking import BookingAttendanceV1, BookingMadeV1
from onetrip.ferry.agent.handlers import (
    BusinessReject,
    Envelope,
    register_handler,
    register_reject_handler,
)

from .models import Booking
from .services import booking_attendance_apply, booking_mark_refused


@register_handler(zone="portal", message_type="booking.attendance")
def on_booking_attendance(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, BookingAttendanceV1)
    try:
        booking_attendance_apply(message=message)
    except Booking.DoesNotExist as exc:
        raise BookingNotKnown(message.reference) from exc


class BookingNotKnown(BusinessReject):
    def __init__(self, reference: str) -> None:
        super().__init__(f"unknown booking {reference}")


@register_reject_handler(zone="portal", message_type="booking.made")
def on_booking_made_rejected(envelope: Envelope, message: Contract, reason: str) -> None:
    """The station refused the booking: tell the resident, give the seat back."""
    assert isinstance(message, BookingMadeV1)
    booking_mark_refused(reference=message.reference)

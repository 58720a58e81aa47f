"""Ferry messages the portal applies for bookings: the window's word on attendance."""

from __future__ import annotations

from onetrip.contracts.base import Contract
from onetrip.contracts.booking import BookingAttendanceV1
from onetrip.ferry.agent.handlers import BusinessReject, Envelope, register_handler

from .models import Booking
from .services import booking_attendance_apply


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

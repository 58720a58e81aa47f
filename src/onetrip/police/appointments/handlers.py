"""Ferry messages the police zone applies for bookings at its windows."""

from __future__ import annotations

from onetrip.contracts.base import Contract
from onetrip.contracts.booking import BookingCancelledV1, BookingChangedV1, BookingMadeV1
from onetrip.ferry.agent.handlers import Envelope, register_handler

from .services import (
    appointment_receive,
    appointment_receive_cancellation,
    appointment_receive_change,
)


@register_handler(zone="police", message_type="booking.made")
def on_booking_made(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, BookingMadeV1)
    appointment_receive(message=message)


@register_handler(zone="police", message_type="booking.changed")
def on_booking_changed(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, BookingChangedV1)
    appointment_receive_change(message=message)


@register_handler(zone="police", message_type="booking.cancelled")
def on_booking_cancelled(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, BookingCancelledV1)
    appointment_receive_cancellation(message=message)

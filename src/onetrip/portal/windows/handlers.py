"""Ferry messages the portal applies for the window directory."""

from __future__ import annotations

from onetrip.contracts.base import Contract
from onetrip.contracts.booking import WindowCalendarV1, WindowPublishedV1
from onetrip.ferry.agent.handlers import Envelope, register_handler
from onetrip.portal.booking.services import booking_calendar_changed

from .services import window_calendar_apply, window_published_apply


@register_handler(zone="portal", message_type="window.published")
def on_window_published(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, WindowPublishedV1)
    window = window_published_apply(message=message)
    if window is not None and not window.active:
        # A window taken out of service: its bookings are cancelled and the residents told.
        booking_calendar_changed(window=window)


@register_handler(zone="portal", message_type="window.calendar")
def on_window_calendar(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, WindowCalendarV1)
    calendar = window_calendar_apply(message=message)
    if calendar is not None:
        # Bookings that no longer fit the new calendar are moved or cancelled, in this same
        # apply transaction.
        booking_calendar_changed(window=calendar.window)

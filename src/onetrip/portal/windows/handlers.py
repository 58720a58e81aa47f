"""Ferry messages the portal applies for the window directory."""

from __future__ import annotations

from onetrip.contracts.base import Contract
from onetrip.contracts.booking import WindowCalendarV1, WindowPublishedV1
from onetrip.ferry.agent.handlers import Envelope, register_handler

from .services import window_calendar_apply, window_published_apply


@register_handler(zone="portal", message_type="window.published")
def on_window_published(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, WindowPublishedV1)
    window_published_apply(message=message)


@register_handler(zone="portal", message_type="window.calendar")
def on_window_calendar(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, WindowCalendarV1)
    window_calendar_apply(message=message)

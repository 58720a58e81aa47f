"""Keep the portal's copy of the window directory and calendars (police zone → portal)."""

from __future__ import annotations

from onetrip.common.db import atomic_for
from onetrip.contracts.booking import WindowCalendarV1, WindowPublishedV1

from .models import Window, WindowCalendar


def window_published_apply(*, message: WindowPublishedV1) -> Window | None:
    """Take a newer snapshot of one window; an older one arriving late changes nothing.
    Runs inside the ferry's apply transaction. Returns the window when it changed."""
    fields = message.model_dump(exclude={"as_of"})
    with atomic_for(Window):
        window = Window.objects.select_for_update().filter(code=message.code).first()
        if window is None:
            return Window.objects.create(**fields, as_of=message.as_of)
        if window.as_of >= message.as_of:
            return None
        for name, value in fields.items():
            setattr(window, name, value)
        window.as_of = message.as_of
        window.save()
        return window


def window_calendar_apply(*, message: WindowCalendarV1) -> WindowCalendar | None:
    """Take a newer calendar of one window (the window must be known; the police zone publishes
    the window before its calendar). Returns the calendar when it changed, so the booking side
    can move what no longer fits."""
    window = Window.objects.filter(code=message.window_code).first()
    if window is None:
        return None
    data = message.model_dump(mode="json", exclude={"window_code", "as_of"})
    with atomic_for(WindowCalendar):
        calendar = WindowCalendar.objects.select_for_update().filter(window=window).first()
        if calendar is None:
            return WindowCalendar.objects.create(window=window, **data, as_of=message.as_of)
        if calendar.as_of >= message.as_of:
            return None
        for name, value in data.items():
            setattr(calendar, name, value)
        calendar.as_of = message.as_of
        calendar.save()
        return calendar

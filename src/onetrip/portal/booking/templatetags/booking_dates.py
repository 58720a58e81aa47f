"""Template filters for a booking's days and times in the active language (`dates`), so the
templates never spell a date format of their own."""

from __future__ import annotations

import datetime as dt

from django import template

from onetrip.portal.booking import dates

register = template.Library()


@register.filter
def booking_date(day: dt.date | None) -> str:
    """ "12月3日"; in English "3 Dec"."""
    return dates.date_text(day) if day else ""


@register.filter
def booking_day(day: dt.date | None) -> str:
    """ "12月3日 周四"; in English "Thu 3 Dec"."""
    return dates.day_text(day) if day else ""


@register.filter
def booking_moment(at: dt.datetime | None) -> str:
    """ "12月3日 09:30"; in English "3 Dec 09:30"."""
    return dates.moment_text(at) if at else ""

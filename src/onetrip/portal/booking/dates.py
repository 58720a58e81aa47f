"""How a booking's day and time read, in the active language.

Chinese reads as it always has: "12月3日（周四）09:30-09:50", the days as "12月3日 周四". Every
other language takes the arrangement, the date format and the weekday names from its catalogue:
the format strings are messages (`pgettext`, the date in Django's date-format syntax), so a
translator sets the order and the punctuation ("Thu 3 Dec, 09:30–09:50") and no code asks which
language is active. A slot's wall-clock time is always the window's (Asia/Shanghai).

SMS go to a mainland phone and are always Chinese; they take their times from `sms.sms_when`.
"""

from __future__ import annotations

import datetime as dt

from django.utils import dateformat
from django.utils.translation import pgettext, pgettext_lazy

from .calendar import local

WEEKDAYS = (
    pgettext_lazy("weekday, short", "周一"),
    pgettext_lazy("weekday, short", "周二"),
    pgettext_lazy("weekday, short", "周三"),
    pgettext_lazy("weekday, short", "周四"),
    pgettext_lazy("weekday, short", "周五"),
    pgettext_lazy("weekday, short", "周六"),
    pgettext_lazy("weekday, short", "周日"),
)


def weekday_name(day: dt.date) -> str:
    """ "周四"; in English "Thu"."""
    return str(WEEKDAYS[day.weekday()])


def date_text(day: dt.date) -> str:
    """A day without its weekday: "12月3日"; in English "3 Dec"."""
    # Translators: a Django date format (n month, j day, M month abbreviation, D weekday);
    # English "j M" gives "3 Dec".
    return dateformat.format(day, pgettext("booking date format", "n月j日"))


def day_text(day: dt.date) -> str:
    """A day of the slot listing: "12月3日 周四"; in English "Thu 3 Dec"."""
    return pgettext("booking day: date and weekday", "%(date)s %(weekday)s") % {
        "date": date_text(day),
        "weekday": weekday_name(day),
    }


def time_range(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    """A slot's times: "09:30-09:50"; in English "09:30–09:50"."""
    return pgettext("booking slot: start and end time", "%(start)s-%(end)s") % {
        "start": f"{local(starts_at):%H:%M}",
        "end": f"{local(ends_at):%H:%M}",
    }


def when_text(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    """A booking's slot: "12月3日（周四）09:30-09:50"; in English "Thu 3 Dec, 09:30–09:50"."""
    day = local(starts_at).date()
    return pgettext("booking slot: date, weekday and times", "%(date)s（%(weekday)s）%(times)s") % {
        "date": date_text(day),
        "weekday": weekday_name(day),
        "times": time_range(starts_at, ends_at),
    }


def moment_text(at: dt.datetime) -> str:
    """A slot's start: "12月3日 09:30"; in English "3 Dec 09:30"."""
    return pgettext("booking: date and time", "%(date)s %(time)s") % {
        "date": date_text(local(at).date()),
        "time": f"{local(at):%H:%M}",
    }

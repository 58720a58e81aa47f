"""The English catalogue's entries for the booking's date, time and punctuation formats.

They are messages like any other (`portal/booking/dates.py`, the templates' `context` strings),
so they reach `locale/en` when the translator next runs makemessages; until then the fixture
puts the intended English beside the compiled catalogue for the test's duration. An entry the
real catalogue already has wins, so once translated these tests check the real thing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils.translation import trans_real

# (context, msgid) → the English
ENGLISH: dict[tuple[str, str], str] = {
    ("booking date format", "n月j日"): "j M",
    ("booking day: date and weekday", "%(date)s %(weekday)s"): "%(weekday)s %(date)s",
    ("booking slot: start and end time", "%(start)s-%(end)s"): "%(start)s–%(end)s",
    (
        "booking slot: date, weekday and times",
        "%(date)s（%(weekday)s）%(times)s",
    ): "%(weekday)s %(date)s, %(times)s",
    ("booking: date and time", "%(date)s %(time)s"): "%(date)s %(time)s",
    ("booking status: why it was cancelled", "（%(reason)s）"): " (%(reason)s)",
    (
        "booking history: what happened, for which slot",
        "%(what)s（%(when)s）",
    ): "%(what)s (%(when)s)",
    ("between the items of a list", "、"): ", ",
    ("window hours: why it is closed", "（%(reason)s）"): " (%(reason)s)",
    ("map: a window's name and address", "%(name)s，%(address)s"): "%(name)s, %(address)s",
    **{
        ("weekday, short", zh): en
        for zh, en in zip(
            ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
            ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
            strict=True,
        )
    },
}


@pytest.fixture
def english_formats() -> Iterator[None]:
    catalog = trans_real.translation("en")._catalog
    added = []
    for (context, msgid), english in ENGLISH.items():
        key = f"{context}\x04{msgid}"
        if catalog.get(key) is None:
            catalog[key] = english
            added.append(key)
    yield
    for key in added:
        catalog._catalogs[0].pop(key, None)

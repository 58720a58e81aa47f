"""The window page and the map in English: the list of services, a closure's reason and a
window's name with its address are joined with English punctuation; only the data (names,
addresses, the hours text, the reason the station typed, the divisions' names) stay as they
were entered."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from onetrip.contracts.booking import ClosureV1
from tests.portal.booking.english import english_formats  # noqa: F401  (fixture used by name)

from .helpers import BEISHAN, WINDOWS, publish, publish_calendar

pytestmark = pytest.mark.django_db(databases=["default", "police"])

FULL_WIDTH = re.compile(r"[\u3000-\u303f\uff00-\uffef]")
REASON = "系统升级"


def outside_data(html: str) -> str:
    html = re.sub(r"<option[^>]*>[^<]*</option>", "", html)
    beishan = WINDOWS[BEISHAN]
    for text in (beishan["name"], beishan["address"], beishan["station_name"], REASON):
        html = html.replace(text, "")
    return html.replace("周一至周五 08:30-12:00, 13:30-17:00", "")


def test_the_window_page_in_english(client, english_formats):  # noqa: F811
    publish(BEISHAN)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    publish_calendar(BEISHAN, closures=[ClosureV1(date=tomorrow, reason=REASON)])
    html = client.get(f"/windows/{BEISHAN}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en"' in html
    assert f" ({REASON})" in html
    # The district's and street's names are the city's divisions, data too: no Han check here.
    assert FULL_WIDTH.findall(outside_data(html)) == []


def test_the_map_names_a_window_and_its_address_in_english(client, english_formats):  # noqa: F811
    publish(BEISHAN)
    html = client.get("/windows/map/?district=330106", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    beishan = WINDOWS[BEISHAN]
    assert f"<title>{beishan['name']}, {beishan['address']}</title>" in html

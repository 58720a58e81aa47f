"""The booking pages in English: dates, weekdays and times read in English ("Tue 5 Jan,
09:30–09:50"), with no Chinese and no full-width punctuation left outside the data (the
window's name and address, its own hours text, a person's name); Chinese reads exactly as
before, and the SMS stay Chinese whatever language the page was in."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client

from onetrip.portal.accounts.auth import SESSION_KEY
from onetrip.portal.booking.models import Booking
from onetrip.portal.booking.services import (
    booking_cancel,
    booking_confirm,
    booking_hold,
    booking_reschedule,
    waitlist_join,
)
from onetrip.portal.notify.models import SmsMessage

from .booking_helpers import MONDAY, WINDOW_CODE, at, window_message
from .english import english_formats  # noqa: F401  (fixture used by name)

pytestmark = pytest.mark.django_db(databases=["default", "police"])

NOW = at(MONDAY, 8, 0)  # Monday 4 January 2027
TUESDAY = MONDAY + dt.timedelta(days=1)
SLOT = at(TUESDAY, 9, 30)
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
FULL_WIDTH = re.compile(r"[\u3000-\u303f\uff00-\uffef]")
# What the pages show as it was entered: the window's published name, address and hours, the
# names people gave, and the language switch naming each language in itself.
WINDOW = window_message()
DATA = (
    WINDOW.name,
    WINDOW.address,
    WINDOW.opening_hours_text,
    WINDOW.station_name,
    "张三",
    "李四",
)


def client_of(resident, language: str) -> Client:
    c = Client(HTTP_HOST="portal.testserver", HTTP_ACCEPT_LANGUAGE=language)
    session = c.session
    session[SESSION_KEY] = str(resident.pk)
    session.save()
    return c


def get(resident, path: str, language: str = "en") -> str:
    with time_machine.travel(NOW, tick=False):
        page = client_of(resident, language).get(path)
    assert page.status_code == 200, path
    return page.content.decode()


def outside_data(html: str) -> str:
    html = re.sub(r"<option[^>]*>[^<]*</option>", "", html)
    for text in DATA:
        html = html.replace(text, "")
    return html


def assert_english(html: str) -> None:
    assert '<html lang="en"' in html
    left = outside_data(html)
    assert HAN.findall(left) == []
    assert FULL_WIDTH.findall(left) == []


def book(resident, starts_at: dt.datetime = SLOT) -> Booking:
    held = booking_hold(
        resident=resident,
        window_code=WINDOW_CODE,
        service="permit_first",
        starts_at=starts_at,
        now=NOW,
    )
    return booking_confirm(resident=resident, reference=held.reference, name="张三", now=NOW)


@pytest.fixture
def setup(booking_window, residents, english_formats):  # noqa: F811
    booking_window(online_quota_per_day=2)
    return residents(3)


def test_the_slot_listing_in_english(setup):
    me, _, _ = setup
    html = get(me, f"/booking/windows/{WINDOW_CODE}/?day={TUESDAY.isoformat()}")
    assert_english(html)
    assert "Tue 5 Jan" in html and "Wed 6 Jan" in html and "Sat 9 Jan" in html
    assert "09:30–09:50" in html


def test_the_confirm_page_in_english(setup):
    me, _, _ = setup
    held = booking_hold(
        resident=me, window_code=WINDOW_CODE, service="permit_first", starts_at=SLOT, now=NOW
    )
    html = get(me, f"/booking/b/{held.reference}/")
    assert_english(html)
    assert "Tue 5 Jan, 09:30–09:50" in html


def test_my_booking_and_my_bookings_in_english(setup):
    me, other, _ = setup
    booking = book(me)
    booking_reschedule(
        resident=me, reference=booking.reference, starts_at=at(TUESDAY, 10, 30), now=NOW
    )
    html = get(me, f"/booking/b/{booking.reference}/")
    assert_english(html)
    assert "Tue 5 Jan, 10:30–10:50" in html
    assert "(5 Jan 10:30)" in html  # the history names each slot

    book(other)  # Tuesday now full: its quota is 2
    waitlist_join(
        resident=me,
        window_code=WINDOW_CODE,
        day=TUESDAY,
        service="permit_endorsement",
        name="张三",
        now=NOW,
    )
    home = get(me, "/booking/")
    assert_english(home)
    assert "Tue 5 Jan, 10:30–10:50" in home and "5 Jan" in home


def test_a_cancelled_booking_in_english(setup):
    me, _, _ = setup
    booking = book(me)
    booking_cancel(resident=me, reference=booking.reference, now=NOW)
    html = get(me, f"/booking/b/{booking.reference}/")
    assert_english(html)


def test_the_reschedule_page_in_english(setup):
    me, _, _ = setup
    booking = book(me)
    html = get(me, f"/booking/b/{booking.reference}/reschedule/?day={TUESDAY.isoformat()}")
    assert_english(html)
    assert "Tue 5 Jan, 09:30–09:50" in html and "10:30–10:50" in html


def test_chinese_reads_as_before(setup):
    me, _, _ = setup
    booking = book(me)
    page = get(me, f"/booking/b/{booking.reference}/", language="zh-CN")
    assert "1月5日（周二）09:30-09:50" in page
    listing = get(me, f"/booking/windows/{WINDOW_CODE}/?day={TUESDAY.isoformat()}", "zh-CN")
    assert "1月5日 周二" in listing and "1月5日 的时段" in listing and "09:30-09:50" in listing


def test_the_sms_stays_chinese_from_an_english_page(setup):
    me, _, _ = setup
    with time_machine.travel(NOW, tick=False):
        c = client_of(me, "en")
        c.post(
            f"/booking/windows/{WINDOW_CODE}/hold/",
            {"service": "permit_first", "starts_at": SLOT.isoformat()},
        )
        booking = Booking.objects.get(resident=me)
        c.post(f"/booking/b/{booking.reference}/confirm/", {"name": "张三"})
    sms = SmsMessage.objects.get(template="booking_made")
    assert "1月5日（周二）09:30-09:50" in sms.text

"""Moving a booking within its own full day: the resident's own seat counts toward the day's
online quota, so the 改约 page offers the day's other free slots exactly when the reschedule
service would move the booking there (one rule: `selectors.seat_goes_to_waitlist`)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client

from onetrip.portal.accounts.auth import SESSION_KEY
from onetrip.portal.booking.errors import DayFull
from onetrip.portal.booking.models import Booking, DayCounter, SlotCounter
from onetrip.portal.booking.selectors import reschedule_days
from onetrip.portal.booking.services import (
    booking_confirm,
    booking_hold,
    booking_reschedule,
    waitlist_join,
)

from .booking_helpers import MONDAY, WINDOW_CODE, at

pytestmark = pytest.mark.django_db(databases=["default", "police"])

NOW = at(MONDAY, 8, 0)
TUESDAY = MONDAY + dt.timedelta(days=1)
WEDNESDAY = MONDAY + dt.timedelta(days=2)
BUTTON = re.compile(r'<button type="submit" name="starts_at" value="([^"]+)"([^>]*)>')


def client_of(resident) -> Client:
    c = Client(HTTP_HOST="portal.testserver")
    session = c.session
    session[SESSION_KEY] = str(resident.pk)
    session.save()
    return c


def book(resident, starts_at: dt.datetime) -> Booking:
    held = booking_hold(
        resident=resident,
        window_code=WINDOW_CODE,
        service="permit_first",
        starts_at=starts_at,
        now=NOW,
    )
    return booking_confirm(resident=resident, reference=held.reference, name="张三", now=NOW)


def offered(html: str) -> list[str]:
    """The starts the page lets the resident choose (buttons not disabled)."""
    return [value for value, rest in BUTTON.findall(html) if "disabled" not in rest]


def reschedule_page(resident, booking: Booking, day: dt.date) -> str:
    with time_machine.travel(NOW, tick=False):
        page = client_of(resident).get(
            f"/booking/b/{booking.reference}/reschedule/?day={day.isoformat()}"
        )
    assert page.status_code == 200
    return page.content.decode()


def test_a_day_full_with_ones_own_booking_offers_its_other_free_slots(booking_window, residents):
    booking_window(online_quota_per_day=1)
    (me,) = residents(1)
    booking = book(me, at(TUESDAY, 9, 30))
    tuesday = next(d for d in reschedule_days(booking=booking, now=NOW) if d.day == TUESDAY)
    assert tuesday.quota_left == 1 and not tuesday.full

    html = reschedule_page(me, booking, TUESDAY)
    choices = offered(html)
    assert at(TUESDAY, 10, 30).isoformat() in choices
    assert at(TUESDAY, 9, 30).isoformat() not in choices  # where it is already
    assert 'aria-current="time"' in html

    with time_machine.travel(NOW, tick=False):
        moved = client_of(me).post(
            f"/booking/b/{booking.reference}/reschedule/",
            {"starts_at": at(TUESDAY, 10, 30).isoformat()},
        )
    assert moved.status_code == 302 and moved["Location"] == f"/booking/b/{booking.reference}/"
    booking.refresh_from_db()
    assert booking.starts_at == at(TUESDAY, 10, 30)
    assert DayCounter.objects.get(day=TUESDAY).taken == 1
    assert SlotCounter.objects.get(starts_at=at(TUESDAY, 9, 30)).taken == 0
    assert SlotCounter.objects.get(starts_at=at(TUESDAY, 10, 30)).taken == 1


def test_a_day_full_with_other_people_is_not_offered(booking_window, residents):
    booking_window(online_quota_per_day=1)
    me, other = residents(2)
    book(other, at(TUESDAY, 9, 30))
    booking = book(me, at(WEDNESDAY, 9, 30))

    assert offered(reschedule_page(me, booking, TUESDAY)) == []
    with pytest.raises(DayFull):
        booking_reschedule(
            resident=me, reference=booking.reference, starts_at=at(TUESDAY, 10, 30), now=NOW
        )


def test_ones_own_full_day_with_people_waiting_is_not_offered_as_the_service_refuses_it(
    booking_window, residents
):
    """The seat a move gives back goes to the first resident waiting for that day, so the
    move cannot take another seat of the full day: the page does not offer it either."""
    booking_window(online_quota_per_day=1)
    me, waiting = residents(2)
    booking = book(me, at(TUESDAY, 9, 30))
    waitlist_join(
        resident=waiting,
        window_code=WINDOW_CODE,
        day=TUESDAY,
        service="permit_first",
        name="李四",
        now=NOW,
    )
    tuesday = next(d for d in reschedule_days(booking=booking, now=NOW) if d.day == TUESDAY)
    assert tuesday.full

    assert offered(reschedule_page(me, booking, TUESDAY)) == []
    with pytest.raises(DayFull):
        booking_reschedule(
            resident=me, reference=booking.reference, starts_at=at(TUESDAY, 10, 30), now=NOW
        )
    booking.refresh_from_db()
    assert booking.starts_at == at(TUESDAY, 9, 30)
    assert not Booking.objects.filter(resident=waiting).exists()  # no offer left behind


def test_a_window_page_still_shows_the_own_full_day_as_full(booking_window, residents):
    """Only moving the booking frees its seat; booking afresh (another service) does not."""
    booking_window(online_quota_per_day=1)
    (me,) = residents(1)
    book(me, at(TUESDAY, 9, 30))
    with time_machine.travel(NOW, tick=False):
        page = client_of(me).get(f"/booking/windows/{WINDOW_CODE}/?day={TUESDAY.isoformat()}")
    assert 'id="join-waitlist"' in page.content.decode()

"""The resident's pages, without JavaScript: a window's slots, hold, confirm, the booked page
with its calendar file, reschedule, cancel, the waitlist; another resident sees nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from onetrip.portal.accounts.auth import SESSION_KEY
from onetrip.portal.booking.calendar import local
from onetrip.portal.booking.models import Booking
from onetrip.portal.booking.selectors import next_free_slot, window_days

pytestmark = pytest.mark.django_db(databases=["default", "police"])


@pytest.fixture(autouse=True)
def short_cut_off(settings):
    """The first free slot may be half an hour away: let it be moved and cancelled."""
    settings.ONETRIP_BOOKING_CHANGE_CUTOFF_MINUTES = 10


def client_of(resident) -> Client:
    c = Client(HTTP_HOST="portal.testserver")
    session = c.session
    session[SESSION_KEY] = str(resident.pk)
    session.save()
    return c


def test_book_see_download_reschedule_and_cancel_from_the_pages(booking_window, residents):
    window = booking_window(min_notice_minutes=30)
    me, stranger = residents(2)
    c = client_of(me)
    page = c.get(f"/booking/windows/{window.code}/")
    assert page.status_code == 200
    slot = next_free_slot(window, timezone.now())
    assert slot is not None
    assert local(slot.starts_at).isoformat() in page.content.decode()

    held = c.post(
        f"/booking/windows/{window.code}/hold/",
        {"service": "permit_first", "starts_at": local(slot.starts_at).isoformat()},
    )
    booking = Booking.objects.get(resident=me)
    assert held.status_code == 302 and held["Location"] == f"/booking/b/{booking.reference}/"
    confirm_page = c.get(held["Location"])
    assert "确认预约" in confirm_page.content.decode()
    done = c.post(f"/booking/b/{booking.reference}/confirm/", {"name": "张三"})
    assert done.status_code == 302
    booked_page = c.get(f"/booking/b/{booking.reference}/").content.decode()
    assert "calendar.ics" in booked_page and "已预约" in booked_page

    ics = c.get(f"/booking/b/{booking.reference}/calendar.ics")
    assert ics["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in ics.content and booking.reference.encode() in ics.content

    assert client_of(stranger).get(f"/booking/b/{booking.reference}/").status_code == 404
    assert (
        client_of(stranger).get(f"/booking/b/{booking.reference}/calendar.ics").status_code == 404
    )

    later = [s for d in window_days(window=window, now=timezone.now()) for s in d.free_slots]
    target = next(s for s in later if s.starts_at > slot.starts_at + dt.timedelta(hours=3))
    moved = c.post(
        f"/booking/b/{booking.reference}/reschedule/",
        {"starts_at": local(target.starts_at).isoformat()},
    )
    assert moved.status_code == 302
    booking.refresh_from_db()
    assert booking.starts_at == target.starts_at

    home = c.get("/booking/").content.decode()
    assert booking.reference in home
    cancelled = c.post(f"/booking/b/{booking.reference}/cancel/")
    assert cancelled.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_a_full_day_offers_the_waitlist_on_the_page(booking_window, residents):
    window = booking_window(min_notice_minutes=30, online_quota_per_day=1)
    first, second = residents(2)
    slot = next_free_slot(window, timezone.now())
    c1 = client_of(first)
    c1.post(
        f"/booking/windows/{window.code}/hold/",
        {"service": "permit_first", "starts_at": local(slot.starts_at).isoformat()},
    )
    day = slot.day.isoformat()
    page = client_of(second).get(f"/booking/windows/{window.code}/?day={day}").content.decode()
    assert 'id="join-waitlist"' in page
    joined = client_of(second).post(
        f"/booking/windows/{window.code}/waitlist/",
        {"day": day, "service": "permit_first", "name": "李四"},
    )
    assert joined.status_code == 302
    assert "候补中" in client_of(second).get("/booking/").content.decode()


def test_a_slot_offers_no_more_seats_than_its_day_has_left_of_the_online_quota(
    booking_window, residents
):
    window = booking_window(min_notice_minutes=30, counters_per_slot=3, online_quota_per_day=1)
    (me,) = residents(1)
    slot = next_free_slot(window, timezone.now())
    page = client_of(me).get(f"/booking/windows/{window.code}/?day={slot.day.isoformat()}")
    html = page.content.decode()
    assert "余1<" in html  # the day
    assert "余 1<" in html and "余 3<" not in html  # each of its slots


def test_the_booked_page_links_the_materials_list(booking_window, residents):
    """Without an application, the one-time materials list the portal has for every case; an
    application's booking links that application's own list instead."""
    window = booking_window(min_notice_minutes=30)
    (me,) = residents(1)
    slot = next_free_slot(window, timezone.now())
    c = client_of(me)
    c.post(
        f"/booking/windows/{window.code}/hold/",
        {"service": "permit_first", "starts_at": local(slot.starts_at).isoformat()},
    )
    booking = Booking.objects.get(resident=me)
    c.post(f"/booking/b/{booking.reference}/confirm/", {"name": "张三"})
    page = c.get(f"/booking/b/{booking.reference}/").content.decode()
    assert '<a href="/permit/materials/" id="materials">' in page
    assert c.get("/permit/materials/").status_code == 200

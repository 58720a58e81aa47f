"""The channel API for booking: slots, hold, confirm, reschedule, cancel, the calendar file
(as text/calendar or inside JSON) and the waitlist, each answering as documented."""

from __future__ import annotations

import json

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from onetrip.portal.api.auth import token_for
from onetrip.portal.booking.calendar import local
from onetrip.portal.booking.selectors import next_free_slot, slot_listing_key
from onetrip.portal.windows.models import Window

pytestmark = pytest.mark.django_db(databases=["default", "police"])


@pytest.fixture(autouse=True)
def short_cut_off(settings):
    """The first free slot may be half an hour away: let it be moved and cancelled."""
    settings.ONETRIP_BOOKING_CHANGE_CUTOFF_MINUTES = 10


def api(resident) -> Client:
    return Client(HTTP_HOST="portal.testserver", HTTP_AUTHORIZATION=f"Bearer {token_for(resident)}")


def test_hold_confirm_reschedule_and_cancel_through_the_api(booking_window, residents):
    window = booking_window(min_notice_minutes=30, counters_per_slot=1)
    me, other = residents(2)
    slots = Client(HTTP_HOST="portal.testserver").get(
        f"/api/v1/booking/windows/{window.code}/slots"
    )
    assert slots.status_code == 200
    first = next(s for d in slots.json()["days"] for s in d["slots"] if s["free"])
    slot = next_free_slot(window, timezone.now())
    assert first["starts_at"] == local(slot.starts_at).isoformat()

    body = {"window_code": window.code, "service": "permit_first", "starts_at": first["starts_at"]}
    held = api(me).post("/api/v1/booking/holds", body, content_type="application/json")
    assert held.status_code == 201 and held.json()["status"] == "held"
    reference = held.json()["reference"]
    lost = api(other).post("/api/v1/booking/holds", body, content_type="application/json")
    assert lost.status_code == 409 and lost.json()["message"] == "该时段已约满"

    confirmed = api(me).post(
        f"/api/v1/booking/bookings/{reference}/confirm",
        {"name": "张三"},
        content_type="application/json",
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "booked"
    ics = api(me).get(f"/api/v1/booking/bookings/{reference}/calendar.ics")
    assert ics["Content-Type"].startswith("text/calendar")
    as_json = api(me).get(
        f"/api/v1/booking/bookings/{reference}/calendar.ics", HTTP_ACCEPT="application/json"
    )
    assert as_json.json()["content"].startswith("BEGIN:VCALENDAR")
    assert api(other).get(f"/api/v1/booking/bookings/{reference}").status_code == 404

    later = next(
        s["starts_at"]
        for d in slots.json()["days"]
        for s in d["slots"]
        if s["free"] and s["starts_at"] > first["starts_at"]
    )
    moved = api(me).post(
        f"/api/v1/booking/bookings/{reference}/reschedule",
        {"starts_at": later},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["starts_at"] == later
    cancelled = api(me).post(
        f"/api/v1/booking/bookings/{reference}/cancel", content_type="application/json"
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert [b["reference"] for b in api(me).get("/api/v1/booking/bookings").json()] == [reference]


def test_the_waitlist_through_the_api(booking_window, residents):
    window = booking_window(min_notice_minutes=30, online_quota_per_day=1)
    first, second = residents(2)
    slot = next_free_slot(window, timezone.now())
    body = {
        "window_code": window.code,
        "service": "permit_first",
        "starts_at": local(slot.starts_at).isoformat(),
    }
    api(first).post("/api/v1/booking/holds", body, content_type="application/json")
    joined = api(second).post(
        "/api/v1/booking/waitlist",
        {"window_code": window.code, "day": slot.day.isoformat(), "name": "李四"},
        content_type="application/json",
    )
    assert joined.status_code == 201 and joined.json()["status"] == "waiting"
    listed = api(second).get("/api/v1/booking/waitlist").json()
    assert [e["id"] for e in listed] == [joined.json()["id"]]
    left = api(second).post(
        f"/api/v1/booking/waitlist/{joined.json()['id']}/leave", content_type="application/json"
    )
    assert left.json()["status"] == "left"


def test_bk13_the_slot_listing_is_a_snapshot_at_most_the_cache_age_old(
    booking_window, residents, settings
):
    """The listing may come from the cache, but is never older than
    ONETRIP_BOOKING_SLOTS_CACHE_SECONDS: a seat taken shows as taken once that age has passed."""
    settings.ONETRIP_BOOKING_SLOTS_CACHE_SECONDS = 30
    window = booking_window(min_notice_minutes=30, counters_per_slot=1)
    [me] = residents(1)
    path = f"/api/v1/booking/windows/{window.code}/slots"
    anyone = Client(HTTP_HOST="portal.testserver")

    def free_of(starts_at: str) -> int:
        listing = anyone.get(path).json()
        return next(
            s["free"] for d in listing["days"] for s in d["slots"] if s["starts_at"] == starts_at
        )

    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = next(s for d in anyone.get(path).json()["days"] for s in d["slots"] if s["free"])
        body = {
            "window_code": window.code,
            "service": "permit_first",
            "starts_at": first["starts_at"],
        }
        held = api(me).post("/api/v1/booking/holds", body, content_type="application/json")
        assert held.status_code == 201
        assert free_of(first["starts_at"]) == 1  # the snapshot, still young
        clock.shift(29)
        assert free_of(first["starts_at"]) == 1
        clock.shift(2)
        assert free_of(first["starts_at"]) == 0


def test_bk13_one_request_renders_a_stale_listing_while_the_others_get_the_last(
    booking_window, residents, settings, django_assert_num_queries
):
    """When a listing has aged, the request that wins the refresh renders it; any other asking
    meanwhile is answered the last copy without touching the database, so a busy window's
    listing is computed about once per interval however many residents ask."""
    settings.ONETRIP_BOOKING_SLOTS_CACHE_SECONDS = 30
    window = booking_window(min_notice_minutes=30, counters_per_slot=1)
    [me] = residents(1)
    path = f"/api/v1/booking/windows/{window.code}/slots"
    key = slot_listing_key(window.code, None)
    anyone = Client(HTTP_HOST="portal.testserver")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        before = anyone.get(path).content
        first = next(s for d in json.loads(before)["days"] for s in d["slots"] if s["free"])
        body = {
            "window_code": window.code,
            "service": "permit_first",
            "starts_at": first["starts_at"],
        }
        assert api(me).post("/api/v1/booking/holds", body, content_type="application/json")
        clock.shift(31)
        cache.add(f"{key}:refresh", 1, 30)  # another request is rendering it
        with django_assert_num_queries(0):
            assert anyone.get(path).content == before
        cache.delete(f"{key}:refresh")
        after = anyone.get(path).content
        assert after != before
        assert anyone.get(path).content == after


def test_bk13_a_listing_of_a_window_no_longer_active_is_not_found_once_stale(
    booking_window, settings
):
    settings.ONETRIP_BOOKING_SLOTS_CACHE_SECONDS = 30
    window = booking_window(min_notice_minutes=30)
    path = f"/api/v1/booking/windows/{window.code}/slots"
    anyone = Client(HTTP_HOST="portal.testserver")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert anyone.get(path).status_code == 200
        Window.objects.filter(pk=window.pk).update(active=False)
        clock.shift(31)
        assert anyone.get(path).status_code == 404
        assert cache.get(slot_listing_key(window.code, None)) is None
        assert anyone.get(path).status_code == 404

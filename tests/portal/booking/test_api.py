"""The channel API for booking: slots, hold, confirm, reschedule, cancel, the calendar file
(as text/calendar or inside JSON) and the waitlist, each answering as documented."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from onetrip.portal.api.auth import token_for
from onetrip.portal.booking.calendar import local
from onetrip.portal.booking.selectors import next_free_slot

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


def test_a_cached_slot_listing_is_dropped_when_a_seat_of_its_window_is_taken(
    booking_window, residents, settings, django_capture_on_commit_callbacks
):
    """The listing may come from the cache (ONETRIP_BOOKING_SLOTS_CACHE_SECONDS), but never
    outlives a hold of that window: the seat's transaction drops it on commit."""
    settings.ONETRIP_BOOKING_SLOTS_CACHE_SECONDS = 600
    window = booking_window(min_notice_minutes=30, counters_per_slot=1)
    [me] = residents(1)
    path = f"/api/v1/booking/windows/{window.code}/slots"
    anyone = Client(HTTP_HOST="portal.testserver")

    def free_of(starts_at: str) -> int:
        listing = anyone.get(path).json()
        return next(
            s["free"] for d in listing["days"] for s in d["slots"] if s["starts_at"] == starts_at
        )

    first = next(s for d in anyone.get(path).json()["days"] for s in d["slots"] if s["free"])
    assert free_of(first["starts_at"]) == 1
    body = {"window_code": window.code, "service": "permit_first", "starts_at": first["starts_at"]}
    with django_capture_on_commit_callbacks(execute=True):
        held = api(me).post("/api/v1/booking/holds", body, content_type="application/json")
    assert held.status_code == 201
    assert free_of(first["starts_at"]) == 0

"""A new calendar or a window taken out of service: bookings that no longer fit are moved to
the nearest free slot or cancelled, the station and the residents told (DESIGN §7). Driven
through the portal's ferry handlers, as the police zone's messages arrive."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from onetrip.common.db import atomic_for
from onetrip.portal.booking.models import Booking, SlotCounter
from onetrip.portal.booking.services import booking_confirm, booking_hold
from onetrip.portal.ferrybox.models import OutboxMessage
from onetrip.portal.notify.models import SmsMessage
from onetrip.portal.windows.handlers import on_window_calendar, on_window_published

from .booking_helpers import AS_OF, WINDOW_CODE, at, calendar_message, window_message

pytestmark = pytest.mark.django_db(databases=["default", "police"])

# The handlers look for new slots from the real clock: a Monday one to two weeks ahead.
_TODAY = dt.date.today()
MONDAY = _TODAY + dt.timedelta(days=7 + (7 - _TODAY.weekday()) % 7)
TUESDAY = MONDAY + dt.timedelta(days=1)
LATER = AS_OF + dt.timedelta(hours=1)


def fill_tuesday(people):
    """30 bookings: the first ten slots of Tuesday, three each."""
    slots = [at(TUESDAY, 8, 30) + dt.timedelta(minutes=20 * n) for n in range(10)]
    booked = []
    for i, r in enumerate(people):
        held = booking_hold(
            resident=r,
            window_code=WINDOW_CODE,
            service="permit_first",
            starts_at=slots[i // 3],
        )
        booked.append(booking_confirm(resident=r, reference=held.reference, name="张三"))
    return booked


def apply(handler, message):
    with atomic_for(Booking):  # the ferry's apply transaction
        handler(None, message)


def counters_match_bookings():
    active = Counter(
        Booking.objects.filter(status__in=["held", "booked"]).values_list("starts_at", flat=True)
    )
    rows = {c.starts_at: c.taken for c in SlotCounter.objects.filter(taken__gt=0)}
    return rows == dict(active)


def test_a_window_closed_for_a_day_with_30_bookings_moves_them_to_the_nearest_slots(
    booking_window, residents, settings
):
    settings.ONETRIP_BOOKING_HOLDS_PER_RESIDENT_PER_HOUR = 1000
    window = booking_window(horizon_days=60, min_notice_minutes=0)
    fill_tuesday(residents(30))
    assert counters_match_bookings()
    closure = {"date": TUESDAY, "reason": "系统升级"}
    apply(on_window_calendar, calendar_message(horizon_days=60, closures=[closure], as_of=LATER))

    bookings = list(Booking.objects.filter(window=window))
    assert [b.status for b in bookings] == ["booked"] * 30
    assert all(b.day != TUESDAY for b in bookings)
    assert all(SlotCounter.objects.get(starts_at=b.starts_at).taken <= 3 for b in bookings)
    assert counters_match_bookings()
    # The nearest free slots: Monday's last afternoon and Wednesday's first morning ones.
    days = {b.day for b in bookings}
    assert days <= {MONDAY, TUESDAY + dt.timedelta(days=1)}
    assert OutboxMessage.objects.filter(message_type="booking.changed").count() == 30
    moved = SmsMessage.objects.filter(template="booking_moved")
    assert moved.count() == 30
    assert "/booking/windows/" in moved.first().text


def test_a_window_taken_out_of_service_cancels_its_bookings_and_tells_everyone(
    booking_window, residents, settings
):
    settings.ONETRIP_BOOKING_HOLDS_PER_RESIDENT_PER_HOUR = 1000
    booking_window(horizon_days=60, min_notice_minutes=0)
    fill_tuesday(residents(30))
    apply(on_window_published, window_message(active=False, as_of=LATER))
    assert set(Booking.objects.values_list("status", "cancel_reason")) == {
        ("cancelled", "window_closed")
    }
    assert OutboxMessage.objects.filter(message_type="booking.cancelled").count() == 30
    assert SmsMessage.objects.filter(template="booking_cancelled_by_window").count() == 30
    assert not SlotCounter.objects.filter(taken__gt=0).exists()


def test_fewer_counters_move_the_latest_bookings_of_a_slot(booking_window, residents, settings):
    settings.ONETRIP_BOOKING_HOLDS_PER_RESIDENT_PER_HOUR = 1000
    booking_window(horizon_days=60, min_notice_minutes=0)
    booked = fill_tuesday(residents(3))
    apply(on_window_calendar, calendar_message(horizon_days=60, counters_per_slot=1, as_of=LATER))
    kept = Booking.objects.get(pk=booked[0].pk)
    assert kept.starts_at == at(TUESDAY, 8, 30) and kept.changed_at is None
    assert Booking.objects.filter(starts_at=at(TUESDAY, 8, 30)).count() == 1
    assert counters_match_bookings()

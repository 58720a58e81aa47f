"""The waitlist: a full day takes it; a seat freed that day is held for the first in line and
offered by SMS; an offer not confirmed in time passes to the next (DESIGN §7)."""

from __future__ import annotations

import datetime as dt

import pytest

from onetrip.portal.booking.errors import WaitlistNotNeeded
from onetrip.portal.booking.models import Booking, SlotCounter, WaitlistEntry
from onetrip.portal.booking.services import (
    booking_cancel,
    booking_confirm,
    booking_hold,
    booking_sweep,
    waitlist_join,
)
from onetrip.portal.notify.models import SmsMessage

from .booking_helpers import MONDAY, WINDOW_CODE, at

pytestmark = pytest.mark.django_db(databases=["default", "police"])

NOW = at(MONDAY, 8, 0)
TUESDAY = MONDAY + dt.timedelta(days=1)
SLOT = at(TUESDAY, 9, 30)


def join(resident, now=NOW):
    return waitlist_join(
        resident=resident,
        window_code=WINDOW_CODE,
        day=TUESDAY,
        service="permit_first",
        name="李四",
        now=now,
    )


def test_a_day_with_free_slots_has_no_waitlist(booking_window, residents):
    booking_window()
    (r,) = residents(1)
    with pytest.raises(WaitlistNotNeeded):
        join(r)


def test_a_freed_seat_is_offered_down_the_waitlist_until_someone_takes_it(
    booking_window, residents, settings
):
    settings.ONETRIP_BOOKING_WAITLIST_OFFER_MINUTES = 30
    booking_window(online_quota_per_day=1)  # one booking fills Tuesday
    holder, second, third = residents(3)
    held = booking_hold(
        resident=holder, window_code=WINDOW_CODE, service="permit_first", starts_at=SLOT, now=NOW
    )
    booked = booking_confirm(resident=holder, reference=held.reference, name="张三", now=NOW)
    join(second)
    join(third, now=NOW + dt.timedelta(seconds=1))

    booking_cancel(resident=holder, reference=booked.reference, now=NOW + dt.timedelta(minutes=1))
    offer = Booking.objects.get(resident=second, status="held")
    assert offer.from_waitlist and offer.starts_at == SLOT
    assert offer.hold_expires_at == NOW + dt.timedelta(minutes=31)
    assert SlotCounter.objects.get(starts_at=SLOT).taken == 1  # the seat went straight on
    assert SmsMessage.objects.filter(template="booking_waitlist_offer").count() == 1
    assert WaitlistEntry.objects.get(resident=second).status == "offered"

    # The second resident does not answer in time: the seat passes to the third.
    booking_sweep(now=NOW + dt.timedelta(minutes=32))
    assert WaitlistEntry.objects.get(resident=second).status == "lapsed"
    assert Booking.objects.get(pk=offer.pk).status == "expired"
    offer3 = Booking.objects.get(resident=third, status="held")
    assert SmsMessage.objects.filter(template="booking_waitlist_offer").count() == 2

    taken = booking_confirm(
        resident=third, reference=offer3.reference, now=NOW + dt.timedelta(minutes=40)
    )
    assert taken.status == "booked" and taken.name == "李四"
    assert WaitlistEntry.objects.get(resident=third).status == "accepted"
    assert SlotCounter.objects.get(starts_at=SLOT).taken == 1

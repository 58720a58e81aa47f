"""Across both zones through the real ferry: the windows and calendars the police zone loads
reach the portal, a booking the portal confirms lands in the station's day, and the window's
check-in goes back to the resident's booking (WF-2 APPOINTMENT_BOOKED, DESIGN §7)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from onetrip.police.appointments.models import Appointment
from onetrip.portal.booking.selectors import next_free_slot
from onetrip.portal.booking.services import booking_confirm, booking_hold
from onetrip.portal.windows.models import Window as PortalWindow
from onetrip.portal.windows.models import WindowCalendar as PortalCalendar
from tests.ferry.helpers import pump

from .conftest import BEISHAN_WINDOW, today_at

pytestmark = pytest.mark.django_db(databases=["default", "police"], transaction=True)


def test_windows_reach_the_portal_and_a_booking_comes_back_checked_in(
    ferry_env, reference_data, resident, clerk_client
):
    pump()
    assert PortalWindow.objects.count() == 199
    assert PortalCalendar.objects.count() == 199
    window = PortalWindow.objects.get(code=BEISHAN_WINDOW)
    assert window.calendar.hours[0]["lunch_starts"] == "12:00:00"
    free = next_free_slot(window, timezone.now())
    assert free is not None
    held = booking_hold(
        resident=resident,
        window_code=BEISHAN_WINDOW,
        service="permit_first",
        starts_at=free.starts_at,
    )
    booked = booking_confirm(resident=resident, reference=held.reference, name="张三")
    pump()
    appointment = Appointment.objects.get(reference=booked.reference)
    assert appointment.station.code == "330106500020"
    assert appointment.starts_at == free.starts_at
    assert appointment.name == "张三"
    # The day of the visit comes: the window checks the resident in.
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=today_at(23), ends_at=today_at(23, 20)
    )
    assert "张三" in clerk_client.get("/appointments/").content.decode()
    assert clerk_client.post(f"/appointments/{booked.reference}/check-in/").status_code == 302
    pump()
    booked.refresh_from_db()
    assert booked.status == "checked_in"

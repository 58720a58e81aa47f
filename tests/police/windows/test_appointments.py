"""Bookings at the station: the portal's bookings, changes and cancellations applied once, the
day's list for the window with its audited read, and arrival or no-show marked once and told
back to the portal in the same transaction (WF-2 APPOINTMENT_BOOKED, WF-6, DESIGN §7)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from onetrip.contracts.booking import BookingCancelledV1, BookingChangedV1
from onetrip.ferry.agent.handlers import BusinessReject, handler_for
from onetrip.police.appointments.errors import AppointmentError, AppointmentNotFound
from onetrip.police.appointments.models import Appointment
from onetrip.police.appointments.services import (
    appointment_check_in,
    appointment_mark_no_show,
    appointment_receive,
)
from onetrip.police.audit.models import AuditEvent

from .conftest import HUBIN_WINDOW, booking, client_for, police_outbox, today_at

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def deliver(message) -> None:
    handler = handler_for("police", message.message_type)
    assert handler is not None
    handler(None, message)  # type: ignore[arg-type]


def changed(reference="YY26120100000001", *, window=HUBIN_WINDOW, at=None, starts=None):
    starts = starts or today_at(22)
    return BookingChangedV1(
        reference=reference,
        window_code=window,
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=20),
        changed_at=at or timezone.now(),
    )


def cancelled(reference="YY26120100000001"):
    return BookingCancelledV1(reference=reference, reason="resident", cancelled_at=timezone.now())


def test_wf2_booking_made_is_filed_at_the_windows_station_once(beishan):
    deliver(booking())
    deliver(booking())
    appointment = Appointment.objects.get()
    assert appointment.station == beishan
    assert (appointment.name, appointment.phone_masked) == ("张三", "138****8000")
    with pytest.raises(BusinessReject, match="unknown window"):
        appointment_receive(message=booking("YY2", window="99999999999999"))


def test_a_change_or_cancellation_for_an_unknown_booking_is_a_business_reject(reference_data):
    with pytest.raises(BusinessReject, match="unknown booking"):
        deliver(changed())
    with pytest.raises(BusinessReject, match="unknown booking"):
        deliver(cancelled())


def test_a_change_moves_the_booking_and_an_older_change_is_ignored(hubin):
    deliver(booking())
    later = timezone.now()
    deliver(changed(at=later))
    appointment = Appointment.objects.get()
    assert (appointment.window.code, appointment.station) == (HUBIN_WINDOW, hubin)
    deliver(changed(at=later - dt.timedelta(minutes=5), starts=today_at(21)))
    appointment.refresh_from_db()
    assert timezone.localtime(appointment.starts_at).hour == 22


def test_a_cancellation_applies_once_and_a_marked_booking_cannot_be_cancelled(clerk):
    deliver(booking())
    deliver(cancelled())
    deliver(cancelled())
    assert Appointment.objects.get().status == "cancelled"
    with pytest.raises(BusinessReject, match="cannot be moved"):
        deliver(changed())
    deliver(booking("YY26120100000002"))
    appointment_check_in(user=clerk, reference="YY26120100000002")
    with pytest.raises(BusinessReject, match="cannot be cancelled"):
        deliver(cancelled("YY26120100000002"))


def test_wf2_check_in_tells_the_portal_once_and_again_is_409(clerk):
    deliver(booking())
    appointment = appointment_check_in(user=clerk, reference="YY26120100000001")
    assert appointment.status == "checked_in"
    [message] = police_outbox("booking.attendance")
    assert message.payload["status"] == "checked_in"
    assert message.payload["reference"] == "YY26120100000001"
    with pytest.raises(AppointmentError) as info:
        appointment_check_in(user=clerk, reference="YY26120100000001")
    assert (info.value.status, info.value.code) == (409, "already_marked")
    with pytest.raises(AppointmentError) as info:
        appointment_mark_no_show(user=clerk, reference="YY26120100000001")
    assert info.value.code == "already_marked"
    assert len(police_outbox("booking.attendance")) == 1
    assert AuditEvent.objects.filter(action="appointment.checked_in").count() == 1


def test_no_show_only_after_the_slot_and_only_once(clerk):
    now = timezone.now()
    deliver(booking("YY1", starts_at=now + dt.timedelta(hours=1)))
    with pytest.raises(AppointmentError) as info:
        appointment_mark_no_show(user=clerk, reference="YY1")
    assert (info.value.status, info.value.code) == (409, "slot_not_over")
    assert "结束后才能标记未到场" in info.value.message_zh
    deliver(booking("YY2", starts_at=now - dt.timedelta(minutes=30)))
    assert appointment_mark_no_show(user=clerk, reference="YY2").status == "no_show"
    with pytest.raises(AppointmentError):
        appointment_mark_no_show(user=clerk, reference="YY2")
    assert [m.payload["status"] for m in police_outbox("booking.attendance")] == ["no_show"]


def test_check_in_only_on_the_day_and_never_for_a_cancelled_booking(clerk):
    deliver(booking("YY1", starts_at=today_at(10) + dt.timedelta(days=2)))
    with pytest.raises(AppointmentError) as info:
        appointment_check_in(user=clerk, reference="YY1")
    assert info.value.code == "not_today"
    deliver(booking("YY2"))
    deliver(cancelled("YY2"))
    with pytest.raises(AppointmentError) as info:
        appointment_check_in(user=clerk, reference="YY2")
    assert (info.value.status, info.value.code) == (409, "cancelled")


def test_another_stations_clerk_cannot_see_or_mark(other_clerk, other_clerk_client):
    deliver(booking())
    with pytest.raises(AppointmentNotFound):
        appointment_check_in(user=other_clerk, reference="YY26120100000001")
    assert "张三" not in other_clerk_client.get("/appointments/").content.decode()
    response = other_clerk_client.post("/appointments/YY26120100000001/check-in/")
    assert response.status_code == 404
    assert not police_outbox("booking.attendance")


def test_wf6_todays_page_shows_name_and_masked_phone_and_audits_the_read(clerk_client):
    deliver(booking())
    deliver(booking("YY26120100000002", starts_at=today_at(10) + dt.timedelta(days=1)))
    before = AuditEvent.objects.filter(action="appointment.view_personal_data").count()
    page = clerk_client.get("/appointments/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "张三" in text and "138****8000" in text and "23:00–23:20" in text
    assert text.count("到场签到</button>") == 1  # tomorrow's booking is not listed
    audit = AuditEvent.objects.filter(action="appointment.view_personal_data")
    assert audit.count() == before + 1
    assert audit.last().detail["fields"] == ["name", "phone:masked"]


def test_the_page_marks_arrival_and_answers_409_when_already_marked(clerk_client):
    deliver(booking())
    first = clerk_client.post("/appointments/YY26120100000001/check-in/")
    assert first.status_code == 302
    again = clerk_client.post("/appointments/YY26120100000001/check-in/")
    assert again.status_code == 409
    assert "不能重复操作" in again.content.decode()
    assert len(police_outbox("booking.attendance")) == 1


def test_api_lists_today_and_checks_in_once(clerk_client):
    deliver(booking())
    listed = clerk_client.get("/api/v1/appointments/today").json()
    assert [(a["reference"], a["phone"]) for a in listed] == [("YY26120100000001", "138****8000")]
    url = "/api/v1/appointments/YY26120100000001/check-in"
    assert clerk_client.post(url, content_type="application/json").json()["status"] == (
        "checked_in"
    )
    again = clerk_client.post(url, content_type="application/json")
    assert (again.status_code, again.json()["code"]) == (409, "already_marked")


def test_roles_without_window_work_do_not_see_the_list(reviewer):
    client = client_for(reviewer)
    assert client.get("/appointments/").status_code == 403
    answer = client.get("/api/v1/appointments/today")
    assert (answer.status_code, answer.json()["code"]) == (403, "role_cannot_read")
    refused = AuditEvent.objects.filter(action="appointment.view_personal_data", success=False)
    assert refused.count() == 2


def test_checking_in_for_an_application_opens_its_case_to_accept(clerk_client):
    deliver(booking())
    response = clerk_client.post("/appointments/YY26120100000001/check-in/")
    assert response["Location"] == "/station/PA26112700000001/"
    page = clerk_client.get("/appointments/").content.decode()
    assert 'href="/station/PA26112700000001/"' in page
    assert 'href="/station/walk-in/"' in page

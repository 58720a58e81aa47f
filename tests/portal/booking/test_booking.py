"""Holds, confirmation, one booking per person per service, the cut-off, the day's quota, the
ICS file, reminders sent once, the challenge, and what the directory reads (DESIGN §7)."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from onetrip.contracts.booking import BookingAttendanceV1
from onetrip.ferry.agent.handlers import BusinessReject
from onetrip.portal.booking.errors import (
    AlreadyBooked,
    CaptchaRequired,
    ChangeTooLate,
    DayFull,
    HoldExpired,
    NameRequired,
    SlotFull,
    SlotUnavailable,
)
from onetrip.portal.booking.handlers import on_booking_attendance
from onetrip.portal.booking.ics import booking_ics
from onetrip.portal.booking.models import Booking, DayCounter, SlotCounter
from onetrip.portal.booking.selectors import next_free_slot, next_free_slots, window_day
from onetrip.portal.booking.services import (
    booking_cancel,
    booking_confirm,
    booking_hold,
    booking_release_expired,
    booking_reminders_send,
    booking_reschedule,
    booking_sweep,
)
from onetrip.portal.ferrybox.models import OutboxMessage
from onetrip.portal.notify.models import SmsMessage

from .booking_helpers import MONDAY, WINDOW_CODE, at

pytestmark = pytest.mark.django_db(databases=["default", "police"])

NOW = at(MONDAY, 8, 0)
TUESDAY = MONDAY + dt.timedelta(days=1)
SLOT = at(TUESDAY, 9, 30)


def hold(resident, starts_at=SLOT, now=NOW, **kwargs):
    return booking_hold(
        resident=resident,
        window_code=kwargs.pop("window_code", WINDOW_CODE),
        service=kwargs.pop("service", "permit_first"),
        starts_at=starts_at,
        now=now,
        **kwargs,
    )


def book(resident, starts_at=SLOT, now=NOW, **kwargs):
    held = hold(resident, starts_at, now, **kwargs)
    return booking_confirm(resident=resident, reference=held.reference, name="张三", now=now)


def taken(starts_at=SLOT) -> int:
    row = SlotCounter.objects.filter(starts_at=starts_at).first()
    return row.taken if row else 0


def test_a_confirmed_booking_goes_to_the_station_and_the_resident_gets_an_sms(
    booking_window, residents
):
    booking_window()
    (r,) = residents(1)
    held = hold(r)
    assert held.status == "held" and held.hold_expires_at == NOW + dt.timedelta(minutes=5)
    assert taken() == 1
    booked = booking_confirm(resident=r, reference=held.reference, name="张三", now=NOW)
    assert booked.status == "booked" and booked.name == "张三"
    message = OutboxMessage.objects.get(message_type="booking.made")
    assert message.payload["reference"] == booked.reference
    assert message.payload["phone_masked"] == "139****0000"
    assert SmsMessage.objects.filter(template="booking_made").count() == 1
    # Confirming again answers the same booking and sends nothing more.
    booking_confirm(resident=r, reference=held.reference, now=NOW)
    assert SmsMessage.objects.filter(template="booking_made").count() == 1
    assert taken() == 1 and DayCounter.objects.get().taken == 1


def test_the_slot_takes_as_many_as_it_has_counters_then_answers_full(booking_window, residents):
    booking_window()
    people = residents(4)
    for r in people[:3]:
        hold(r)
    with pytest.raises(SlotFull) as caught:
        hold(people[3])
    assert caught.value.message_zh == "该时段已约满"
    assert taken() == 3


def test_a_hold_on_a_full_slot_is_refused_by_one_read_that_writes_and_locks_nothing(
    booking_window, residents
):
    """In a race most holds lose: a loser is answered from the counters before any write, so it
    never queues for the counter rows the winners lock."""
    booking_window(counters_per_slot=1)
    first, second = residents(2)
    hold(first)
    with CaptureQueriesContext(connections["default"]) as seen, pytest.raises(SlotFull):
        hold(second)
    booking_sql = [q["sql"] for q in seen.captured_queries if "portal_booking_" in q["sql"]]
    assert booking_sql
    assert not [sql for sql in booking_sql if sql.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert not [sql for sql in booking_sql if "FOR UPDATE" in sql.upper()]
    assert taken() == 1 and Booking.objects.count() == 1


def test_a_full_slot_whose_hold_has_expired_is_held_again_before_any_sweep(
    booking_window, residents
):
    booking_window(counters_per_slot=1)
    first, second = residents(2)
    lapsed = hold(first)
    later = NOW + dt.timedelta(minutes=5, seconds=1)
    held = hold(second, now=later)
    assert held.status == "held"
    assert Booking.objects.get(pk=lapsed.pk).status == "expired"
    assert taken() == 1


def test_a_hold_on_a_day_whose_quota_is_taken_is_refused_before_any_write(
    booking_window, residents
):
    booking_window(online_quota_per_day=1)
    first, second = residents(2)
    hold(first)
    with pytest.raises(DayFull):
        hold(second, at(TUESDAY, 14, 10))
    assert DayCounter.objects.get().taken == 1 and Booking.objects.count() == 1


def test_the_days_online_quota_is_a_counter_too(booking_window, residents):
    booking_window(online_quota_per_day=2)
    people = residents(3)
    hold(people[0])
    hold(people[1], at(TUESDAY, 14, 10))
    with pytest.raises(DayFull):
        hold(people[2], at(TUESDAY, 15, 10))
    assert window_day(window=Booking.objects.first().window, day=TUESDAY, now=NOW).full


def test_a_hold_expires_and_its_seat_is_free_again(booking_window, residents):
    booking_window(counters_per_slot=1)
    first, second = residents(2)
    held = hold(first)
    later = NOW + dt.timedelta(minutes=5, seconds=1)
    # Read lazily: the seat reads as free before any sweep.
    window = held.window
    assert (
        next(
            s
            for s in window_day(window=window, day=TUESDAY, now=later).slots
            if s.starts_at == SLOT
        ).free
        == 1
    )
    with pytest.raises(HoldExpired):
        booking_confirm(resident=first, reference=held.reference, name="张三", now=later)
    assert Booking.objects.get(pk=held.pk).status == "expired"
    assert taken() == 0
    hold(second, now=later)
    assert taken() == 1


def test_the_sweep_lets_expired_holds_go_once(booking_window, residents):
    booking_window()
    people = residents(3)
    for r in people:
        hold(r)
    later = NOW + dt.timedelta(minutes=6)
    assert booking_sweep(now=later)["released"] == 3
    assert booking_release_expired(now=later) == 0
    assert taken() == 0 and DayCounter.objects.get().taken == 0


def test_one_active_booking_per_person_per_service(booking_window, residents):
    booking_window()
    (r,) = residents(1)
    first = hold(r)
    # Choosing again lets the first hold go.
    second = hold(r, at(TUESDAY, 10, 10))
    assert Booking.objects.get(pk=first.pk).status == "expired"
    assert taken() == 0 and taken(at(TUESDAY, 10, 10)) == 1
    booking_confirm(resident=r, reference=second.reference, name="张三", now=NOW)
    with pytest.raises(AlreadyBooked) as caught:
        hold(r, at(TUESDAY, 11, 10))
    assert caught.value.extra["reference"] == second.reference
    # Another service is another booking.
    hold(r, at(TUESDAY, 11, 10), service="permit_endorsement")


def test_the_database_itself_refuses_a_second_active_booking_of_a_person(booking_window, residents):
    """The partial unique index, not only the service's check."""
    from django.db import IntegrityError, transaction

    window = booking_window()
    (r,) = residents(1)

    def insert(n: int) -> None:
        Booking.objects.create(
            reference=f"YY27010400000{n:03d}",
            resident=r,
            window=window,
            service="permit_first",
            person_key=f"resident:{r.pk}",
            starts_at=SLOT,
            ends_at=SLOT + dt.timedelta(minutes=20),
            day=TUESDAY,
            status="booked",
        )

    insert(1)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert(2)


def test_slots_outside_the_calendar_or_too_soon_are_refused(booking_window, residents):
    booking_window()
    (r,) = residents(1)
    for starts_at in (at(TUESDAY, 12, 10), at(TUESDAY, 9, 35), at(MONDAY, 9, 10)):
        with pytest.raises(SlotUnavailable):
            hold(r, starts_at)


def test_cancel_and_reschedule_until_the_cut_off(booking_window, residents, settings):
    settings.ONETRIP_BOOKING_CHANGE_CUTOFF_MINUTES = 120
    booking_window(min_notice_minutes=0)
    (r,) = residents(1)
    booked = book(r)
    moved = booking_reschedule(
        resident=r, reference=booked.reference, starts_at=at(TUESDAY, 14, 10), now=NOW
    )
    assert moved.starts_at == at(TUESDAY, 14, 10)
    assert taken() == 0 and taken(at(TUESDAY, 14, 10)) == 1
    assert OutboxMessage.objects.filter(message_type="booking.changed").count() == 1
    too_late = at(TUESDAY, 12, 30)  # 100 minutes before 14:10
    with pytest.raises(ChangeTooLate):
        booking_cancel(resident=r, reference=booked.reference, now=too_late)
    with pytest.raises(ChangeTooLate):
        booking_reschedule(
            resident=r, reference=booked.reference, starts_at=at(TUESDAY, 16, 10), now=too_late
        )
    cancelled = booking_cancel(resident=r, reference=booked.reference, now=at(TUESDAY, 12, 9))
    assert cancelled.status == "cancelled" and cancelled.cancel_reason == "resident"
    assert taken(at(TUESDAY, 14, 10)) == 0
    assert OutboxMessage.objects.filter(message_type="booking.cancelled").count() == 1


def test_a_reschedule_into_a_full_slot_changes_nothing(booking_window, residents):
    booking_window(counters_per_slot=1)
    a, b = residents(2)
    mine = book(a)
    book(b, at(TUESDAY, 10, 10))
    with pytest.raises(SlotFull):
        booking_reschedule(
            resident=a, reference=mine.reference, starts_at=at(TUESDAY, 10, 10), now=NOW
        )
    assert Booking.objects.get(pk=mine.pk).starts_at == SLOT
    assert taken() == 1 and taken(at(TUESDAY, 10, 10)) == 1


def test_a_booking_without_an_application_needs_a_name(booking_window, residents):
    booking_window()
    (r,) = residents(1)
    held = hold(r)
    with pytest.raises(NameRequired):
        booking_confirm(resident=r, reference=held.reference, name="", now=NOW)


def test_the_calendar_file_is_in_asia_shanghai_with_its_timezone(booking_window, residents):
    booking_window()
    (r,) = residents(1)
    booked = book(r)
    parsed = icalendar.Calendar.from_ical(booking_ics(booking=booked))
    (zone,) = parsed.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Asia/Shanghai"
    assert zone.walk("DAYLIGHT") == []  # no daylight-saving part: UTC+8 all year
    (event,) = parsed.walk("VEVENT")
    start = event.decoded("DTSTART")
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert start.replace(tzinfo=None) == dt.datetime(2027, 1, 5, 9, 30)
    assert start.astimezone(dt.UTC) == dt.datetime(2027, 1, 5, 1, 30, tzinfo=dt.UTC)
    assert event.decoded("DTEND") - start == dt.timedelta(minutes=20)
    assert "北山路262号" in str(event["LOCATION"])
    assert booked.reference in str(event["DESCRIPTION"])
    assert "0571-85601989" in str(event["DESCRIPTION"])
    assert str(event["UID"]).startswith(booked.reference)
    text = booking_ics(booking=booked).decode()
    assert "DTSTART;TZID=Asia/Shanghai:20270105T093000" in text


def test_the_day_before_reminder_is_queued_once(booking_window, residents):
    booking_window()
    (r,) = residents(1)
    booked = book(r)  # Tuesday 09:30, booked on Monday 08:00
    assert booking_reminders_send(now=at(MONDAY, 8, 30)) == 0  # before the reminder hour
    # Booked on Monday: a reminder on Monday itself would repeat the booking SMS.
    Booking.objects.filter(pk=booked.pk).update(booked_at=at(MONDAY - dt.timedelta(days=3), 9))
    assert booking_reminders_send(now=at(MONDAY, 10, 0)) == 1
    assert booking_reminders_send(now=at(MONDAY, 10, 1)) == 0
    # A worker that died after queueing but before its mark: the SMS key is the same.
    Booking.objects.filter(pk=booked.pk).update(reminded_for=None)
    booking_reminders_send(now=at(MONDAY, 10, 2))
    assert SmsMessage.objects.filter(template="booking_reminder").count() == 1


def test_several_holds_in_an_hour_ask_for_the_challenge(booking_window, residents, settings):
    from django.core import signing

    from onetrip.portal.booking.captcha import SALT

    settings.ONETRIP_BOOKING_CAPTCHA_AFTER_HOLDS = 2
    booking_window()
    (r,) = residents(1)
    hold(r)
    hold(r, at(TUESDAY, 10, 10))
    with pytest.raises(CaptchaRequired) as caught:
        hold(r, at(TUESDAY, 10, 30))
    challenge = caught.value.extra["captcha"]
    assert caught.value.code == "captcha_required" and "等于多少" in challenge["question"]
    question = challenge["question_en"].removeprefix("What is ").removesuffix("?").split()
    a, sign, b = int(question[0]), question[1], int(question[2])
    answer = str(a + b if sign == "+" else a - b)
    assert "h" in signing.loads(challenge["token"], salt=SALT)  # the answer is never in clear
    with pytest.raises(CaptchaRequired) as wrong:
        hold(r, at(TUESDAY, 10, 30), captcha_token=challenge["token"], captcha_answer="999")
    assert wrong.value.code == "captcha_wrong"
    hold(r, at(TUESDAY, 10, 30), captcha_token=challenge["token"], captcha_answer=answer)
    with pytest.raises(CaptchaRequired):  # one answer, once
        hold(r, at(TUESDAY, 10, 50), captcha_token=challenge["token"], captcha_answer=answer)


def test_next_free_slot_for_the_directory(booking_window, residents):
    window = booking_window(counters_per_slot=1, min_notice_minutes=0)
    first = next_free_slot(window, NOW)
    assert first is not None and first.starts_at == at(MONDAY, 8, 30)
    (r,) = residents(1)
    hold(r, at(MONDAY, 8, 30))
    assert next_free_slot(window, NOW).starts_at == at(MONDAY, 8, 50)
    other = booking_window("33010650002002", holidays=[MONDAY, TUESDAY])
    found = next_free_slots(windows=[window, other], now=NOW)
    assert found[other.pk].starts_at == at(MONDAY + dt.timedelta(days=2), 8, 30)


def test_attendance_from_the_station_is_applied_once(booking_window, residents):
    booking_window()
    (r,) = residents(1)
    booked = book(r)
    message = BookingAttendanceV1(reference=booked.reference, status="checked_in", at=SLOT)
    on_booking_attendance(None, message)  # type: ignore[arg-type]
    on_booking_attendance(None, message)  # type: ignore[arg-type]
    assert Booking.objects.get(pk=booked.pk).status == "checked_in"
    with pytest.raises(BusinessReject):
        on_booking_attendance(  # type: ignore[arg-type]
            None, BookingAttendanceV1(reference="YY27010499999999", status="no_show", at=SLOT)
        )


def test_a_booking_for_an_application_once_it_passed_pre_review(booking_window, residents):
    from onetrip.portal.booking.errors import ApplicationNotReady
    from onetrip.portal.permits.models import PermitApplication

    booking_window()
    (r,) = residents(1)
    application = PermitApplication.objects.create(
        reference="PA27010400000001",
        resident=r,
        kind="endorsement",
        status="prelim_review",
        name="王五",
        id_hash="a" * 64,
    )
    with pytest.raises(ApplicationNotReady):
        hold(r, application_reference=application.reference)
    PermitApplication.objects.filter(pk=application.pk).update(status="prereview_passed")
    held = hold(r, application_reference="pa27010400000001")
    assert held.service == "permit_endorsement" and held.person_key == "id:" + "a" * 64
    booked = booking_confirm(resident=r, reference=held.reference, now=NOW)
    assert booked.name == "王五"
    made = OutboxMessage.objects.get(message_type="booking.made")
    assert made.payload["application_reference"] == application.reference
    assert made.correlation_id == application.reference


def test_a_booking_the_station_refuses_is_cancelled_and_the_resident_told(
    booking_window, residents
):
    from onetrip.contracts.booking import BookingMadeV1
    from onetrip.portal.booking.handlers import on_booking_made_rejected

    booking_window()
    (r,) = residents(1)
    booked = book(r)
    made = OutboxMessage.objects.get(message_type="booking.made")
    message = BookingMadeV1(**made.payload)
    on_booking_made_rejected(None, message, "booking for unknown window")  # type: ignore[arg-type]
    on_booking_made_rejected(None, message, "booking for unknown window")  # type: ignore[arg-type]
    refused = Booking.objects.get(pk=booked.pk)
    assert (refused.status, refused.cancel_reason) == ("cancelled", "staff")
    assert taken() == 0
    assert SmsMessage.objects.filter(template="booking_cancelled_by_window").count() == 1


def test_a_reschedule_takes_a_seat_whose_hold_has_expired(booking_window, residents):
    booking_window(counters_per_slot=1)
    mine, other = residents(2)
    booked = book(mine)
    hold(other, at(TUESDAY, 10, 10))
    later = NOW + dt.timedelta(minutes=6)
    moved = booking_reschedule(
        resident=mine, reference=booked.reference, starts_at=at(TUESDAY, 10, 10), now=later
    )
    assert moved.starts_at == at(TUESDAY, 10, 10)
    assert taken(at(TUESDAY, 10, 10)) == 1 and taken() == 0

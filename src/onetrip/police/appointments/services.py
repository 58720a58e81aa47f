"""Writes to the station's appointments: receive the portal's bookings, changes and
cancellations, and mark at the window that the resident arrived or did not come.

The portal owns the booking; the station keeps a copy for its day's list and answers only with
attendance (`booking.attendance`), sent through the outbox in the transaction that marks it,
under the row lock, once (DESIGN §7, DOMAIN WF-2 APPOINTMENT_BOOKED)."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from onetrip.common.db import atomic_for
from onetrip.contracts.booking import (
    BookingAttendanceV1,
    BookingCancelledV1,
    BookingChangedV1,
    BookingMadeV1,
)
from onetrip.ferry.agent.handlers import BusinessReject
from onetrip.ferry.agent.outbox import emit
from onetrip.police.accounts.selectors import staff_profile
from onetrip.police.audit.services import audit_record
from onetrip.police.stations.models import Window

from .errors import AppointmentError
from .models import Appointment, AppointmentStatus
from .selectors import OBJECT_TYPE, appointment_find_for_staff

logger = logging.getLogger(__name__)

PURPOSE = "appointment_attendance"


def _window(code: str, reference: str) -> Window:
    window = Window.objects.select_related("station").filter(code=code).first()
    if window is None:
        raise BusinessReject(f"booking {reference} is for unknown window {code}")
    return window


# -- receiving from the portal ---------------------------------------------------------------


def appointment_receive(*, message: BookingMadeV1) -> Appointment:
    """File a confirmed booking under its window's station. Called by the ferry inside its apply
    transaction; a second delivery of a reference the station holds changes nothing."""
    existing = Appointment.objects.filter(reference=message.reference).first()
    if existing is not None:
        logger.info("booking redelivered reference=%s", message.reference)
        return existing
    window = _window(message.window_code, message.reference)
    appointment = Appointment.objects.create(
        reference=message.reference,
        window=window,
        station=window.station,
        service=message.service,
        starts_at=message.starts_at,
        ends_at=message.ends_at,
        name=message.name,
        phone_masked=message.phone_masked,
        application_reference=message.application_reference,
        booked_at=message.booked_at,
        received_at=timezone.now(),
    )
    logger.info("booking received reference=%s window=%s", message.reference, window.code)
    return appointment


def _locked(reference: str, kind: str) -> Appointment:
    appointment = Appointment.objects.select_for_update().filter(reference=reference).first()
    if appointment is None:
        raise BusinessReject(f"{kind} for unknown booking {reference}")
    return appointment


def appointment_receive_change(*, message: BookingChangedV1) -> Appointment:
    """Move a booking to its new slot (and window). A change older than the last one applied,
    or one the station already has, changes nothing; a change for an unknown booking, or for
    one already cancelled or marked, is a business reject."""
    appointment = _locked(message.reference, "change")
    if appointment.changed_at is not None and message.changed_at <= appointment.changed_at:
        logger.info("booking change ignored reference=%s (older)", message.reference)
        return appointment
    if appointment.status != AppointmentStatus.BOOKED:
        raise BusinessReject(
            f"booking {message.reference} is {appointment.status} and cannot be moved"
        )
    window = _window(message.window_code, message.reference)
    appointment.window = window
    appointment.station = window.station
    appointment.starts_at = message.starts_at
    appointment.ends_at = message.ends_at
    appointment.changed_at = message.changed_at
    appointment.save()
    logger.info("booking moved reference=%s window=%s", message.reference, window.code)
    return appointment


def appointment_receive_cancellation(*, message: BookingCancelledV1) -> Appointment:
    """Mark a booking cancelled, with the reason. Cancelling it again changes nothing; an unknown
    booking, or one the window has already marked, is a business reject."""
    appointment = _locked(message.reference, "cancellation")
    if appointment.status == AppointmentStatus.CANCELLED:
        logger.info("booking cancellation redelivered reference=%s", message.reference)
        return appointment
    if appointment.status != AppointmentStatus.BOOKED:
        raise BusinessReject(
            f"booking {message.reference} is {appointment.status} and cannot be cancelled"
        )
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancel_reason = message.reason
    appointment.cancelled_at = message.cancelled_at
    appointment.save(update_fields=["status", "cancel_reason", "cancelled_at"])
    logger.info("booking cancelled reference=%s", message.reference)
    return appointment


# -- attendance at the window ----------------------------------------------------------------


def _hhmm(value: Any) -> str:
    return timezone.localtime(value).strftime("%H:%M")


def appointment_check_can_mark(*, appointment: Appointment, status: str) -> None:
    """Raise `AppointmentError` (409) unless the appointment can be marked `status` now: it is
    still booked; arrival is checked in on the appointment's day; a no-show only once its slot
    is over."""
    if appointment.status in (AppointmentStatus.CHECKED_IN, AppointmentStatus.NO_SHOW):
        label = AppointmentStatus(appointment.status).label
        raise AppointmentError(
            "already_marked",
            f"该预约已标记为“{label}”，不能重复操作",
            f"This appointment is already marked {appointment.status}",
            status=409,
        )
    if appointment.status == AppointmentStatus.CANCELLED:
        raise AppointmentError(
            "cancelled",
            "该预约已取消，不能标记到场情况",
            "This appointment was cancelled",
            status=409,
        )
    now = timezone.now()
    if status == AppointmentStatus.CHECKED_IN:
        if timezone.localdate(appointment.starts_at) != timezone.localdate(now):
            raise AppointmentError(
                "not_today",
                "只能在预约当天办理到场签到",
                "Arrival can only be checked in on the day of the appointment",
                status=409,
            )
    elif now < appointment.ends_at:
        raise AppointmentError(
            "slot_not_over",
            f"预约时段 {_hhmm(appointment.starts_at)}–{_hhmm(appointment.ends_at)} 结束后才能标记"
            "未到场",
            f"A no-show can only be marked after the slot ends at {_hhmm(appointment.ends_at)}",
            status=409,
        )


def appointment_can_mark(*, appointment: Appointment, status: str) -> bool:
    """For templates: whether the button would be accepted now."""
    try:
        appointment_check_can_mark(appointment=appointment, status=status)
    except AppointmentError:
        return False
    return True


def _mark(*, user: Any, reference: str, status: str) -> Appointment:
    with atomic_for(Appointment, durable=True):
        visible = appointment_find_for_staff(user=user, reference=reference)
        appointment = (
            Appointment.objects.select_for_update()
            .select_related("station", "window")
            .get(pk=visible.pk)
        )
        appointment_check_can_mark(appointment=appointment, status=status)
        now = timezone.now()
        appointment.status = status
        appointment.marked_at = now
        appointment.marked_by = user
        appointment.save(update_fields=["status", "marked_at", "marked_by"])
        emit(
            zone="police",
            message=BookingAttendanceV1(
                reference=appointment.reference,
                status=status,  # type: ignore[arg-type]
                at=now,
            ),
            aggregate_id=appointment.reference,
            correlation_id=appointment.reference,
            actor=f"staff:{user.get_username()}",
            purpose=PURPOSE,
        )
        profile = staff_profile(user)
        audit_record(
            actor=user.get_username(),
            actor_role=profile.role if profile else "",
            station_code=appointment.station.code,
            action=f"{OBJECT_TYPE}.{status}",
            object_type=OBJECT_TYPE,
            object_id=appointment.reference,
            purpose=PURPOSE,
            detail={"window": appointment.window.code},
        )
        logger.info("appointment marked reference=%s status=%s", appointment.reference, status)
        return appointment


def appointment_check_in(*, user: Any, reference: str) -> Appointment:
    """The resident has arrived at the window: mark it and tell the portal, once."""
    return _mark(user=user, reference=reference, status=AppointmentStatus.CHECKED_IN)


def appointment_mark_no_show(*, user: Any, reference: str) -> Appointment:
    """The resident did not come within the slot: mark it and tell the portal, once."""
    return _mark(user=user, reference=reference, status=AppointmentStatus.NO_SHOW)

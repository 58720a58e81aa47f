"""Reads of the station's appointments, scoped to the window staff of the station.

The day's list shows each resident's name and masked phone, so each read of it writes its audit
row here, in the one selector the page and the API use (DESIGN §8, DOMAIN WF-6)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from onetrip.police.accounts.models import Role, StaffProfile
from onetrip.police.accounts.selectors import staff_profile
from onetrip.police.audit.services import audit_actor, audit_read_personal_data, audit_record

from .errors import AppointmentError, AppointmentNotFound
from .models import Appointment

OBJECT_TYPE = "appointment"
# The window clerk greets the resident and marks arrival; the station admin stands in.
WINDOW_ROLES = frozenset({Role.WINDOW_CLERK, Role.STATION_ADMIN})
LIST_FIELDS = ("name", "phone:masked")


def appointments_may_use(profile: StaffProfile | None) -> bool:
    """Whether a member of staff has the day's appointments to see (the header link asks)."""
    return profile is not None and profile.role in WINDOW_ROLES and profile.station_id is not None


def appointments_visible_to(*, user: Any) -> QuerySet[Appointment]:
    profile = staff_profile(user)
    if not appointments_may_use(profile):
        return Appointment.objects.none()
    assert profile is not None and profile.station_id is not None
    return Appointment.objects.select_related("window", "station").filter(
        station_id=profile.station_id
    )


def appointment_find_for_staff(*, user: Any, reference: str) -> Appointment:
    """The appointment if it is at the user's station, without reading personal data (for the
    services that lock and mark it; they audit what they do)."""
    found = appointments_visible_to(user=user).filter(reference=reference.strip()[:32]).first()
    if found is None:
        raise AppointmentNotFound(reference)
    return found


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    return start, start + dt.timedelta(days=1)


def appointments_today_for_staff(
    *, user: Any, purpose: str, day: dt.date | None = None
) -> list[Appointment]:
    """The day's appointments at the user's station by time (today unless `day`), cancelled ones
    included so the window knows who is not coming; with the audit row of the read. 403 for
    roles other than the window's."""
    if not appointments_may_use(staff_profile(user)):
        if user.is_authenticated:
            audit_record(
                **audit_actor(user),
                action=f"{OBJECT_TYPE}.view_personal_data",
                object_type=OBJECT_TYPE,
                object_id="today",
                purpose=purpose,
                success=False,
                detail={"refused": "role"},
            )
        raise AppointmentError(
            "role_cannot_read",
            "只有本所受理民警和所管理员可以查看今日预约",
            "Only the station's window clerks and administrator may see today's appointments",
            status=403,
        )
    start, end = _day_bounds(day or timezone.localdate())
    rows = list(
        appointments_visible_to(user=user)
        .filter(starts_at__gte=start, starts_at__lt=end)
        .order_by("starts_at", "window__code", "id")
    )
    if rows:
        audit_read_personal_data(
            user=user,
            object_type=OBJECT_TYPE,
            object_id=f"day:{start.date().isoformat()}",
            fields=list(LIST_FIELDS),
            purpose=purpose,
        )
    return rows

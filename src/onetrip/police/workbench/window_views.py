"""The workbench's booking pages (预约办, 就近办): the station admin's windows and capacity
calendars, the window clerk's list of the day's appointments with arrival and no-show, and the
city administrator's 15-minute coverage.

Views parse input, call one service or selector, and render; the rules and their Chinese
messages are in `police/stations/services.py` and `police/appointments/services.py`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from onetrip.common.errors import ApplicationError
from onetrip.contracts.booking import BOOKING_SERVICE_LABELS, CANCEL_REASON_LABELS
from onetrip.police.accounts.selectors import staff_profile
from onetrip.police.appointments.errors import AppointmentNotFound
from onetrip.police.appointments.models import Appointment, AppointmentStatus
from onetrip.police.appointments.selectors import appointments_today_for_staff
from onetrip.police.appointments.services import (
    appointment_can_mark,
    appointment_check_in,
    appointment_mark_no_show,
)
from onetrip.police.stations.coverage import COMMUNITY_POINTS_NOTE, TRAVEL_MODEL_NOTE
from onetrip.police.stations.errors import WindowNotFound
from onetrip.police.stations.models import Window, WindowCalendar
from onetrip.police.stations.selectors import (
    coverage_for_staff,
    window_get_for_staff,
    windows_for_staff,
)
from onetrip.police.stations.services import (
    WEEKDAYS_ZH,
    calendar_lists_from_text,
    window_calendar_update,
    window_can_edit,
    window_update,
)

WINDOW_FIELDS = ("opening_hours", "lunch_starts", "lunch_ends", "counters", "phone", "address")


def _time(value: Any) -> str:
    return value.strftime("%H:%M") if value else ""


def _errors(exc: ApplicationError) -> dict[str, list[str]]:
    """Every problem by field, so each message stands beside its field."""
    out: dict[str, list[str]] = {}
    for error in exc.errors:
        out.setdefault(error.field, []).append(error.message)
    if not exc.errors:
        out.setdefault(exc.field or "general", []).append(exc.message)
    return out


def _window_or_404(request: HttpRequest, code: str) -> Window:
    try:
        return window_get_for_staff(user=request.user, code=code)
    except WindowNotFound as exc:
        raise Http404(exc.message) from exc


@login_required
def windows(request: HttpRequest) -> HttpResponse:
    try:
        rows = windows_for_staff(user=request.user)
    except ApplicationError as exc:
        raise PermissionDenied(exc.message) from exc
    return render(
        request,
        "workbench/window_list.html",
        {
            "rows": [
                {
                    "w": w,
                    "services": [BOOKING_SERVICE_LABELS.get(s, s) for s in w.services],
                    "calendar": getattr(w, "calendar", None),
                    "lunch": f"{_time(w.lunch_starts)}–{_time(w.lunch_ends)}"
                    if w.lunch_starts
                    else "",
                }
                for w in rows
            ],
            "profile": staff_profile(request.user),
        },
    )


def _window_form(window: Window) -> dict[str, Any]:
    return {
        "opening_hours": window.opening_hours,
        "lunch_starts": _time(window.lunch_starts),
        "lunch_ends": _time(window.lunch_ends),
        "counters": window.counters,
        "phone": window.phone,
        "address": window.address,
        "services": list(window.services),
        "active": window.active,
    }


@login_required
def window_edit(request: HttpRequest, code: str) -> HttpResponse:
    window = _window_or_404(request, code)
    form = _window_form(window)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        form = {name: request.POST.get(name, "") for name in WINDOW_FIELDS}
        form["services"] = request.POST.getlist("services")
        form["active"] = request.POST.get("active") == "on"
        try:
            window_update(user=request.user, code=window.code, data=form)
        except WindowNotFound as exc:
            raise Http404(exc.message) from exc
        except ApplicationError as exc:
            errors, status = _errors(exc), exc.status
        else:
            messages.success(request, _("窗口设置已保存，并已发布到网上服务平台"))
            return redirect("workbench:window_edit", code=window.code)
    return render(
        request,
        "workbench/window_edit.html",
        {
            "w": window,
            "form": form,
            "errors": errors,
            "services": list(BOOKING_SERVICE_LABELS.items()),
            "can_edit": window_can_edit(user=request.user, window=window),
            "profile": staff_profile(request.user),
        },
        status=status,
    )


def _calendar_form(calendar: WindowCalendar | None) -> dict[str, Any]:
    hours = {d["weekday"]: d for d in calendar.hours} if calendar else {}
    return {
        "slot_minutes": calendar.slot_minutes if calendar else 20,
        "counters_per_slot": calendar.counters_per_slot if calendar else 1,
        "horizon_days": calendar.horizon_days if calendar else 14,
        "min_notice_minutes": calendar.min_notice_minutes if calendar else 120,
        "online_quota_per_day": calendar.online_quota_per_day if calendar else 0,
        "hours": [
            {
                "weekday": n,
                "label": WEEKDAYS_ZH[n],
                "opens": hours.get(n, {}).get("opens", ""),
                "closes": hours.get(n, {}).get("closes", ""),
            }
            for n in range(7)
        ],
        "holidays": "\n".join(calendar.holidays) if calendar else "",
        "workdays": "\n".join(
            f"{w['date']} {WEEKDAYS_ZH[w['as_weekday']]}" for w in calendar.workdays
        )
        if calendar
        else "",
        "closures": "\n".join(
            " ".join(
                filter(
                    None,
                    [
                        c["date"],
                        f"{c['starts']}-{c['ends']}" if c["starts"] else "",
                        c["reason"],
                    ],
                )
            )
            for c in calendar.closures
        )
        if calendar
        else "",
    }


CALENDAR_NUMBERS = (
    "slot_minutes",
    "counters_per_slot",
    "horizon_days",
    "min_notice_minutes",
    "online_quota_per_day",
)


@login_required
def calendar_edit(request: HttpRequest, code: str) -> HttpResponse:
    window = _window_or_404(request, code)
    form = _calendar_form(getattr(window, "calendar", None))
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        post = request.POST
        hours = [
            {
                "weekday": n,
                "label": WEEKDAYS_ZH[n],
                "opens": post.get(f"opens_{n}", "").strip(),
                "closes": post.get(f"closes_{n}", "").strip(),
            }
            for n in range(7)
        ]
        form = {name: post.get(name, "") for name in CALENDAR_NUMBERS}
        form.update(
            hours=hours,
            holidays=post.get("holidays", ""),
            workdays=post.get("workdays", ""),
            closures=post.get("closures", ""),
        )
        data: dict[str, Any] = {name: form[name] for name in CALENDAR_NUMBERS}
        data["hours"] = [h for h in hours if h["opens"] or h["closes"]]
        data.update(
            calendar_lists_from_text(
                holidays=form["holidays"], workdays=form["workdays"], closures=form["closures"]
            )
        )
        try:
            window_calendar_update(user=request.user, code=window.code, data=data)
        except WindowNotFound as exc:
            raise Http404(exc.message) from exc
        except ApplicationError as exc:
            errors, status = _errors(exc), exc.status
        else:
            messages.success(request, _("预约日历已保存，并已发布到网上服务平台"))
            return redirect("workbench:window_calendar", code=window.code)
    return render(
        request,
        "workbench/window_calendar.html",
        {
            "w": window,
            "form": form,
            "errors": errors,
            "can_edit": window_can_edit(user=request.user, window=window),
            "profile": staff_profile(request.user),
        },
        status=status,
    )


def _appointment_rows(rows: list[Appointment]) -> list[dict[str, Any]]:
    return [
        {
            "a": a,
            "service": BOOKING_SERVICE_LABELS.get(a.service, a.service),
            "status": AppointmentStatus(a.status).label,
            "cancel_reason": CANCEL_REASON_LABELS.get(a.cancel_reason, ""),
            "can_check_in": appointment_can_mark(
                appointment=a, status=AppointmentStatus.CHECKED_IN
            ),
            "can_no_show": appointment_can_mark(appointment=a, status=AppointmentStatus.NO_SHOW),
        }
        for a in rows
    ]


def _today(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    try:
        rows = appointments_today_for_staff(user=request.user, purpose="appointments_today")
    except ApplicationError as exc:
        raise PermissionDenied(exc.message) from exc
    booked = [a for a in rows if a.status != AppointmentStatus.CANCELLED]
    return render(
        request,
        "workbench/appointments_today.html",
        {
            "rows": _appointment_rows(rows),
            "today": timezone.localdate(),
            "counts": {
                "booked": len(booked),
                "checked_in": sum(a.status == AppointmentStatus.CHECKED_IN for a in rows),
                "no_show": sum(a.status == AppointmentStatus.NO_SHOW for a in rows),
            },
            "error": error,
            "profile": staff_profile(request.user),
        },
        status=status,
    )


@login_required
def appointments_today(request: HttpRequest) -> HttpResponse:
    return _today(request)


def _mark(request: HttpRequest, reference: str, *, no_show: bool) -> HttpResponse:
    mark = appointment_mark_no_show if no_show else appointment_check_in
    try:
        appointment = mark(user=request.user, reference=reference)
    except AppointmentNotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        return _today(request, error=exc.message, status=exc.status)
    # The reference, not the name: a message may travel in a cookie.
    messages.success(
        request,
        _("已标记预约 %(ref)s 未到场") % {"ref": appointment.reference}
        if no_show
        else _("预约 %(ref)s 已到场签到") % {"ref": appointment.reference},
    )
    if not no_show and appointment.application_reference:
        # Checked in for an application: straight on to its case, to accept it.
        return redirect("workbench:station_case", reference=appointment.application_reference)
    return redirect("workbench:appointments_today")


@login_required
@require_POST
def appointment_check_in_view(request: HttpRequest, reference: str) -> HttpResponse:
    return _mark(request, reference, no_show=False)


@login_required
@require_POST
def appointment_no_show_view(request: HttpRequest, reference: str) -> HttpResponse:
    return _mark(request, reference, no_show=True)


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    try:
        result = coverage_for_staff(user=request.user)
    except ApplicationError as exc:
        raise PermissionDenied(exc.message) from exc
    return render(
        request,
        "workbench/coverage.html",
        {
            "c": result,
            "percent": f"{result.share * 100:.1f}",
            "travel_model": TRAVEL_MODEL_NOTE,
            "points_note": COMMUNITY_POINTS_NOTE,
            "profile": staff_profile(request.user),
        },
    )

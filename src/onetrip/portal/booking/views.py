"""Resident pages for booking the visit (mobile-first, no JavaScript needed): a window's free
slots by day, the hold with its confirm form (and the challenge when it is asked), the booked
page with the calendar file, my bookings, cancel, reschedule, and the waitlist with its offers.
Another resident's booking is "not found" everywhere."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from onetrip.common.errors import ApplicationError
from onetrip.common.http import client_address
from onetrip.contracts.booking import (
    BOOKING_SERVICE_LABELS,
    BOOKING_STATUS_LABELS,
    CANCEL_REASON_LABELS,
)
from onetrip.portal.accounts.auth import current_resident, resident_required
from onetrip.portal.accounts.models import Resident
from onetrip.portal.permits.errors import ApplicationNotFound
from onetrip.portal.permits.models import PermitApplication
from onetrip.portal.permits.selectors import (
    permit_application_of_resident,
    permit_applications_of,
)
from onetrip.portal.windows.models import Window

from .calendar import TZ, local
from .dates import time_range, when_text
from .errors import BookingNotFound, CaptchaRequired, WindowNotFound
from .ics import booking_ics
from .models import ACTIVE_STATUSES, Booking, BookingStatus
from .selectors import (
    DaySlots,
    active_window,
    booking_of_resident,
    bookings_of,
    reschedule_days,
    waitlist_of,
    window_days,
)
from .services import (
    BOOKABLE_APPLICATION_STATUSES,
    SERVICE_OF_KIND,
    booking_can_change,
    booking_cancel,
    booking_confirm,
    booking_default_name,
    booking_hold,
    booking_reschedule,
    waitlist_join,
    waitlist_leave,
)

# The history's actions in words.
ACTION_LABELS: dict[str, Any] = {
    "held": gettext_lazy("选择时段，保留待确认"),
    "offered": gettext_lazy("候补有空位，为您保留"),
    "booked": gettext_lazy("预约成功"),
    "moved": gettext_lazy("改约"),
    "released": gettext_lazy("释放保留的时段"),
    "expired": gettext_lazy("保留时间已过，时段已释放"),
    "cancelled": gettext_lazy("取消预约"),
    "checked_in": gettext_lazy("到窗口办理"),
    "no_show": gettext_lazy("未到场"),
}


def _status_label(booking: Booking) -> str:
    if booking.status in BOOKING_STATUS_LABELS:
        return str(BOOKING_STATUS_LABELS[booking.status])
    return _("待确认") if booking.status == BookingStatus.HELD else _("已释放")


def _resident(request: HttpRequest) -> Resident:
    resident = current_resident(request)
    assert resident is not None
    return resident


def _own(request: HttpRequest, reference: str) -> Booking:
    try:
        return booking_of_resident(resident=_resident(request), reference=reference)
    except BookingNotFound as exc:
        raise Http404(_("未找到该预约")) from exc


def _window(code: str) -> Window:
    try:
        return active_window(code)
    except WindowNotFound as exc:
        raise Http404(_("未找到该办证窗口")) from exc


def _parse_day(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw or "")
    except ValueError:
        return None


def _parse_start(raw: str | None) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(raw or "")
    except ValueError:
        value = dt.datetime(1970, 1, 1, tzinfo=TZ)
    return value if value.tzinfo else value.replace(tzinfo=TZ)


def _ready_applications(resident: Resident) -> list[PermitApplication]:
    """The resident's applications that passed pre-review and have no active booking."""
    booked = set(
        Booking.objects.filter(
            resident=resident, status__in=ACTIVE_STATUSES, application__isnull=False
        ).values_list("application_id", flat=True)
    )
    return [
        a
        for a in permit_applications_of(resident=resident).filter(
            status__in=BOOKABLE_APPLICATION_STATUSES
        )
        if a.pk not in booked
    ]


def _application_of(resident: Resident, reference: str) -> PermitApplication | None:
    if not reference:
        return None
    try:
        return permit_application_of_resident(resident=resident, reference=reference)
    except ApplicationNotFound:
        return None


def _day_rows(days: list[DaySlots]) -> list[dict[str, Any]]:
    return [
        {
            "day": d.day,
            "open": d.open,
            "full": d.full,
            "free": min(sum(s.free for s in d.free_slots), d.quota_left),
        }
        for d in days
    ]


def _slots_context(
    request: HttpRequest,
    window: Window,
    days: list[DaySlots],
    *,
    current: dt.datetime | None = None,
) -> dict[str, Any]:
    """The day list and the chosen day's slots; `current` is the start of the booking being
    moved, shown but not offered (choosing it would change nothing)."""
    chosen = _parse_day(request.GET.get("day") or request.POST.get("day"))
    shown = next((d for d in days if d.day == chosen), None)
    if shown is None:
        shown = next((d for d in days if d.free_slots), days[0] if days else None)
    return {
        "window": window,
        "days": _day_rows(days),
        "shown": shown,
        "slots": [
            {
                "value": local(s.starts_at).isoformat(),
                "time": time_range(s.starts_at, s.ends_at),
                # A slot never offers more seats than its day has left of the online quota.
                "free": min(s.free, shown.quota_left) if shown else 0,
                "current": s.starts_at == current,
            }
            for s in (shown.slots if shown else [])
        ],
    }


@resident_required
def home(request: HttpRequest) -> HttpResponse:
    """My bookings, my waitlist places, and applications ready to be booked."""
    resident = _resident(request)
    rows = [
        {
            "b": b,
            "when": when_text(b.starts_at, b.ends_at),
            "status": _status_label(b),
            "service": BOOKING_SERVICE_LABELS.get(b.service, b.service),
        }
        for b in bookings_of(resident=resident)[:50]
    ]
    return render(
        request,
        "booking/home.html",
        {
            "rows": rows,
            "waiting": waitlist_of(resident=resident),
            "ready": _ready_applications(resident),
        },
    )


@resident_required
@require_http_methods(["GET", "HEAD"])
def window(request: HttpRequest, code: str) -> HttpResponse:
    """One window's free slots, day by day; a full day offers its waitlist."""
    resident = _resident(request)
    place = _window(code)
    application = _application_of(resident, request.GET.get("application", ""))
    context = _slots_context(request, place, window_days(window=place, now=timezone.now()))
    services = [
        (s, BOOKING_SERVICE_LABELS[s]) for s in place.services or [] if s in BOOKING_SERVICE_LABELS
    ]
    chosen_service = request.GET.get("service", "")
    if application is not None:
        chosen_service = SERVICE_OF_KIND.get(application.kind, chosen_service)
    if chosen_service not in dict(services):
        chosen_service = services[0][0] if services else ""
    context.update(
        {
            "services": services,
            "service": chosen_service,
            "application": application,
            "ready": [] if application is not None else _ready_applications(resident),
            "name": booking_default_name(resident=resident),
        }
    )
    return render(request, "booking/window.html", context)


@resident_required
@require_POST
def hold(request: HttpRequest, code: str) -> HttpResponse:
    """Hold the chosen slot; the challenge is asked here when the resident or the network
    made several holds in the last hour."""
    resident = _resident(request)
    place = _window(code)
    try:
        booking = booking_hold(
            resident=resident,
            window_code=place.code,
            service=request.POST.get("service", ""),
            starts_at=_parse_start(request.POST.get("starts_at")),
            application_reference=request.POST.get("application", ""),
            client_ip=client_address(request),
            captcha_token=request.POST.get("captcha_token", ""),
            captcha_answer=request.POST.get("captcha_answer", ""),
        )
    except CaptchaRequired as exc:
        return render(
            request,
            "booking/captcha.html",
            {
                "window": place,
                "error": exc.message if exc.code == "captcha_wrong" else "",
                "challenge": exc.extra["captcha"],
                "posted": {
                    k: request.POST.get(k, "") for k in ("service", "starts_at", "application")
                },
                "action": request.path,
            },
            status=400,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        day = _parse_start(request.POST.get("starts_at")).astimezone(TZ).date().isoformat()
        return redirect(f"{request.path.removesuffix('hold/')}?day={day}")
    return redirect("booking:booking", reference=booking.reference)


@resident_required
@require_http_methods(["GET", "HEAD"])
def booking(request: HttpRequest, reference: str) -> HttpResponse:
    """A hold with its confirm form, or a booking with its calendar file and the changes
    still allowed."""
    resident = _resident(request)
    found = _own(request, reference)
    now = timezone.now()
    live_hold = (
        found.status == BookingStatus.HELD
        and found.hold_expires_at is not None
        and found.hold_expires_at >= now
    )
    return render(
        request,
        "booking/booking.html",
        {
            "b": found,
            "when": when_text(found.starts_at, found.ends_at),
            "status": _status_label(found),
            "service": BOOKING_SERVICE_LABELS.get(found.service, found.service),
            "live_hold": live_hold,
            "hold_until": local(found.hold_expires_at) if found.hold_expires_at else None,
            "needs_name": found.application is None,
            "name": found.name or booking_default_name(resident=resident),
            "can_change": booking_can_change(found, now=now),
            "cancel_reason": CANCEL_REASON_LABELS.get(found.cancel_reason, ""),
            "history": [
                {"at": e.at, "what": ACTION_LABELS.get(e.action, e.action), "when": e.starts_at}
                for e in found.events.all()
            ],
        },
    )


@resident_required
@require_POST
def confirm(request: HttpRequest, reference: str) -> HttpResponse:
    found = _own(request, reference)
    try:
        booking_confirm(
            resident=_resident(request),
            reference=found.reference,
            name=request.POST.get("name", ""),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        if exc.code == "hold_expired":
            return redirect("booking:window", code=found.window.code)
        return redirect("booking:booking", reference=found.reference)
    messages.success(request, _("预约成功，短信已发送到您的手机。"))
    return redirect("booking:booking", reference=found.reference)


@resident_required
@require_POST
def cancel(request: HttpRequest, reference: str) -> HttpResponse:
    found = _own(request, reference)
    try:
        booking_cancel(resident=_resident(request), reference=found.reference)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("booking:booking", reference=found.reference)
    messages.success(request, _("预约已取消。"))
    return redirect("booking:home")


@resident_required
@require_http_methods(["GET", "HEAD", "POST"])
def reschedule(request: HttpRequest, reference: str) -> HttpResponse:
    """Choose another slot of the same window; the booking moves only when the new seat is
    taken."""
    found = _own(request, reference)
    if request.method == "POST":
        try:
            booking_reschedule(
                resident=_resident(request),
                reference=found.reference,
                starts_at=_parse_start(request.POST.get("starts_at")),
                client_ip=client_address(request),
                captcha_token=request.POST.get("captcha_token", ""),
                captcha_answer=request.POST.get("captcha_answer", ""),
            )
        except CaptchaRequired as exc:
            return render(
                request,
                "booking/captcha.html",
                {
                    "window": found.window,
                    "error": exc.message if exc.code == "captcha_wrong" else "",
                    "challenge": exc.extra["captcha"],
                    "posted": {"starts_at": request.POST.get("starts_at", "")},
                    "action": request.path,
                },
                status=400,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("booking:reschedule", reference=found.reference)
        messages.success(request, _("已改约，短信已发送到您的手机。"))
        return redirect("booking:booking", reference=found.reference)
    days = reschedule_days(booking=found, now=timezone.now())
    context = _slots_context(request, found.window, days, current=found.starts_at)
    context.update({"b": found, "when": when_text(found.starts_at, found.ends_at)})
    return render(request, "booking/reschedule.html", context)


@resident_required
@require_http_methods(["GET", "HEAD"])
def calendar_file(request: HttpRequest, reference: str) -> HttpResponse:
    found = _own(request, reference)
    response = HttpResponse(booking_ics(booking=found), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = str(
        content_disposition_header(True, f"{found.reference}.ics")
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@resident_required
@require_POST
def join_waitlist(request: HttpRequest, code: str) -> HttpResponse:
    place = _window(code)
    day = _parse_day(request.POST.get("day")) or dt.date(1970, 1, 1)
    try:
        waitlist_join(
            resident=_resident(request),
            window_code=place.code,
            day=day,
            service=request.POST.get("service", ""),
            application_reference=request.POST.get("application", ""),
            name=request.POST.get("name", ""),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(f"{request.path.removesuffix('waitlist/')}?day={day.isoformat()}")
    messages.success(
        request, _("已加入候补。有空位时将短信通知您，并为您保留一段时间，请及时确认。")
    )
    return redirect("booking:home")


@resident_required
@require_POST
def leave_waitlist(request: HttpRequest, entry_id: int) -> HttpResponse:
    try:
        waitlist_leave(resident=_resident(request), entry_id=entry_id)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc
    messages.success(request, _("已退出候补。"))
    return redirect("booking:home")

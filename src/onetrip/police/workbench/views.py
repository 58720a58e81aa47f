"""The police workbench: a station's queue of declarations and the decision on each.

Views parse input, call one service or selector, and render; every display of a declaration's
personal data writes an audit row (DESIGN §8)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from onetrip.common import divisions
from onetrip.common.errors import ApplicationError
from onetrip.common.masking import mask_id_number, mask_name, mask_phone
from onetrip.contracts.declarations import (
    CANCEL_REASON_LABELS,
    CHANGE_CHANNEL_LABELS,
    HOUSING_TYPE_LABELS,
    PERMIT_EFFECT_LABELS,
    RESIDENCE_REASON_LABELS,
)
from onetrip.police.accounts.models import Role
from onetrip.police.accounts.selectors import staff_profile
from onetrip.police.register.changes import (
    change_deadline,
    registration_can_change,
    registration_cancel,
    registration_change_input,
    registration_change_record,
)
from onetrip.police.register.errors import DeclarationNotFound
from onetrip.police.register.models import RegistrationStatus
from onetrip.police.register.selectors import (
    CHANGE_FIELDS,
    DETAIL_FIELDS,
    declaration_counts_for_staff,
    declaration_get_for_staff,
    declaration_next_for_staff,
    declaration_queue_for_staff,
    registration_changes_of,
)
from onetrip.police.register.services import (
    declaration_can_decide,
    declaration_return,
    declaration_verify,
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each officer starts where their work is: an approver at the approval queue, each of the
    three administrators at their own page, everyone else at the declarations to verify."""
    profile = staff_profile(request.user)
    return redirect(ROLE_HOME.get(profile.role if profile else "", "workbench:queue"))


ROLE_HOME = {
    Role.APPROVER: "workbench:station_queue",
    Role.SYSTEM_ADMIN: "workbench:staff_accounts",
    Role.SECURITY_ADMIN: "workbench:security_admin",
    Role.AUDIT_ADMIN: "workbench:audit_log",
}


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", RegistrationStatus.DECLARED)
    if status not in RegistrationStatus.values:
        status = RegistrationStatus.DECLARED
    query = request.GET.get("q", "").strip()[:40]
    now = timezone.now()
    rows = [
        {
            "reference": d.reference,
            "name": mask_name(d.name),
            "id_number": mask_id_number(d.id_number),
            "community": divisions.community_label(d.community_code),
            "received_at": d.received_at,
            "waiting": now - d.received_at,
            "status": d.get_status_display(),
            "flag": d.get_duplicate_flag_display() if d.duplicate_flag else "",
            "related_reference": d.related_reference,
            "station": d.station.name,
        }
        for d in declaration_queue_for_staff(
            user=request.user, status=status, purpose="work_queue", query=query
        )
    ]
    counts = declaration_counts_for_staff(user=request.user)
    return render(
        request,
        "workbench/queue.html",
        {
            "rows": rows,
            "status": status,
            "query": query,
            "statuses": [
                (value, label, counts[value]) for value, label in RegistrationStatus.choices
            ],
            "profile": staff_profile(request.user),
        },
    )


# Who moved a case, in words a clerk reads at a glance (the history stores system actors).
ACTOR_LABELS = {"ferry": gettext_lazy("网上申报平台"), "system": gettext_lazy("系统")}


def _address_choices(request: HttpRequest, community_code: str) -> dict[str, object]:
    """District → street → community for the change form, from the page's GET choices (the
    form reloads without JavaScript), starting from the registration's own street."""
    current = divisions.community(community_code)
    district = request.GET.get("district", "")
    street_code = request.GET.get("street", "")
    if not district and current is not None:
        street_code = street_code or current.street_code
        street = divisions.street(street_code)
        district = street.district_code if street is not None else ""
    street = divisions.street(street_code) if street_code else None
    if street is not None and street.district_code != district:
        street = None
    return {
        "districts": [d for d in divisions.districts() if d.current],
        "streets": divisions.streets_of(district) if district else [],
        "communities": divisions.communities_of(street.code) if street is not None else [],
        "district": district,
        "street": street.code if street is not None else "",
    }


def _change_rows(declaration: object, *, reveal: bool) -> list[dict[str, object]]:
    rows = []
    for change in registration_changes_of(declaration=declaration):  # type: ignore[arg-type]
        rows.append(
            {
                "change": change,
                "channel": CHANGE_CHANNEL_LABELS.get(change.channel, change.channel),
                "deadline": change_deadline(change.changed_on),
                "old_community": divisions.community_label(change.old_community_code),
                "community": divisions.community_label(change.community_code),
                "landlord_phone": (
                    change.landlord_phone if reveal else mask_phone(change.landlord_phone)
                ),
            }
        )
    return rows


def _detail(request: HttpRequest, reference: str, *, reveal: bool) -> HttpResponse:
    try:
        declaration = declaration_get_for_staff(
            user=request.user,
            reference=reference,
            purpose="verify_declaration",
            fields=(*DETAIL_FIELDS, *CHANGE_FIELDS),
            reveal=reveal,
        )
    except DeclarationNotFound as exc:
        raise Http404(exc.message) from exc
    can_change = registration_can_change(user=request.user, declaration=declaration)
    return render(
        request,
        "workbench/detail.html",
        {
            "d": declaration,
            "reveal": reveal,
            "id_number": declaration.id_number if reveal else mask_id_number(declaration.id_number),
            "phone": declaration.phone if reveal else mask_phone(declaration.phone),
            "landlord_phone": (
                declaration.landlord_phone if reveal else mask_phone(declaration.landlord_phone)
            ),
            "community": divisions.community_label(declaration.community_code),
            "housing_type": HOUSING_TYPE_LABELS.get(declaration.housing_type, ""),
            "reason": RESIDENCE_REASON_LABELS.get(declaration.reason, ""),
            "guardian_id_number": (
                declaration.guardian_id_number
                if reveal
                else mask_id_number(declaration.guardian_id_number)
            ),
            "history": [
                (h, RegistrationStatus(h.to_status).label, ACTOR_LABELS.get(h.actor, h.actor))
                for h in declaration.history.all()
            ],
            "changes": _change_rows(declaration, reveal=reveal),
            "cancel_reason": CANCEL_REASON_LABELS.get(declaration.cancel_reason, ""),
            "permit_effect": PERMIT_EFFECT_LABELS.get(declaration.permit_effect, ""),
            "can_decide": declaration_can_decide(user=request.user, declaration=declaration),
            "can_change": can_change,
            "cancel_reasons": list(CANCEL_REASON_LABELS.items()),
            "housing_types": list(HOUSING_TYPE_LABELS.items()),
            **(_address_choices(request, declaration.community_code) if can_change else {}),
            "today": dt.date.today().isoformat(),
            "profile": staff_profile(request.user),
        },
    )


@login_required
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _detail(request, reference, reveal=False)


@login_required
@require_POST
def reveal(request: HttpRequest, reference: str) -> HttpResponse:
    return _detail(request, reference, reveal=True)


@login_required
@require_POST
def verify(request: HttpRequest, reference: str) -> HttpResponse:
    raw = request.POST.get("registered_on", "").strip()
    try:
        on = dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        messages.error(request, _("登记日期格式不正确"))
        return redirect("workbench:detail", reference=reference)
    try:
        declaration = declaration_verify(user=request.user, reference=reference, registered_on=on)
    except DeclarationNotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("已登记，登记编号 %(number)s") % {"number": declaration.registration_number}
        )
        return _next_case(request, after=reference)
    return redirect("workbench:detail", reference=reference)


@login_required
@require_POST
def return_(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        declaration_return(
            user=request.user, reference=reference, reason=request.POST.get("reason", "")
        )
    except DeclarationNotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已退回申报人"))
        return _next_case(request, after=reference)
    return redirect("workbench:detail", reference=reference)


def _next_case(request: HttpRequest, *, after: str) -> HttpResponse:
    """After a decision, straight on to the next waiting case, or back to the empty queue."""
    nxt = declaration_next_for_staff(user=request.user, after=after)
    if nxt is None:
        messages.info(request, _("队列中已没有待核查的申报"))
        return redirect("workbench:queue")
    return redirect("workbench:detail", reference=nxt)


CHANGE_POST_FIELDS = (
    "changed_on",
    "community_code",
    "address_detail",
    "housing_type",
    "landlord_name",
    "landlord_phone",
    "employer_name",
)


@login_required
@require_POST
def registration_change(request: HttpRequest, reference: str) -> HttpResponse:
    """Record a change of address or workplace for a person at the window (ZJ-11)."""
    try:
        change = registration_change_input(
            **{name: request.POST.get(name, "") for name in CHANGE_POST_FIELDS}
        )
        row = registration_change_record(user=request.user, reference=reference, change=change)
    except DeclarationNotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        for problem in exc.errors or [exc]:
            messages.error(request, problem.message)
    else:
        note = _("（逾期申报）") if row.late else ""
        messages.success(request, _("已记录变更%(note)s") % {"note": note})
        if row.moved_station:
            moved = _("新地址属%(station)s辖区，登记已转至该所")
            messages.info(request, moved % {"station": row.station.name})
            return redirect("workbench:queue")
    return redirect("workbench:detail", reference=reference)


@login_required
@require_POST
def registration_cancel_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Cancel (注销) a registration at the station, with its reason (WF-1)."""
    raw = request.POST.get("cancelled_on", "").strip()
    try:
        on = dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        messages.error(request, _("注销日期格式不正确"))
        return redirect("workbench:detail", reference=reference)
    try:
        registration_cancel(
            user=request.user,
            reference=reference,
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
            cancelled_on=on,
        )
    except DeclarationNotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("居住登记已注销"))
    return redirect("workbench:detail", reference=reference)

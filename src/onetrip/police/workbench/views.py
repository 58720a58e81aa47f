"""The police workbench: a station's queue of declarations and the decision on each.

Views parse input, call one service or selector, and render; every display of a declaration's
personal data writes an audit row (DESIGN §8)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from onetrip.common import divisions
from onetrip.common.masking import mask_id_number, mask_name, mask_phone
from onetrip.contracts.declarations import HOUSING_TYPE_LABELS, RESIDENCE_REASON_LABELS
from onetrip.police.accounts.selectors import staff_profile
from onetrip.police.audit.services import audit_read_personal_data
from onetrip.police.register.errors import DeclarationNotFound, RegisterError
from onetrip.police.register.models import RegistrationStatus, ResidenceDeclaration
from onetrip.police.register.selectors import declaration_for_staff, declaration_queue

DETAIL_FIELDS = [
    "name",
    "id_number",
    "phone",
    "address_detail",
    "landlord_name",
    "landlord_phone",
    "guardian_name",
    "guardian_id_number",
]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("workbench:queue")


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", RegistrationStatus.DECLARED)
    if status not in RegistrationStatus.values:
        status = RegistrationStatus.DECLARED
    rows = [
        {
            "reference": d.reference,
            "name": mask_name(d.name),
            "id_number": mask_id_number(d.id_number),
            "community": divisions.community_label(d.community_code),
            "received_at": d.received_at,
            "station": d.station.name,
        }
        for d in declaration_queue(user=request.user, status=status)[:200]
    ]
    if rows:
        audit_read_personal_data(
            user=request.user,
            object_type="residence_declaration",
            object_id=f"queue:{status}",
            fields=["name:masked", "id_number:masked", "community_code"],
            purpose="work_queue",
        )
    return render(
        request,
        "workbench/queue.html",
        {
            "rows": rows,
            "status": status,
            "statuses": RegistrationStatus.choices,
            "profile": staff_profile(request.user),
        },
    )


def _detail(request: HttpRequest, reference: str, *, reveal: bool) -> HttpResponse:
    try:
        declaration = declaration_for_staff(user=request.user, reference=reference)
    except DeclarationNotFound as exc:
        raise Http404(_("未找到该申报")) from exc
    audit_read_personal_data(
        user=request.user,
        object_type="residence_declaration",
        object_id=declaration.reference,
        fields=DETAIL_FIELDS + (["id_number:full", "phone:full"] if reveal else []),
        purpose="reveal" if reveal else "verify_declaration",
    )
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
                (h, RegistrationStatus(h.to_status).label) for h in declaration.history.all()
            ],
            "can_decide": declaration.status == RegistrationStatus.DECLARED,
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


def _decide(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    from onetrip.police.register.services import declaration_return, declaration_verify

    try:
        if action == "verify":
            raw = request.POST.get("registered_on", "").strip()
            on = dt.date.fromisoformat(raw) if raw else None
            declaration: ResidenceDeclaration = declaration_verify(
                user=request.user, reference=reference, registered_on=on
            )
            messages.success(
                request,
                _("已登记，登记编号 %(number)s") % {"number": declaration.registration_number},
            )
        else:
            declaration_return(
                user=request.user, reference=reference, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("已退回申报人"))
    except DeclarationNotFound as exc:
        raise Http404(_("未找到该申报")) from exc
    except ValueError:
        messages.error(request, _("登记日期格式不正确"))
    except RegisterError as exc:
        messages.error(request, exc.message_en if request.LANGUAGE_CODE == "en" else exc.message_zh)
    return redirect("workbench:detail", reference=reference)


@login_required
@require_POST
def verify(request: HttpRequest, reference: str) -> HttpResponse:
    return _decide(request, reference, "verify")


@login_required
@require_POST
def return_(request: HttpRequest, reference: str) -> HttpResponse:
    return _decide(request, reference, "return")

"""Workbench pages of organisation reporting (单位代报): what was reported in a station's
jurisdiction, the organisations that report late, the conflicts to look into, and the
organisations waiting for the district's approval.

Views parse input, call one service or selector, and render; the rules, the scope and the audit
rows of every read are in `selectors.py` and `services.py`. Identifiers are shown masked."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from onetrip.common import divisions
from onetrip.common.errors import ApplicationError
from onetrip.common.masking import mask_id_number, mask_name, mask_phone
from onetrip.contracts.reporting import (
    ORGANISATION_DECISION_LABELS,
    ORGANISATION_KIND_LABELS,
    PERSON_RELATION_LABELS,
)
from onetrip.police.accounts.selectors import staff_profile

from .errors import ConflictNotFound, OrganisationNotFound
from .models import OrganisationStatus, ReportConflict
from .selectors import (
    STAY_STATES,
    conflicts_for_staff,
    fine_per_person_yuan,
    late_organisations_for_staff,
    organisation_counts_for_staff,
    organisation_queue_for_staff,
    organisations_may_decide,
    reporting_may_read,
    stays_for_staff,
)
from .services import (
    conflict_can_resolve,
    conflict_resolve,
    organisation_can_decide,
    organisation_decide,
)

# What the district's buttons say: the action, where the contract's labels name the outcome.
DECISION_ACTIONS = {
    "approved": gettext_lazy("通过审核"),
    "refused": gettext_lazy("不予通过"),
    "suspended": gettext_lazy("暂停报送"),
}
RESUME_ACTION = gettext_lazy("恢复报送")

# The periods the late-reporting page offers, in days ("" for all).
LATE_PERIODS = ("30", "90", "365", "")


def _nav(request: HttpRequest, current: str) -> dict[str, Any]:
    profile = staff_profile(request.user)
    return {
        "profile": profile,
        "section": current,
        "may_read": reporting_may_read(profile),
        "may_decide": organisations_may_decide(profile),
    }


def _refused(exc: ApplicationError) -> PermissionDenied:
    return PermissionDenied(exc.message)


def _staff(request: HttpRequest) -> AbstractBaseUser:
    """The logged-in user, for the services that record who acted (`login_required` has let
    only them in)."""
    user = request.user
    if not isinstance(user, AbstractBaseUser):
        raise PermissionDenied
    return user


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Each officer starts where their reporting work is: the district's approvals for a
    district or city administrator with organisations waiting, else the reported stays."""
    profile = staff_profile(request.user)
    if organisations_may_decide(profile):
        waiting = organisation_counts_for_staff(user=request.user)[OrganisationStatus.PENDING]
        if waiting:
            return redirect("reporting:organisations")
    return redirect("reporting:stays")


def _int(value: str, default: int) -> int:
    try:
        return int(value)
    except ValueError:
        return default


@login_required
@require_GET
def stays(request: HttpRequest) -> HttpResponse:
    organisation = request.GET.get("organisation", "").strip()[:18]
    late_only = request.GET.get("late") == "1"
    state = request.GET.get("state", "")
    if state not in STAY_STATES:
        state = ""
    page_number = _int(request.GET.get("page", "1"), 1)
    try:
        page = stays_for_staff(
            user=request.user,
            organisation=organisation,
            late_only=late_only,
            state=state,
            page=page_number,
        )
    except ApplicationError as exc:
        raise _refused(exc) from exc
    rows = [
        {
            "reported_at": s.reported_at,
            "organisation": s.organisation.name,
            "credit_code": s.organisation.credit_code,
            "name": mask_name(s.person.name),
            "id_number": mask_id_number(s.person.id_number),
            "relation": PERSON_RELATION_LABELS.get(s.relation, s.relation),
            "community": divisions.community_label(s.community_code),
            "station": s.station.name,
            "started_on": s.started_on,
            "due_on": s.due_on,
            "late": s.late,
            "ended_on": s.ended_on,
            "ended_due_on": s.ended_due_on,
            "ended_late": s.ended_late,
        }
        for s in page.stays
    ]
    filters = {"organisation": organisation, "late": "1" if late_only else "", "state": state}
    kept = {k: v for k, v in filters.items() if v}

    def page_url(number: int) -> str:
        return "?" + urlencode({**kept, "page": str(number)})

    return render(
        request,
        "reporting/stays.html",
        {
            **_nav(request, "stays"),
            "rows": rows,
            "filters": filters,
            "fine_per_person": fine_per_person_yuan(),
            "states": [("", _("全部")), ("open", _("在住/在职")), ("closed", _("已离开"))],
            "page": page.page,
            "previous_url": page_url(page.page - 1) if page.page > 1 else "",
            "next_url": page_url(page.page + 1) if page.has_next else "",
        },
    )


@login_required
@require_GET
def late(request: HttpRequest) -> HttpResponse:
    period = request.GET.get("period", "90")
    if period not in LATE_PERIODS:
        period = "90"
    since = timezone.localdate() - dt.timedelta(days=int(period)) if period else None
    try:
        rows = late_organisations_for_staff(user=request.user, since=since)
    except ApplicationError as exc:
        raise _refused(exc) from exc
    return render(
        request,
        "reporting/late.html",
        {
            **_nav(request, "late"),
            "rows": [{"o": o, "kind": ORGANISATION_KIND_LABELS.get(o.kind, o.kind)} for o in rows],
            "period": period,
            "periods": [
                ("30", _("近30天")),
                ("90", _("近90天")),
                ("365", _("近一年")),
                ("", _("全部")),
            ],
            "since": since,
            "fine_per_person": fine_per_person_yuan(),
            "total_fine": sum(o.possible_fine_yuan for o in rows),
        },
    )


def _conflict_row(request: HttpRequest, c: ReportConflict) -> dict[str, Any]:
    detail = c.detail or {}
    declared = detail.get("declared_communities") or []
    return {
        "id": c.pk,
        "kind": c.get_kind_display(),
        "name": mask_name(c.person.name),
        "id_number": mask_id_number(c.person.id_number),
        "date": detail.get("date", ""),
        "reported": divisions.community_label(str(detail.get("reported_community", ""))),
        "declared": [divisions.community_label(str(code)) for code in declared],
        "sources": [str(s).removeprefix("organisation:") for s in c.sources],
        "station": c.station.name,
        "created_at": c.created_at,
        "resolved_at": c.resolved_at,
        "resolution": c.resolution,
        "can_resolve": conflict_can_resolve(user=request.user, conflict=c),
    }


@login_required
@require_GET
def conflicts(request: HttpRequest) -> HttpResponse:
    resolved = request.GET.get("resolved") == "1"
    try:
        found = conflicts_for_staff(user=request.user, resolved=resolved)
    except ApplicationError as exc:
        raise _refused(exc) from exc
    return render(
        request,
        "reporting/conflicts.html",
        {
            **_nav(request, "conflicts"),
            "rows": [_conflict_row(request, c) for c in found],
            "resolved": resolved,
        },
    )


@login_required
@require_POST
def conflict_resolve_view(request: HttpRequest, conflict_id: int) -> HttpResponse:
    try:
        conflict_resolve(
            user=_staff(request), conflict_id=conflict_id, note=request.POST.get("note", "")
        )
    except ConflictNotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        if exc.status == 403:
            raise _refused(exc) from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, _("疑点已处理"))
    return redirect("reporting:conflicts")


@login_required
@require_GET
def organisations(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", OrganisationStatus.PENDING)
    if status not in OrganisationStatus.values:
        status = OrganisationStatus.PENDING
    try:
        found = organisation_queue_for_staff(user=request.user, status=status)
    except ApplicationError as exc:
        raise _refused(exc) from exc
    counts = organisation_counts_for_staff(user=request.user)
    rows = []
    for o in found:
        rows.append(
            {
                "credit_code": o.credit_code,
                "name": o.name,
                "kind": ORGANISATION_KIND_LABELS.get(o.kind, o.kind),
                "district": getattr(divisions.district(o.district_code), "name", o.district_code),
                "address": o.address,
                "contact_name": mask_name(o.contact_name),
                "contact_phone": mask_phone(o.contact_phone),
                "registered_at": o.registered_at,
                "reason": o.reason,
                "decided_at": o.decided_at,
                "decisions": [
                    (
                        value,
                        RESUME_ACTION
                        if value == "approved" and o.status == OrganisationStatus.SUSPENDED
                        else DECISION_ACTIONS[value],
                    )
                    for value in ORGANISATION_DECISION_LABELS
                    if organisation_can_decide(user=request.user, organisation=o, decision=value)
                ],
            }
        )
    return render(
        request,
        "reporting/organisations.html",
        {
            **_nav(request, "organisations"),
            "rows": rows,
            "status": status,
            "statuses": [
                (value, label, counts[value]) for value, label in OrganisationStatus.choices
            ],
        },
    )


@login_required
@require_POST
def organisation_decide_view(request: HttpRequest, credit_code: str) -> HttpResponse:
    back = request.POST.get("status", "")
    target = reverse("reporting:organisations")
    if back in OrganisationStatus.values:
        target += "?" + urlencode({"status": back})
    try:
        organisation = organisation_decide(
            user=_staff(request),
            credit_code=credit_code,
            decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""),
        )
    except OrganisationNotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        if exc.status == 403:
            raise _refused(exc) from exc
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("已将“%(name)s”设为：%(status)s")
            % {"name": organisation.name, "status": organisation.get_status_display()},
        )
    return redirect(target)

"""The station's one stop on the workbench (一站式办结): the work queues after pre-review, the
case page where a clerk accepts (with the receipt), an officer reviews, an approver approves and
the card is handed over, the scanner's search box, and walk-in entry.

Views parse input, call one service or selector, and render; the services check role, station,
step, taking and four eyes, so a button shown here is only a convenience.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from onetrip.common import divisions
from onetrip.common.errors import ApplicationError
from onetrip.common.masking import mask_id_number, mask_name, mask_phone
from onetrip.common.permit_eligibility import Route
from onetrip.common.permit_materials import BY_ID, Housing
from onetrip.contracts.permits import APPLICATION_KIND_LABELS, DELIVERY_METHOD_LABELS
from onetrip.police.accounts.selectors import staff_profile
from onetrip.police.permits import casework
from onetrip.police.permits.errors import PermitCaseNotFound
from onetrip.police.permits.items import HOUSING_LABELS, ROUTE_LABELS, item_label
from onetrip.police.permits.models import (
    Channel,
    PermitCase,
    PermitStatus,
    ResidencePermit,
    Task,
)
from onetrip.police.permits.queues import (
    casework_counts_for_staff,
    casework_queue_page_for_staff,
    casework_tasks_for,
)
from onetrip.police.permits.receipt import receipt_pdf
from onetrip.police.permits.selectors import (
    permit_documents_of,
    permit_events_of,
    permit_get_for_staff,
)
from onetrip.police.permits.walkin import WALK_IN_KINDS, permit_walk_in_open

PURPOSE = "permit_casework"


def _waiting(value: dt.timedelta | None) -> str:
    if value is None:
        return ""
    minutes = int(value.total_seconds()) // 60
    days, rest = divmod(minutes, 24 * 60)
    if days:
        return ngettext("%(n)d天", "%(n)d天", days) % {"n": days}
    hours, minutes = divmod(rest, 60)
    if hours:
        return ngettext("%(n)d小时", "%(n)d小时", hours) % {"n": hours}
    return ngettext("%(n)d分钟", "%(n)d分钟", minutes) % {"n": minutes}


def _clock(days_left: int | None) -> str:
    if days_left is None:
        return ""
    if days_left < 0:
        return ngettext("已超期%(n)d天", "已超期%(n)d天", -days_left) % {"n": -days_left}
    if days_left == 0:
        return _("今日到期")
    return ngettext("剩%(n)d天", "剩%(n)d天", days_left) % {"n": days_left}


def _page_number(value: str | None) -> int:
    """The `page` asked for, or 1: no station's queue runs to 1,000 pages, and a deeper offset
    would only make the database walk the queue's index that far."""
    return int(value) if value and value.isdigit() and 0 < int(value) <= 1_000 else 1


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    tasks = casework_tasks_for(user=request.user)
    if not tasks:
        raise PermissionDenied(_("您的岗位没有窗口办件任务"))
    task = request.GET.get("task", tasks[0])
    if task not in tasks:
        task = tasks[0]
    query = request.GET.get("q", "").strip()[:40]
    mine = request.GET.get("mine") == "1"
    page = casework_queue_page_for_staff(
        user=request.user,
        task=task,
        purpose=PURPOSE,
        query=query,
        mine=mine,
        page=_page_number(request.GET.get("page")),
    )
    lines = page.lines
    if query and len(lines) == 1:
        # A scanner types the reference and Enter: go straight to the case.
        return redirect("workbench:station_case", reference=lines[0].reference)
    counts = casework_counts_for_staff(user=request.user)
    # Labels translated once per page, not once per row.
    kinds = {code: str(label) for code, label in APPLICATION_KIND_LABELS.items()}
    statuses = {code: str(label) for code, label in PermitStatus.choices}
    task_labels = {code: str(label) for code, label in Task.choices}
    channels = {code: str(label) for code, label in Channel.choices}
    case_url = reverse("workbench:station_case", args=["REFERENCE"])
    here = f"?task={task}" + ("&mine=1" if mine else "")
    profile = staff_profile(request.user)
    return render(
        request,
        "workbench/station/queue.html",
        {
            "task": task,
            "tasks": [(t, task_labels[t], counts.get(t, 0)) for t in tasks],
            "query": query,
            "mine": mine,
            "page": page.number,
            "previous_url": f"{here}&page={page.number - 1}" if page.number > 1 else "",
            "next_url": f"{here}&page={page.number + 1}" if page.has_next else "",
            "rows": [
                {
                    "reference": r.reference,
                    "url": case_url.replace("REFERENCE", r.reference),
                    "kind": kinds.get(r.kind, r.kind),
                    "name": mask_name(r.name),
                    "id_number": mask_id_number(r.id_number),
                    "status": statuses.get(r.status, r.status),
                    "task": task_labels.get(r.task, ""),
                    "taken_by": r.taken_by or "—",
                    "waiting": _waiting(r.waiting),
                    "due_on": r.due_on.isoformat() if r.due_on else "",
                    "clock": _clock(r.days_left),
                    "overdue": r.overdue,
                    "channel": channels.get(r.channel, r.channel),
                    "walk_in": r.channel == "window",
                }
                for r in lines
            ],
            "may_walk_in": profile is not None
            and Task.ACCEPT in tasks
            and profile.station_id is not None,
        },
    )


def _case_context(request: HttpRequest, case: PermitCase) -> dict[str, Any]:
    user = request.user
    can = {
        task: casework.casework_can(user=user, case=case, task=task)
        for task in Task.values
        if case.task == task
    }
    may_take = bool(case.task) and casework.casework_can(
        user=user, case=case, task=case.task, taken=False
    )
    profile = staff_profile(user)
    # A permit is issued with the approval (`permit_approve`), never before it.
    permit = ResidencePermit.objects.filter(case=case).first() if case.approved_at else None
    return {
        "c": case,
        "kind": APPLICATION_KIND_LABELS.get(case.kind, case.kind),
        "name": case.name,
        "id_number": mask_id_number(case.id_number),
        "phone": mask_phone(case.phone),
        "community": divisions.community_label(case.community_code),
        "route": ROUTE_LABELS.get(case.route, case.route),
        "housing": HOUSING_LABELS.get(case.housing, case.housing),
        "delivery": DELIVERY_METHOD_LABELS.get(case.delivery, case.delivery),
        "task_label": Task(case.task).label if case.task else "",
        "taken_by": case.assigned_to.get_username() if case.assigned_to else "",
        "taken_by_me": case.assigned_to_id == user.pk,
        "may_take": may_take and case.assigned_to_id in (None, user.pk),
        "can": can,
        "may_reassign": profile is not None
        and profile.role == "station_admin"
        and profile.station_id == case.station_id
        and bool(case.task),
        "materials": [
            {"id": line, "label": item_label(line), "seen": line in case.originals_seen}
            for line in case.materials
        ],
        "documents": [
            {"d": d, "label": item_label(d.item)} for d in permit_documents_of(case=case)
        ],
        "history": permit_events_of(case=case),
        "problems": [{"label": item_label(p["item"]), "text": p["text"]} for p in case.problems],
        "notice_items": [{"item": line, "label": item_label(line)} for line in case.materials]
        + [{"item": "photo", "label": item_label("photo")}],
        "permit": permit,
        "fee": case.fee_fen / 100 if case.fee_fen else 0,
        "reissue_fee": casework.reissue_fee_fen() / 100,
    }


def _render(
    request: HttpRequest, reference: str, *, errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    try:
        case = permit_get_for_staff(
            user=request.user,
            reference=reference,
            purpose=PURPOSE,
            fields=("name", "id_number:masked", "phone:masked", "address_detail"),
        )
    except PermitCaseNotFound as exc:
        raise Http404(exc.message) from exc
    context = _case_context(request, case)
    context["errors"] = errors or []
    return render(request, "workbench/station/case.html", context, status=status)


@login_required
@require_GET
def case(request: HttpRequest, reference: str) -> HttpResponse:
    return _render(request, reference)


def _act(request: HttpRequest, reference: str, action: Any, done: str) -> HttpResponse:
    try:
        action()
    except PermitCaseNotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        errors = [exc.message, *(e.message for e in exc.errors)]
        return _render(request, reference, errors=errors, status=exc.status or 400)
    messages.success(request, done)
    return redirect("workbench:station_case", reference=reference)


@login_required
@require_POST
def take(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        lambda: casework.permit_take(user=request.user, reference=reference),
        _("已接办"),
    )


@login_required
@require_POST
def reassign(request: HttpRequest, reference: str) -> HttpResponse:
    to = request.POST.get("to", "").strip()[:150]
    return _act(
        request,
        reference,
        lambda: casework.permit_reassign(user=request.user, reference=reference, to_username=to),
        _("已改派"),
    )


@login_required
@require_POST
def accept(request: HttpRequest, reference: str) -> HttpResponse:
    upload = request.FILES.get("photo")
    photo = upload.read(casework.PHOTO_MAX_BYTES + 1) if upload else None
    return _act(
        request,
        reference,
        lambda: casework.permit_accept(
            user=request.user,
            reference=reference,
            originals=request.POST.getlist("original"),
            ethnicity=request.POST.get("ethnicity", ""),
            hukou_address=request.POST.get("hukou_address", ""),
            photo=photo,
        ),
        _("已受理，请打印受理回执交给申请人"),
    )


@login_required
@require_POST
def window_return(request: HttpRequest, reference: str) -> HttpResponse:
    items = request.POST.getlist("item")
    problems = [{"item": i, "text": request.POST.get(f"text_{i}", "")} for i in items]
    return _act(
        request,
        reference,
        lambda: casework.permit_window_return(
            user=request.user, reference=reference, problems=problems
        ),
        _("已出具一次性告知，申请人补正后重新提交"),
    )


@login_required
@require_POST
def refuse(request: HttpRequest, reference: str) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _act(
        request,
        reference,
        lambda: casework.permit_refuse(user=request.user, reference=reference, reason=reason),
        _("已决定不予办理，并告知申请人原因"),
    )


@login_required
@require_POST
def review(request: HttpRequest, reference: str) -> HttpResponse:
    note = request.POST.get("note", "")
    return _act(
        request,
        reference,
        lambda: casework.permit_review(user=request.user, reference=reference, note=note),
        _("审核通过，已送审批"),
    )


@login_required
@require_POST
def approve(request: HttpRequest, reference: str) -> HttpResponse:
    note = request.POST.get("note", "")
    return _act(
        request,
        reference,
        lambda: casework.permit_approve(user=request.user, reference=reference, note=note),
        _("审批通过，居住证已签发"),
    )


@login_required
@require_POST
def production(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        lambda: casework.permit_send_to_production(user=request.user, reference=reference),
        _("已送制证"),
    )


@login_required
@require_POST
def arrived(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        lambda: casework.permit_card_arrived(user=request.user, reference=reference),
        _("证件已到所，已通知申请人领取"),
    )


@login_required
@require_POST
def hand_over(request: HttpRequest, reference: str) -> HttpResponse:
    # The ID card presented or the pickup code from the resident's SMS: either proves who
    # collects (`permit_hand_over` says which one it needs).
    id_number = request.POST.get("id_number", "")[:40]
    pickup_code = request.POST.get("pickup_code", "")[:12]
    return _act(
        request,
        reference,
        lambda: casework.permit_hand_over(
            user=request.user, reference=reference, id_number=id_number, pickup_code=pickup_code
        ),
        _("证件已发放"),
    )


@login_required
@require_GET
def receipt(request: HttpRequest, reference: str) -> HttpResponse:
    """The acceptance receipt, after the same scoped, audited read as the case page."""
    try:
        case = permit_get_for_staff(
            user=request.user,
            reference=reference,
            purpose="permit_receipt",
            fields=("name", "id_number:masked"),
        )
    except PermitCaseNotFound as exc:
        raise Http404(exc.message) from exc
    if not case.receipt_number:
        raise Http404(_("该申请尚未受理，没有受理回执"))
    response = HttpResponse(receipt_pdf(case), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{case.receipt_number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def walk_in(request: HttpRequest) -> HttpResponse:
    """窗口录入: the form, and on a valid post the new case, taken by the clerk."""
    values: dict[str, str] = {}
    errors: list[Any] = []
    status = 200
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip()[:200] for k in WALK_IN_FIELDS}
        try:
            opened = permit_walk_in_open(user=request.user, data=values)
        except ApplicationError as exc:
            if exc.status == 403:
                raise PermissionDenied(exc.message) from exc
            errors = [exc.message, *(e.message for e in exc.errors)]
            status = 400
        else:
            messages.success(request, _("已录入，请核验原件后受理"))
            return redirect("workbench:station_case", reference=opened.reference)
    return render(
        request,
        "workbench/station/walk_in.html",
        {
            "v": values,
            "errors": errors,
            "kinds": [(k, APPLICATION_KIND_LABELS[k]) for k in WALK_IN_KINDS],
            "routes": [(r.value, ROUTE_LABELS.get(r.value, r.value)) for r in Route],
            "housings": [(h.value, HOUSING_LABELS.get(h.value, h.value)) for h in Housing],
            "proofs": len(BY_ID),
        },
        status=status,
    )


WALK_IN_FIELDS = (
    "kind",
    "name",
    "id_number",
    "phone",
    "ethnicity",
    "community_code",
    "address_detail",
    "route",
    "housing",
)

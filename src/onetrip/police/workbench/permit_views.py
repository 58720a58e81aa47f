"""The workbench's residence-permit pre-review (属地派出所初审): the station's queue, a case with
its form and files side by side, the decision forms, and the files themselves.

Views parse input, call one service or selector, and render; every display of a case's personal
data and every view of a file writes an audit row (DESIGN §8, DOMAIN WF-6)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from onetrip.common import divisions
from onetrip.common.errors import ApplicationError
from onetrip.common.masking import mask_id_number, mask_name, mask_phone
from onetrip.contracts.permits import (
    APPLICATION_KIND_LABELS,
    APPLICATION_STATUS_LABELS,
    DELIVERY_METHOD_LABELS,
)
from onetrip.police.accounts.selectors import staff_profile
from onetrip.police.permits.errors import PermitCaseNotFound, PermitDocumentNotFound
from onetrip.police.permits.items import (
    FIELD_LABELS,
    HOUSING_LABELS,
    NOTICE_FIELDS,
    ONLINE_FORM_PROOF,
    PHOTO,
    ROUTE_LABELS,
    canonical,
    is_notice_item,
    item_label,
    parts,
    proof_met_by,
)
from onetrip.police.permits.models import FORM_FIELDS, PermitCase, PermitStatus
from onetrip.police.permits.selectors import (
    QUEUE_STATUSES,
    permit_counts_for_staff,
    permit_document_open_for_staff,
    permit_documents_of,
    permit_events_of,
    permit_get_for_staff,
    permit_next_for_staff,
    permit_prereview_median_for_staff,
    permit_previous_notice,
    permit_queue_for_staff,
)
from onetrip.police.permits.services import (
    permit_can_decide,
    permit_notice_items,
    permit_prereview_pass,
    permit_reject,
    permit_return,
)

# Reasons a reviewer picks from when the applicant does not qualify (NAT-1, ZJ-14, HZ-1…HZ-5);
# the resident reads the chosen ones, with any detail the reviewer adds.
REJECT_REASONS = (
    gettext_lazy("居住登记未满半年（自申报居住登记之日起计算）"),
    gettext_lazy("不符合合法稳定就业、合法稳定住所、连续就读条件之一"),
    gettext_lazy("社会保险缴纳时间未达到本市规定"),
    gettext_lazy("申请人已持有有效的居住证"),
    gettext_lazy("未满16周岁的申请人，其监护人不符合代为申领条件"),
)
# Who moved a case, in words a reviewer reads at a glance (the history stores system actors).
ACTOR_LABELS = {"ferry": gettext_lazy("网上申办平台"), "system": gettext_lazy("系统")}
# A file served to the browser may never run anything or reach anything: its own sandboxed
# origin, no scripts, no requests, shown only inside the workbench's own pages.
DOCUMENT_CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; form-action 'none'; base-uri 'none'"
)
# Chromium's PDF viewer refuses to render under a `sandbox` directive, and a reviewer must read
# the proof beside the form; a PDF keeps every other restriction (no script source, no requests).
SANDBOX = {"image/jpeg": "sandbox; ", "application/pdf": ""}
EXTENSIONS = {"image/jpeg": "jpg", "application/pdf": "pdf"}


def _duration(value: dt.timedelta | None) -> str:
    """A pre-review time as a reviewer reads it: days, hours and minutes."""
    if value is None:
        return ""
    minutes = int(value.total_seconds()) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)d天%(h)d小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d小时%(m)d分钟") % {"h": hours, "m": minutes}
    return _("%(m)d分钟") % {"m": minutes}


def _seconds(value: int | None) -> dt.timedelta | None:
    return None if value is None else dt.timedelta(seconds=value)


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", PermitStatus.PRELIM_REVIEW)
    if status not in QUEUE_STATUSES:
        status = PermitStatus.PRELIM_REVIEW
    query = request.GET.get("q", "").strip()[:40]
    try:
        cases = permit_queue_for_staff(
            user=request.user, status=status, purpose="permit_queue", query=query
        )
    except ApplicationError as exc:
        raise PermissionDenied(exc.message) from exc
    now = timezone.now()
    rows = [
        {
            "reference": c.reference,
            "revision": c.revision,
            "kind": APPLICATION_KIND_LABELS.get(c.kind, c.kind),
            "name": mask_name(c.name),
            "id_number": mask_id_number(c.id_number),
            "community": divisions.community_label(c.community_code),
            "route": ROUTE_LABELS.get(c.route, c.route),
            "submitted_at": c.submitted_at,
            "waiting": _duration(now - c.submitted_at)
            if c.status == PermitStatus.PRELIM_REVIEW
            else "",
            "prereview_time": _duration(_seconds(c.prereview_seconds)),
            "status": c.get_status_display(),
            "station": c.station.name,
        }
        for c in cases
    ]
    counts = permit_counts_for_staff(user=request.user)
    return render(
        request,
        "workbench/permit_queue.html",
        {
            "rows": rows,
            "status": status,
            "query": query,
            "statuses": [
                (value, APPLICATION_STATUS_LABELS[value], counts[value]) for value in QUEUE_STATUSES
            ],
            "median": _duration(permit_prereview_median_for_staff(user=request.user)),
            "profile": staff_profile(request.user),
        },
    )


def _applicant(case: PermitCase, *, reveal: bool) -> list[tuple[str, str, str]]:
    """The form as the reviewer reads it: (field, label, value), empty optional fields left
    out; identifiers masked unless revealed."""
    values: dict[str, Any] = {
        "kind": APPLICATION_KIND_LABELS.get(case.kind, case.kind),
        "name": case.name,
        "id_number": case.id_number if reveal else mask_id_number(case.id_number),
        "phone": case.phone if reveal else mask_phone(case.phone),
        "community_code": divisions.community_label(case.community_code),
        "address_detail": case.address_detail,
        "route": ROUTE_LABELS.get(case.route, case.route),
        "housing": HOUSING_LABELS.get(case.housing, case.housing),
        "employer_name": case.employer_name,
        "school_name": case.school_name,
        "social_insurance_months": (
            "" if case.social_insurance_months is None else str(case.social_insurance_months)
        ),
        "guardian_name": case.guardian_name,
        "guardian_id_number": (
            case.guardian_id_number if reveal else mask_id_number(case.guardian_id_number)
        ),
        "guardian_relation": case.guardian_relation,
        "permit_number": case.permit_number,
        "delivery": DELIVERY_METHOD_LABELS.get(case.delivery, case.delivery),
        "postal_address": case.postal_address,
    }
    return [
        (name, str(FIELD_LABELS[name]), str(values[name])) for name in FORM_FIELDS if values[name]
    ]


def _checklist(case: PermitCase, documents: list[Any]) -> tuple[list[Any], list[Any]]:
    """What a one-time notice on this case can name, in the order a reviewer checks it: the
    photo, then each line of the resident's one-time list (the files sent for it, or the line
    itself when nothing was sent), then the form; on a resubmission only what DOC-1 still lets
    the reviewer raise."""
    sent = [d.item for d in documents if d.item != PHOTO]
    files = [PHOTO]
    for line in case.materials:
        if not is_notice_item(canonical(line)) or PHOTO in parts(line):
            continue
        answered = [item for item in sent if item in parts(line)]
        files.extend(answered or [canonical(line)])
    files.extend(sent)
    files = list(dict.fromkeys(files))
    form = list(NOTICE_FIELDS)
    allowed = permit_notice_items(case=case)
    if allowed is not None:
        open_proofs = {proof for item in allowed for proof in parts(item)}
        files = [i for i in files if i in allowed or set(parts(i)) <= open_proofs]
        files += [i for i in allowed if i not in files and i not in FIELD_LABELS]
        form = [i for i in form if i in allowed]
    return (
        [{"item": i, "label": item_label(i)} for i in files],
        [{"item": i, "label": item_label(i)} for i in form],
    )


def _render_case(
    request: HttpRequest,
    reference: str,
    *,
    reveal: bool,
    posted: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    try:
        case = permit_get_for_staff(
            user=request.user, reference=reference, purpose="permit_prereview", reveal=reveal
        )
    except PermitCaseNotFound as exc:
        raise Http404(exc.message) from exc
    documents = permit_documents_of(case=case)
    notice = permit_previous_notice(case=case)
    can_decide = permit_can_decide(user=request.user, case=case)
    posted = posted or {}
    ticked = set(posted.get("ticked", ()))
    texts = posted.get("texts", {})
    file_lines, form_lines = _checklist(case, documents) if can_decide else ([], [])
    for line in [*file_lines, *form_lines]:
        line["checked"] = line["item"] in ticked
        line["text"] = texts.get(line["item"], "")
    sent = {d.item for d in documents}
    return render(
        request,
        "workbench/permit_detail.html",
        {
            "c": case,
            "reveal": reveal,
            "applicant": _applicant(case, reveal=reveal),
            "changed_items": set(case.changed_items),
            "materials": [
                {
                    "label": item_label(m),
                    "sent": proof_met_by(m, sent),
                    "online": ONLINE_FORM_PROOF in parts(m),
                }
                for m in case.materials
            ],
            "documents": [
                {
                    "d": d,
                    "label": item_label(d.item),
                    "image": d.media_type.startswith("image/"),
                    "new": case.revision > 1 and d.revision == case.revision,
                }
                for d in documents
            ],
            "notice": [{"label": item_label(p["item"]), "text": p["text"]} for p in notice.problems]
            if notice is not None and case.status == PermitStatus.PRELIM_REVIEW
            else [],
            "problems": [
                {"label": item_label(p["item"]), "text": p["text"]} for p in case.problems
            ],
            "history": [
                (
                    e,
                    PermitStatus(e.status).label,
                    ACTOR_LABELS.get(e.actor, e.actor),
                    _duration(_seconds(e.prereview_seconds)),
                )
                for e in permit_events_of(case=case)
            ],
            "prereview_time": _duration(_seconds(case.prereview_seconds)),
            "waiting": _duration(timezone.now() - case.submitted_at),
            "can_decide": can_decide,
            "file_lines": file_lines,
            "form_lines": form_lines,
            "form_open": any(line["checked"] or line["text"] for line in form_lines),
            "doc1_limited": case.revision > 1,
            "reject_reasons": REJECT_REASONS,
            "return_open": "ticked" in posted,
            "reject_open": "reasons" in posted,
            "reject_chosen": [str(r) for r in posted.get("reasons", ())],
            "reject_detail": posted.get("reason", ""),
            "errors": errors or [],
            "profile": staff_profile(request.user),
        },
        status=status,
    )


@login_required
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _render_case(request, reference, reveal=False)


@login_required
@require_POST
def reveal(request: HttpRequest, reference: str) -> HttpResponse:
    return _render_case(request, reference, reveal=True)


def _revision(request: HttpRequest) -> int | None:
    raw = request.POST.get("revision", "").strip()
    return int(raw) if raw.isdigit() else None


def _decided(request: HttpRequest, reference: str, message: str) -> HttpResponse:
    """After a decision, straight on to the next waiting case, or back to the empty queue."""
    messages.success(request, message)
    nxt = permit_next_for_staff(user=request.user, after=reference)
    if nxt is None:
        messages.info(request, _("队列中已没有待预审的申请"))
        return redirect("workbench:permit_queue")
    return redirect("workbench:permit_detail", reference=nxt)


@login_required
@require_POST
def pass_(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        permit_prereview_pass(user=request.user, reference=reference, revision=_revision(request))
    except PermitCaseNotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("workbench:permit_detail", reference=reference)
    return _decided(request, reference, _("预审通过，已通知申请人预约到窗口办理"))


@login_required
@require_POST
def return_(request: HttpRequest, reference: str) -> HttpResponse:
    """The one-time notice: every ticked item, or item with a text, becomes one line."""
    ticked = request.POST.getlist("item")
    texts = {
        key.removeprefix("text_"): request.POST.get(key, "")
        for key in request.POST
        if key.startswith("text_")
    }
    items = [*ticked, *(i for i, t in texts.items() if t.strip() and i not in ticked)]
    problems = [{"item": i, "text": texts.get(i, "")} for i in dict.fromkeys(items)]
    try:
        permit_return(
            user=request.user,
            reference=reference,
            problems=problems,
            revision=_revision(request),
        )
    except PermitCaseNotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        errors = [exc.message, *(e.message for e in exc.errors)]
        return _render_case(
            request,
            reference,
            reveal=False,
            posted={"ticked": items, "texts": texts},
            errors=errors,
            status=400,
        )
    return _decided(request, reference, _("已向申请人发出一次性告知"))


@login_required
@require_POST
def reject(request: HttpRequest, reference: str) -> HttpResponse:
    chosen = [str(r) for r in REJECT_REASONS if str(r) in request.POST.getlist("reasons")]
    detail = request.POST.get("reason", "").strip()
    reason = "；".join([*chosen, *([detail] if detail else [])])
    try:
        permit_reject(
            user=request.user, reference=reference, reason=reason, revision=_revision(request)
        )
    except PermitCaseNotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        return _render_case(
            request,
            reference,
            reveal=False,
            posted={"reasons": chosen, "reason": detail},
            errors=[exc.message],
            status=400,
        )
    return _decided(request, reference, _("已决定不予受理，并告知申请人原因"))


@login_required
@require_GET
@xframe_options_sameorigin
def document(request: HttpRequest, reference: str, document_id: str) -> HttpResponse:
    """One uploaded file, after the permission check and its own audit row. Served under a
    sandboxing CSP, never sniffed, never cached, shown inline in the workbench's own pages
    only; `?download=1` saves it instead."""
    try:
        opened = permit_document_open_for_staff(
            user=request.user,
            reference=reference,
            document_id=document_id,
            purpose="permit_prereview",
        )
    except (PermitCaseNotFound, PermitDocumentNotFound) as exc:
        raise Http404(exc.message) from exc
    document = opened.document
    response = HttpResponse(opened.content, content_type=document.media_type)
    disposition = "attachment" if request.GET.get("download") else "inline"
    filename = f"{document.document_id}.{EXTENSIONS.get(document.media_type, 'bin')}"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Content-Security-Policy"] = (
        SANDBOX.get(document.media_type, "sandbox; ") + DOCUMENT_CSP
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response

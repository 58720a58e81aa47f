"""The station's card production on the workbench (制证批次): the cards waiting for the next
batch (with the bureau's reason when a card failed), gathering and exporting the day's batch,
downloading its file, and importing the bureau's return.

Views parse input, call one service of `police/permits/production.py`, and render; the services
check role and station, so a batch of another station answers 404 here.
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
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from onetrip.common.errors import ApplicationError
from onetrip.common.masking import mask_name
from onetrip.police.audit.services import audit_read_personal_data
from onetrip.police.permits import production
from onetrip.police.permits.models import (
    ProductionBatch,
    ProductionBatchStatus,
    ProductionResult,
    ResidencePermit,
)

PURPOSE = "card_production"


def _station(request: HttpRequest) -> Any:
    try:
        return production.production_station_for(user=request.user)
    except ApplicationError as exc:
        raise PermissionDenied(exc.message) from exc


def _age(since: dt.datetime | None, now: dt.datetime) -> int | None:
    return (now - since).days if since else None


def _rows(request: HttpRequest, cases: Any, object_id: str) -> list[dict[str, Any]]:
    """Rows of cards as a list shows them: masked name, audited once for the list."""
    cases = list(
        cases.select_related("permit")
        .only(
            "reference",
            "name",
            "task_since",
            "production_failure",
            "status",
            "permit__permit_number",
            "permit__photo_stored_name",
        )
        .order_by("task_since", "id")
    )
    if cases:
        audit_read_personal_data(
            user=request.user,
            object_type=production.OBJECT_TYPE,
            object_id=object_id,
            fields=["name:masked"],
            purpose=PURPOSE,
        )
    now = timezone.now()
    case_url = reverse("workbench:station_case", args=["REFERENCE"])
    rows = []
    for case in cases:
        permit: ResidencePermit | None = getattr(case, "permit", None)
        rows.append(
            {
                "pk": case.pk,
                "reference": case.reference,
                "url": case_url.replace("REFERENCE", case.reference),
                "permit_number": permit.permit_number if permit else "",
                "name": mask_name(case.name),
                "days": _age(case.task_since, now),
                "failure": case.production_failure,
                "status": case.get_status_display(),
                "photo": bool(permit and permit.photo_stored_name),
            }
        )
    return rows


def _page(
    request: HttpRequest, *, errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    station = _station(request)
    waiting = _rows(request, production.production_waiting(station=station), "waiting")
    return render(
        request,
        "workbench/production/home.html",
        {
            "station": station,
            "waiting": waiting,
            "without_photo": sum(1 for row in waiting if not row["photo"]),
            "open_batch": production.production_open_batch(station=station),
            "batches": production.production_batches_for_staff(user=request.user),
            "errors": errors or [],
            "max_kb": production.RETURN_MAX_BYTES // 1024,
            "max_rows": production.RETURN_MAX_ROWS,
        },
        status=status,
    )


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def assemble(request: HttpRequest) -> HttpResponse:
    _station(request)
    try:
        batch = production.production_batch_assemble(user=request.user)
    except ApplicationError as exc:
        return _page(request, errors=[exc.message], status=exc.status or 400)
    messages.success(request, _("已组批，请核对后导出制证文件"))
    return redirect("workbench:production_batch", number=batch.number)


def _batch(request: HttpRequest, number: str) -> ProductionBatch:
    try:
        return production.production_batch_get_for_staff(user=request.user, number=number)
    except production.ProductionBatchNotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        raise PermissionDenied(exc.message) from exc


def _render_batch(
    request: HttpRequest,
    batch: ProductionBatch,
    *,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    cards = _rows(request, production.production_batch_cards(batch=batch), batch.number)
    results = {c["case_id"]: c for c in batch.cards.values("case_id", "result", "reason")}  # type: ignore[attr-defined]
    for row in cards:
        card = results.get(row["pk"])
        row["result"] = ProductionResult(card["result"]).label if card else ""
        row["result_code"] = card["result"] if card else ""
        row["reason"] = card["reason"] if card else ""
    return render(
        request,
        "workbench/production/batch.html",
        {
            "batch": batch,
            "cards": cards,
            "is_open": batch.status == ProductionBatchStatus.OPEN,
            "errors": errors or [],
        },
        status=status,
    )


@login_required
@require_GET
def batch(request: HttpRequest, number: str) -> HttpResponse:
    return _render_batch(request, _batch(request, number))


@login_required
@require_POST
def export(request: HttpRequest, number: str) -> HttpResponse:
    found = _batch(request, number)
    try:
        production.production_batch_export(user=request.user, number=found.number)
    except ApplicationError as exc:
        return _render_batch(request, found, errors=[exc.message], status=exc.status or 400)
    messages.success(request, _("制证文件已生成，证件已转入制证中，请下载后送制证机构"))
    return redirect("workbench:production_batch", number=found.number)


@login_required
@require_GET
def download(request: HttpRequest, number: str) -> HttpResponse:
    found = _batch(request, number)
    try:
        content, name = production.production_batch_file_for_staff(
            user=request.user, number=found.number
        )
    except ApplicationError as exc:
        return _render_batch(request, found, errors=[exc.message], status=exc.status or 400)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def import_return(request: HttpRequest) -> HttpResponse:
    _station(request)
    upload = request.FILES.get("file")
    if upload is None:
        return _page(request, errors=[_("请选择制证机构的回执文件（CSV）")], status=400)
    content = upload.read(production.RETURN_MAX_BYTES + 1)
    try:
        result = production.production_import(
            user=request.user, content=content, file_name=upload.name or ""
        )
    except ApplicationError as exc:
        return _page(
            request,
            errors=[exc.message, *(e.message for e in exc.errors)],
            status=exc.status or 400,
        )
    if result.already:
        messages.info(request, _("该回执文件此前已导入，本次未作任何变更"))
    else:
        messages.success(
            request,
            _("回执已导入：已制成%(printed)d张，制证失败%(failed)d张，无变化%(unchanged)d张")
            % {"printed": result.printed, "failed": result.failed, "unchanged": result.unchanged},
        )
    return redirect("workbench:production")

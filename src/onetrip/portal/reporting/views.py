"""Pages of an organisation's people (mobile-first; they work without JavaScript, the progress
bar refreshes itself with a meta refresh and, where scripts run, a small poll).

A person signs in with their mobile number like a resident; every page under an organisation
checks their membership first and answers "not found" otherwise."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onetrip.common import divisions
from onetrip.common.errors import ApplicationError
from onetrip.contracts.reporting import ORGANISATION_KIND_LABELS
from onetrip.portal.accounts.auth import current_resident, resident_required
from onetrip.portal.limits.services import rate_limit_hit

from .errors import ImportNotFound, OrganisationNotFound
from .models import (
    ImportSource,
    MemberRole,
    OrganisationMember,
    OrganisationStatus,
    ReportImport,
    TokenScope,
)
from .services import (
    OrganisationInput,
    import_create,
    import_error_report,
    import_get,
    import_progress,
    member_add,
    member_for,
    member_remove,
    memberships_of,
    organisation_register,
    organisation_roster,
    token_create,
    token_revoke,
)

PROBLEMS_SHOWN = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _member(request: HttpRequest, credit_code: str) -> OrganisationMember:
    resident = current_resident(request)
    assert resident is not None  # resident_required ran first
    try:
        return member_for(resident=resident, credit_code=credit_code)
    except OrganisationNotFound:
        raise Http404 from None


def _import(member: OrganisationMember, reference: str) -> ReportImport:
    try:
        return import_get(organisation=member.organisation, reference=reference)
    except ImportNotFound:
        raise Http404 from None


@resident_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    resident = current_resident(request)
    assert resident is not None
    return render(request, "reporting/home.html", {"memberships": memberships_of(resident)})


@resident_required
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    resident = current_resident(request)
    assert resident is not None
    errors: dict[str, Any] = {}
    error = ""
    posted = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        data = OrganisationInput(
            credit_code=str(posted.get("credit_code", ""))[:64],
            name=str(posted.get("name", ""))[:200],
            kind=str(posted.get("kind", ""))[:30],
            district_code=str(posted.get("district_code", ""))[:6],
            address=str(posted.get("address", ""))[:400],
            contact_name=str(posted.get("contact_name", ""))[:100],
        )
        try:
            organisation = organisation_register(resident=resident, data=data)
        except ApplicationError as exc:
            errors = exc.by_field()
            error = exc.message
        else:
            messages.success(
                request, _("已提交注册，请等待所在区公安分局审核，审核结果将在本页显示。")
            )
            return redirect("reporting:dashboard", organisation.credit_code)
    return render(
        request,
        "reporting/signup.html",
        {
            "kinds": ORGANISATION_KIND_LABELS,
            "districts": divisions.districts(),
            "posted": posted,
            "errors": errors,
            "error": error,
        },
        status=400 if error else 200,
    )


@resident_required
@require_GET
def dashboard(request: HttpRequest, credit_code: str) -> HttpResponse:
    member = _member(request, credit_code)
    organisation = member.organisation
    imports = list(organisation.imports.order_by("-created_at")[:20])
    context: dict[str, Any] = {
        "member": member,
        "organisation": organisation,
        "approved": organisation.status == OrganisationStatus.APPROVED,
        "is_admin": member.role == MemberRole.ADMIN,
        "imports": [(item, import_progress(item)) for item in imports],
        "max_mb": int(settings.ONETRIP_REPORT_MAX_BYTES) // (1024 * 1024),
        "max_rows": int(settings.ONETRIP_REPORT_MAX_ROWS),
        "roster": organisation_roster(organisation=organisation),
    }
    if member.role == MemberRole.ADMIN:
        context["members"] = organisation.members.filter(removed_at__isnull=True).order_by("pk")
        context["tokens"] = organisation.tokens.order_by("-created_at")
        context["scopes"] = TokenScope.choices
        context["roles"] = MemberRole.choices
        context["new_token"] = request.session.pop("reporting_new_token", "")
    return render(request, "reporting/dashboard.html", context)


@resident_required
@require_GET
def template_download(request: HttpRequest, credit_code: str) -> HttpResponse:
    from .template import template_xlsx

    member = _member(request, credit_code)
    out = io.BytesIO()
    template_xlsx(out, organisation_kind=member.organisation.kind)
    out.seek(0)
    response = FileResponse(out, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, "居住登记报送模板.xlsx")
    return response


@resident_required
@require_POST
def upload(request: HttpRequest, credit_code: str) -> HttpResponse:
    member = _member(request, credit_code)
    organisation = member.organisation
    uploaded = request.FILES.get("file")
    dry_run = request.POST.get("dry_run") == "1"
    try:
        rate_limit_hit(
            key=f"report-upload:{organisation.credit_code}",
            limit=120,
            window_seconds=3600,
            message_zh="上传过于频繁，请{seconds}秒后再试",
            message_en="Too many uploads; try again in {seconds} seconds",
        )
        if uploaded is None:
            raise ApplicationError(
                "file_missing", "请选择要上传的文件", "Choose a file to upload", field="file"
            )
        report_import, created = import_create(
            organisation=organisation,
            source=ImportSource.UPLOAD,
            filename=uploaded.name or "",
            content=uploaded.read(),
            member=member,
            dry_run=dry_run,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("reporting:dashboard", credit_code)
    if not created:
        messages.info(
            request,
            _("这个文件已经上传过（批次 %(reference)s），本次没有作任何更改。")
            % {"reference": report_import.reference},
        )
    return redirect("reporting:import", credit_code, report_import.reference)


@resident_required
@require_GET
def import_page(request: HttpRequest, credit_code: str, reference: str) -> HttpResponse:
    member = _member(request, credit_code)
    report_import = _import(member, reference)
    progress = import_progress(report_import)
    problems = list(report_import.problems.order_by("sheet", "row", "pk")[:PROBLEMS_SHOWN])
    return render(
        request,
        "reporting/import.html",
        {
            "organisation": member.organisation,
            "report_import": report_import,
            "progress": progress,
            "problems": problems,
            "problems_more": progress["rows_rejected"] + progress["rows_refused"] > len(problems),
            "refusal": report_import.refusal_zh
            if request.LANGUAGE_CODE.startswith("zh")
            else report_import.refusal_en,
        },
    )


@resident_required
@require_GET
def import_status(request: HttpRequest, credit_code: str, reference: str) -> HttpResponse:
    member = _member(request, credit_code)
    report_import = _import(member, reference)
    return JsonResponse(import_progress(report_import))


@resident_required
@require_GET
def import_errors(request: HttpRequest, credit_code: str, reference: str) -> HttpResponse:
    member = _member(request, credit_code)
    report_import = _import(member, reference)
    out = io.BytesIO()
    import_error_report(report_import=report_import, out=out)
    out.seek(0)
    response = FileResponse(out, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(
        True, f"错误报告-{report_import.reference}.xlsx"
    )
    return response


@resident_required
@require_POST
def members(request: HttpRequest, credit_code: str) -> HttpResponse:
    member = _member(request, credit_code)
    try:
        if request.POST.get("remove"):
            member_remove(admin=member, member_id=int(request.POST["remove"]))
            messages.success(request, _("已移除该成员"))
        else:
            member_add(
                admin=member,
                phone=str(request.POST.get("phone", ""))[:64],
                name=str(request.POST.get("name", ""))[:100],
                role=str(request.POST.get("role", MemberRole.CLERK)),
            )
            messages.success(request, _("已添加成员，对方用该手机号码登录即可为本单位报送"))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    except ValueError:
        messages.error(request, _("请求无效"))
    return redirect("reporting:dashboard", credit_code)


@resident_required
@require_POST
def tokens(request: HttpRequest, credit_code: str) -> HttpResponse:
    member = _member(request, credit_code)
    try:
        if request.POST.get("revoke"):
            token_revoke(admin=member, token_id=int(request.POST["revoke"]))
            messages.success(request, _("令牌已吊销，立即失效"))
        else:
            _token, text = token_create(
                admin=member,
                name=str(request.POST.get("name", ""))[:100],
                scopes=request.POST.getlist("scopes"),
                days=int(request.POST.get("days", "90") or 0),
            )
            request.session["reporting_new_token"] = text
    except ApplicationError as exc:
        messages.error(request, exc.message)
    except ValueError:
        messages.error(request, _("请求无效"))
    return redirect("reporting:dashboard", credit_code)

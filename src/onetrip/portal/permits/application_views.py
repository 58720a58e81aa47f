"""Resident pages for a residence-permit application (mobile-first, no JavaScript needed): start,
the form in sections, uploads per item of the list, the summary with the consent and submit,
the acknowledgement with the reference as a QR code, progress with the plain-words meaning of
each state, the fix page after a one-time notice, the application's own materials list and its
PDF, and the resident's own files. Another resident's application is "not found" everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from onetrip.common import divisions
from onetrip.common.errors import ApplicationError, FieldError, in_language
from onetrip.common.identifiers import IdentifierError
from onetrip.common.masking import mask_id_number
from onetrip.common.permit_materials import BY_ID
from onetrip.contracts.permits import (
    APPLICATION_KIND_LABELS,
    APPLICATION_STATUS_EXPLANATIONS,
    APPLICATION_STATUS_LABELS,
    DELIVERY_METHOD_LABELS,
)
from onetrip.portal.accounts.auth import current_resident, resident_required
from onetrip.portal.accounts.models import Resident
from onetrip.portal.declarations.services import GUARDIAN_RELATIONS
from onetrip.portal.declarations.views import address_options

from .applications import (
    CONSENT_TEXT,
    HOUSING_LABELS,
    PHOTO,
    ROUTE_LABELS,
    MaterialLine,
    is_minor,
    notice_of,
    permit_application_materials,
    permit_application_materials_pdf,
    permit_application_problems,
    permit_application_resubmit,
    permit_application_save,
    permit_application_start,
    permit_application_submit,
    permit_document_items_open,
    permit_document_upload,
    problem_label,
)
from .delivery import (
    DeliveryView,
    permit_delivery_change_request,
    permit_delivery_view,
)
from .errors import ApplicationDuplicate, ApplicationInvalid, ApplicationNotFound
from .models import ApplicationStatus, PermitApplication, PermitDocument
from .selectors import (
    permit_application_of_resident,
    permit_applications_of,
    permit_document_of_resident,
)
from .services import EligibilityQuestion, eligibility_check, ids_of_resident

# The words of each field on the page (the service's messages carry their own).
LABELS: dict[str, Any] = {
    "name": gettext_lazy("姓名"),
    "id_number": gettext_lazy("公民身份号码"),
    "phone": gettext_lazy("联系电话（手机）"),
    "community_code": gettext_lazy("社区（村）"),
    "address_detail": gettext_lazy("详细地址"),
    "route": gettext_lazy("申领条件"),
    "housing": gettext_lazy("住所类型（按住所申领时必填）"),
    "employer_name": gettext_lazy("工作单位名称（按就业申领时必填）"),
    "social_insurance_months": gettext_lazy("本市连续缴纳社会保险月数（按就业申领时必填）"),
    "school_name": gettext_lazy("就读学校名称（按就读申领时必填）"),
    "guardian_name": gettext_lazy("监护人姓名"),
    "guardian_id_number": gettext_lazy("监护人公民身份号码"),
    "guardian_relation": gettext_lazy("监护人与申请人关系"),
    "guardians_hold_permits": gettext_lazy("父母（其他监护人）持有有效的浙江省居住证"),
    "guardian_insurance_months": gettext_lazy("一方监护人在本市连续缴纳社会保险月数"),
    "permit_number": gettext_lazy("原居住证号码"),
    "delivery": gettext_lazy("领取方式"),
    "postal_address": gettext_lazy("邮寄地址（选择邮寄时必填）"),
}
SECTIONS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (gettext_lazy("申请人"), ("name", "id_number", "phone")),
    (gettext_lazy("居住地"), ("community_code", "address_detail")),
    (
        gettext_lazy("申领条件"),
        ("route", "housing", "employer_name", "social_insurance_months", "school_name"),
    ),
    (
        gettext_lazy("监护人（申请人未满16周岁时填写）"),
        (
            "guardian_name",
            "guardian_id_number",
            "guardian_relation",
            "guardians_hold_permits",
            "guardian_insurance_months",
        ),
    ),
    (gettext_lazy("原居住证（签注、补领、换领时填写）"), ("permit_number",)),
    (gettext_lazy("领取方式"), ("delivery", "postal_address")),
)
CHOICES: dict[str, dict[str, Any]] = {
    "route": ROUTE_LABELS,
    "housing": HOUSING_LABELS,
    "guardian_relation": GUARDIAN_RELATIONS,
    "delivery": DELIVERY_METHOD_LABELS,
}
NUMBERS = {"social_insurance_months", "guardian_insurance_months"}
KIND_HELP: dict[str, Any] = {
    "first": gettext_lazy("第一次申领浙江省居住证"),
    "endorsement": gettext_lazy("居住证有效期满前办理年度签注"),
    "reissue": gettext_lazy("居住证遗失后补领"),
    "exchange": gettext_lazy("居住证损坏或信息变更后换领"),
}


def _own(request: HttpRequest, reference: str) -> PermitApplication:
    resident = current_resident(request)
    assert resident is not None
    try:
        return permit_application_of_resident(resident=resident, reference=reference)
    except ApplicationNotFound as exc:
        raise Http404(_("未找到该申请")) from exc


def _resident(request: HttpRequest) -> Resident:
    resident = current_resident(request)
    assert resident is not None
    return resident


def _value(application: PermitApplication, name: str) -> str:
    value = getattr(application, name)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)


def _form_fields(application: PermitApplication) -> tuple[str, ...]:
    """The fields the form shows for this kind: the old permit's number only when there is
    one."""
    fields = [name for _legend, names in SECTIONS for name in names]
    if application.kind == "first":
        fields.remove("permit_number")
    return tuple(fields)


def _posted(request: HttpRequest, names: Iterable[str]) -> dict[str, str]:
    return {name: request.POST.get(name, "") for name in names}


def _sections(
    names: Iterable[str], values: dict[str, str], errors: dict[str, FieldError]
) -> list[dict[str, Any]]:
    """What the field template draws, section by section, for the fields in `names`."""
    wanted = set(names)
    sections = []
    for legend, section_names in SECTIONS:
        fields = []
        for name in section_names:
            if name not in wanted:
                continue
            kind = "text"
            if name in CHOICES:
                kind = "select"
            elif name in NUMBERS:
                kind = "number"
            elif name == "guardians_hold_permits":
                kind = "checkbox"
            elif name == "community_code":
                kind = "community"
            fields.append(
                {
                    "name": name,
                    "label": LABELS[name],
                    "kind": kind,
                    "value": values.get(name, ""),
                    "error": errors.get(name),
                    "choices": list(CHOICES.get(name, {}).items()),
                }
            )
        if fields:
            sections.append({"legend": legend, "fields": fields})
    return sections


def _errors_of(exc: ApplicationError) -> tuple[dict[str, FieldError], list[FieldError]]:
    listed = exc.errors or [FieldError(exc.field, exc.code, exc.message_zh, exc.message_en)]
    return exc.by_field(), listed


# --- Home and start --------------------------------------------------------------------------


def _standing(resident: Resident, id_number: str) -> dict[str, Any] | None:
    """How long the register has the person continuously registered, for the home page."""
    try:
        result, from_record = eligibility_check(
            question=EligibilityQuestion(id_number=id_number), resident=resident
        )
    except IdentifierError:
        return None
    today = timezone.localdate()
    return {
        "id_number": mask_id_number(id_number),
        "since": result.continuous_since,
        "months": result.registered_months,
        "eligible_from": result.eligible_from,
        "time_met": result.eligible_from is not None and result.eligible_from <= today,
        "from_record": from_record,
    }


@resident_required
def home(request: HttpRequest) -> HttpResponse:
    """The permit home: where the resident stands on the register, and their applications."""
    resident = _resident(request)
    standings = [s for n in ids_of_resident(resident=resident) if (s := _standing(resident, n))]
    return render(
        request,
        "permits/home.html",
        {
            "standings": standings,
            "applications": permit_applications_of(resident=resident),
            "explanations": APPLICATION_STATUS_EXPLANATIONS,
        },
    )


@resident_required
@require_http_methods(["GET", "HEAD", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    kinds = [(code, label, KIND_HELP[code]) for code, label in APPLICATION_KIND_LABELS.items()]
    context: dict[str, Any] = {"kinds": kinds, "chosen": request.POST.get("kind", "first")}
    if request.method != "POST":
        return render(request, "permits/start.html", context)
    try:
        application = permit_application_start(
            resident=_resident(request), kind=request.POST.get("kind", "")
        )
    except ApplicationError as exc:
        context["error"] = exc.errors[0].message if exc.errors else exc.message
        return render(request, "permits/start.html", context, status=exc.status)
    return redirect("permits:edit", reference=application.reference)


# --- The form ---------------------------------------------------------------------------------


def _form_page(
    request: HttpRequest,
    application: PermitApplication,
    values: dict[str, str],
    errors: dict[str, FieldError] | None = None,
    error_list: list[FieldError] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "permits/edit.html",
        {
            "a": application,
            "sections": _sections(_form_fields(application), values, errors or {}),
            "error_list": error_list or [],
            **address_options(values),
        },
        status=status,
    )


@resident_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit(request: HttpRequest, reference: str) -> HttpResponse:
    """The draft in sections. "保存草稿" saves the typed fields once every one of them passes
    (all problems shown at once); "保存并上传材料" saves and goes on to the uploads. Without
    JavaScript the district and street choices reload the form ("refresh")."""
    application = _own(request, reference)
    if application.status == ApplicationStatus.MATERIALS_REQUIRED:
        return redirect("permits:fix", reference=application.reference)
    if application.status != ApplicationStatus.DRAFT:
        return redirect("permits:application", reference=application.reference)
    names = _form_fields(application)
    if request.method != "POST":
        return _form_page(request, application, {n: _value(application, n) for n in names})
    values = _posted(request, [*names, "district", "street"])
    if "refresh" in request.POST:
        return _form_page(request, application, values)
    try:
        permit_application_save(
            resident=_resident(request),
            reference=application.reference,
            data={name: values[name] for name in names},
        )
    except ApplicationError as exc:
        by_field, listed = _errors_of(exc)
        return _form_page(request, application, values, by_field, listed, status=exc.status)
    if "next" in request.POST:
        return redirect("permits:documents", reference=application.reference)
    messages.success(request, _("草稿已保存"))
    return redirect("permits:edit", reference=application.reference)


# --- Uploads ----------------------------------------------------------------------------------


def _line_rows(
    application: PermitApplication, lines: list[MaterialLine], uploadable: set[str] | None
) -> list[dict[str, Any]]:
    """Each line with its names in the page's language, its files and whether (and as which
    proofs) a file may be uploaded for it now."""
    rows = []
    for line in lines:
        proofs = [p for p in line.proofs if uploadable is None or p in uploadable]
        rows.append(
            {
                "line": line,
                "key": line.key,
                "anchor": "line-" + line.key.replace("/", "-"),
                "names": [in_language(p.name_zh, p.name_en) for p in line.item.alternatives],
                "issuers": sorted({p.issuer_zh for p in line.item.alternatives}),
                "proofs": [
                    (p, _("照片") if p == PHOTO else in_language(_proof_zh(p), _proof_en(p)))
                    for p in proofs
                ],
                "documents": line.documents,
            }
        )
    return rows


def _proof_zh(proof: str) -> str:
    return BY_ID[proof].name_zh


def _proof_en(proof: str) -> str:
    return BY_ID[proof].name_en


def _upload(request: HttpRequest, application: PermitApplication) -> FieldError | None:
    """Take the posted file for the posted item; the refusal, keyed by the line, or None."""
    key = request.POST.get("line", "")
    item = request.POST.get("item", "") or key
    upload = request.FILES.get("file")
    if upload is None:
        return FieldError(key, "file_missing", "请选择要上传的文件", "Choose a file to upload")
    try:
        permit_document_upload(
            resident=_resident(request),
            reference=application.reference,
            item=item,
            content=upload.read(),
            file_name=upload.name or "",
        )
    except ApplicationError as exc:
        return FieldError(key, exc.code, exc.message_zh, exc.message_en)
    return None


def _documents_page(
    request: HttpRequest,
    application: PermitApplication,
    error: FieldError | None = None,
    status: int = 200,
) -> HttpResponse:
    lines = permit_application_materials(application=application)
    rows = _line_rows(
        application, lines, permit_document_items_open(application=application, lines=lines)
    )
    return render(
        request,
        "permits/documents.html",
        {
            "a": application,
            "rows": rows,
            "error": error,
            "error_elsewhere": _error_elsewhere(error, rows),
            "route_missing": not application.route,
        },
        status=status,
    )


def _error_elsewhere(error: FieldError | None, rows: list[dict[str, Any]]) -> FieldError | None:
    """An upload refusal for a line the page does not show, to show at the top instead."""
    if error is None or any(row["key"] == error.field for row in rows):
        return None
    return error


@resident_required
@require_http_methods(["GET", "HEAD", "POST"])
def documents(request: HttpRequest, reference: str) -> HttpResponse:
    """One upload form per line of the list, each showing its status and, for a refused
    file, the specific reason."""
    application = _own(request, reference)
    if application.status == ApplicationStatus.MATERIALS_REQUIRED:
        return redirect("permits:fix", reference=application.reference)
    if application.status != ApplicationStatus.DRAFT:
        return redirect("permits:application", reference=application.reference)
    if request.method != "POST":
        return _documents_page(request, application)
    error = _upload(request, application)
    if error is not None:
        return _documents_page(request, application, error, status=400)
    messages.success(request, _("文件已上传"))
    anchor = "line-" + request.POST.get("line", "").replace("/", "-")
    return redirect(reverse("permits:documents", args=[application.reference]) + f"#{anchor}")


# Images are shown in the browser, sandboxed; a PDF is downloaded, never rendered in the
# portal's origin.
IMAGE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
DOWNLOAD_CSP = "default-src 'none'; sandbox"


@resident_required
@require_http_methods(["GET", "HEAD"])
def document_file(request: HttpRequest, reference: str, document_id: str) -> HttpResponse:
    """The resident's own uploaded file, as stored (re-encoded), with its own type."""
    try:
        document, content = permit_document_of_resident(
            resident=_resident(request), reference=reference, document_id=document_id
        )
    except ApplicationNotFound as exc:
        raise Http404(_("未找到该文件")) from exc
    response = HttpResponse(content, content_type=document.media_type)
    image = document.media_type.startswith("image/")
    extension = "jpg" if image else "pdf"
    name = document.original_name or f"{document.item}.{extension}"
    response["Content-Disposition"] = content_disposition_header(not image, name)
    response["Content-Security-Policy"] = IMAGE_CSP if image else DOWNLOAD_CSP
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


# --- Summary, submit, acknowledgement ---------------------------------------------------------


def _summary_rows(application: PermitApplication) -> list[tuple[Any, str]]:
    """What the resident confirms, in the words of the form; empty fields left out."""
    rows: list[tuple[Any, str]] = [
        (_("申请类型"), str(APPLICATION_KIND_LABELS[application.kind])),
    ]
    for name in _form_fields(application):
        value = getattr(application, name)
        if value in ("", None, False):
            continue
        if name == "community_code":
            text = divisions.community_label(str(value))
        elif name in CHOICES:
            text = str(CHOICES[name].get(str(value), value))
        elif name == "guardians_hold_permits":
            text = _("是")
        else:
            text = str(value)
        rows.append((LABELS[name], text))
    return rows


def _summary_page(
    request: HttpRequest,
    application: PermitApplication,
    *,
    problems: list[FieldError],
    status: int = 200,
    duplicate: ApplicationDuplicate | None = None,
    consent_error: bool = False,
) -> HttpResponse:
    lines = permit_application_materials(application=application)
    return render(
        request,
        "permits/summary.html",
        {
            "a": application,
            "rows": _summary_rows(application),
            "lines": _line_rows(application, lines, set()),
            "problems": [p for p in problems if p.field != "consent"],
            "consent_error": consent_error,
            "consent_text": CONSENT_TEXT,
            "duplicate": duplicate,
        },
        status=status,
    )


@resident_required
@require_http_methods(["GET", "HEAD", "POST"])
def summary(request: HttpRequest, reference: str) -> HttpResponse:
    """Everything at once before the one submit: the answers, the list with its files, what
    is still missing, and the personal-data notice to agree to (PI-2)."""
    application = _own(request, reference)
    if application.status != ApplicationStatus.DRAFT:
        return redirect("permits:application", reference=application.reference)
    if request.method != "POST":
        problems = permit_application_problems(application=application)
        return _summary_page(request, application, problems=problems)
    try:
        permit_application_submit(
            resident=_resident(request),
            reference=application.reference,
            consent=request.POST.get("consent") == "1",
        )
    except ApplicationInvalid as exc:
        return _summary_page(
            request,
            application,
            problems=exc.errors,
            status=exc.status,
            consent_error=any(e.field == "consent" for e in exc.errors),
        )
    except ApplicationDuplicate as exc:
        return _summary_page(request, application, problems=[], status=exc.status, duplicate=exc)
    return redirect("permits:submitted", reference=application.reference)


@resident_required
@require_http_methods(["GET", "HEAD"])
def submitted(request: HttpRequest, reference: str) -> HttpResponse:
    """The acknowledgement: the reference in large type and as a QR code a window clerk can
    scan, and what happens next."""
    from .pdf import reference_qr_svg

    application = _own(request, reference)
    if application.status == ApplicationStatus.DRAFT:
        return redirect("permits:summary", reference=application.reference)
    return render(
        request,
        "permits/submitted.html",
        {
            "a": application,
            "qr": reference_qr_svg(application.reference),
            "explanation": APPLICATION_STATUS_EXPLANATIONS[application.status],
        },
    )


# --- Progress and the fix page ----------------------------------------------------------------


def _problem_rows(application: PermitApplication) -> list[dict[str, str]]:
    rows = []
    for problem in application.problems or []:
        zh, en = problem_label(str(problem.get("item", "")))
        rows.append({"item": in_language(zh, en), "text": str(problem.get("text", ""))})
    return rows


def _history(application: PermitApplication) -> list[dict[str, Any]]:
    rows = []
    for event in application.events.all():
        started = event.status == ApplicationStatus.DRAFT
        rows.append(
            {
                "at": event.at,
                "status": event.status,
                "label": _("开始填写申请")
                if started
                else APPLICATION_STATUS_LABELS.get(event.status, event.status),
                "explanation": ""
                if started
                else APPLICATION_STATUS_EXPLANATIONS.get(event.status, ""),
                "note": event.note,
                "revision": event.revision,
                "lines": [
                    {
                        "item": in_language(*problem_label(str(line.get("item", "")))),
                        "text": line.get("text", ""),
                    }
                    for line in event.lines or []
                ],
            }
        )
    return rows


@resident_required
@require_http_methods(["GET", "HEAD"])
def application(request: HttpRequest, reference: str) -> HttpResponse:
    """Progress of one application: its state and what it means (WF-2), the one-time notice
    when there is one, the full history, the files."""
    found = _own(request, reference)
    return render(
        request,
        "permits/application.html",
        {
            "a": found,
            "status_label": APPLICATION_STATUS_LABELS[found.status],
            "explanation": APPLICATION_STATUS_EXPLANATIONS[found.status],
            "problems": _problem_rows(found),
            "history": _history(found),
            "documents": found.documents.filter(active=True),
            "kind_label": APPLICATION_KIND_LABELS[found.kind],
            "delivery": permit_delivery_view(application=found),
            "delivery_methods": DELIVERY_METHOD_LABELS,
            "all_statuses": [
                (code, APPLICATION_STATUS_LABELS[code], text)
                for code, text in APPLICATION_STATUS_EXPLANATIONS.items()
                if code != "draft"
            ],
        },
    )


def _fix_page(
    request: HttpRequest,
    application: PermitApplication,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
    error_list: list[FieldError] | None = None,
    status: int = 200,
) -> HttpResponse:
    notice = notice_of(application)
    fields = [n for n in _form_fields(application) if n in notice.fields]
    if values is None:
        values = {n: _value(application, n) for n in fields}
    lines = permit_application_materials(application=application)
    uploadable = permit_document_items_open(application=application, lines=lines)
    rows = [r for r in _line_rows(application, lines, uploadable) if r["proofs"]]
    listed_keys = {key for key, _proofs in notice.documents}
    off_list = [
        (key, proofs)
        for key, proofs in notice.documents
        if not any(r["key"] == key or set(proofs) & set(r["line"].proofs) for r in rows)
    ]
    if off_list:
        documents = list(application.documents.filter(active=True))
        rows += [_notice_only_row(key, proofs, documents) for key, proofs in off_list]
    return render(
        request,
        "permits/fix.html",
        {
            "a": application,
            "problems": _problem_rows(application),
            "sections": _sections(fields, values, errors or {}),
            "rows": rows,
            "listed_keys": listed_keys,
            "error_list": error_list or [],
            "upload_error": (errors or {}).get("__upload__"),
            "error_elsewhere": _error_elsewhere((errors or {}).get("__upload__"), rows),
            **address_options(values),
        },
        status=status,
    )


def _notice_only_row(
    key: str, proofs: tuple[str, ...], documents: Iterable[PermitDocument]
) -> dict[str, Any]:
    """A notice line for a proof that is not on the list (the station asked for it anyway, e.g.
    one a department's data verified), with its active files as a line of the list has them."""
    names = [_("照片") if p == PHOTO else in_language(_proof_zh(p), _proof_en(p)) for p in proofs]
    return {
        "line": None,
        "key": key,
        "anchor": "line-" + key.replace("/", "-"),
        "names": names,
        "issuers": [],
        "proofs": list(zip(proofs, names, strict=True)),
        "documents": tuple(d for d in documents if d.item in proofs),
    }


@resident_required
@require_http_methods(["GET", "HEAD", "POST"])
def fix(request: HttpRequest, reference: str) -> HttpResponse:
    """After a one-time notice (DOC-1): exactly the listed fields and files, nothing else.
    "upload" takes one file, "save" keeps the fields, "resubmit" sends it all back."""
    found = _own(request, reference)
    if found.status != ApplicationStatus.MATERIALS_REQUIRED:
        return redirect("permits:application", reference=found.reference)
    notice = notice_of(found)
    fields = [n for n in _form_fields(found) if n in notice.fields]
    if request.method != "POST":
        return _fix_page(request, found)
    if "upload" in request.POST:
        error = _upload(request, found)
        if error is not None:
            return _fix_page(request, found, errors={"__upload__": error}, status=400)
        messages.success(request, _("文件已上传"))
        return redirect("permits:fix", reference=found.reference)
    values = _posted(request, [*fields, "district", "street"])
    if "refresh" in request.POST:
        return _fix_page(request, found, values=values)
    data = {name: values[name] for name in fields}
    try:
        if "resubmit" in request.POST:
            permit_application_resubmit(
                resident=_resident(request), reference=found.reference, data=data
            )
            messages.success(request, _("已重新提交，请等待派出所预审"))
            return redirect("permits:application", reference=found.reference)
        permit_application_save(resident=_resident(request), reference=found.reference, data=data)
    except ApplicationError as exc:
        by_field, listed = _errors_of(exc)
        return _fix_page(
            request, found, values=values, errors=by_field, error_list=listed, status=exc.status
        )
    messages.success(request, _("修改已保存"))
    return redirect("permits:fix", reference=found.reference)


# --- Changing how the card reaches the resident (PI-2) ----------------------------------------

DELIVERY_FIELDS = ("delivery", "postal_address")


def _delivery_page(
    request: HttpRequest,
    application: PermitApplication,
    view: DeliveryView,
    values: dict[str, str],
    *,
    errors: dict[str, FieldError] | None = None,
    error_list: list[FieldError] | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "permits/delivery.html",
        {
            "a": application,
            "delivery": view,
            "delivery_methods": DELIVERY_METHOD_LABELS,
            "sections": _sections(DELIVERY_FIELDS, values, errors or {}),
            "error_list": error_list or [],
            "refusal": refusal,
        },
        status=status,
    )


@resident_required
@require_http_methods(["GET", "HEAD", "POST"])
def delivery(request: HttpRequest, reference: str) -> HttpResponse:
    """Change the postal address, or switch between pickup and post, while the card has not
    left the station. The request goes to the station; the progress page says it waits for the
    station's answer until that arrives."""
    found = _own(request, reference)
    view = permit_delivery_view(application=found)
    if view is None:
        return redirect("permits:application", reference=found.reference)
    if request.method != "POST":
        current = view.pending or found
        values = {
            "delivery": view.pending.method if view.pending else view.method,
            "postal_address": current.postal_address,
        }
        return _delivery_page(request, found, view, values)
    values = _posted(request, DELIVERY_FIELDS)
    try:
        permit_delivery_change_request(
            resident=_resident(request), reference=found.reference, data=values
        )
    except ApplicationError as exc:
        if exc.errors or exc.field:
            by_field, listed = _errors_of(exc)
            return _delivery_page(
                request,
                found,
                view,
                values,
                errors=by_field,
                error_list=listed,
                status=exc.status,
            )
        view = permit_delivery_view(application=found) or view
        return _delivery_page(request, found, view, values, refusal=exc.message, status=exc.status)
    messages.success(request, _("已提交，等待派出所确认"))
    return redirect(reverse("permits:application", args=[found.reference]) + "#delivery")


# --- The application's own materials list and its PDF ----------------------------------------


@resident_required
@require_http_methods(["GET", "HEAD"])
def application_materials(request: HttpRequest, reference: str) -> HttpResponse:
    """The one-time list of this application (DOC-1…DOC-3): every line, which proof will do,
    who issues it, what the system fetches, and what is already handed in."""
    found = _own(request, reference)
    lines = permit_application_materials(application=found)
    return render(
        request,
        "permits/application_materials.html",
        {
            "a": found,
            "rows": _line_rows(found, lines, set()),
            "kind_label": APPLICATION_KIND_LABELS[found.kind],
            "minor": is_minor(found),
        },
    )


@resident_required
@require_http_methods(["GET", "HEAD"])
def application_materials_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    """The same list as a printable PDF, with the reference and its QR code."""
    found = _own(request, reference)
    response = HttpResponse(
        permit_application_materials_pdf(application=found), content_type="application/pdf"
    )
    response["Content-Disposition"] = content_disposition_header(
        False, f"{found.reference}-materials.pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response

"""Resident pages for residence self-declaration and progress (mobile-first, no JS needed)."""

from __future__ import annotations

from dataclasses import fields

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from onetrip.common import divisions
from onetrip.common.errors import ApplicationError, RateLimited
from onetrip.common.http import client_address
from onetrip.common.masking import mask_id_number
from onetrip.contracts.declarations import HOUSING_TYPE_LABELS, RESIDENCE_REASON_LABELS
from onetrip.portal.accounts.auth import current_resident, resident_required

from .changes import (
    ChangeInput,
    registration_can_request,
    registration_cancel_declare,
    registration_change_declare,
)
from .errors import DeclarationDuplicate, DeclarationNotFound, FieldError
from .models import (
    Declaration,
    DeclarationStatus,
    HousingType,
    RegistrationRequest,
    ResidenceReason,
)
from .selectors import declaration_of_resident, declarations_of
from .services import (
    GUARDIAN_RELATIONS,
    DeclarationInput,
    declaration_check,
    declaration_progress_lookup,
    declaration_resubmit,
    declaration_submit,
)

# A returned declaration is corrected under its reference; a refused one (no station could take
# it) is corrected into a new declaration.
FIXABLE_STATUSES = (DeclarationStatus.RETURNED, DeclarationStatus.REJECTED)

INPUT_FIELDS = [f.name for f in fields(DeclarationInput)]


def address_options(values: dict[str, str]) -> dict[str, object]:
    """District → street → community choices for the selects, from what is chosen so far.

    A choice that no longer fits the level above it (the district was changed) is dropped."""
    district_code = values.get("district", "")
    street_code = values.get("street", "")
    community_code = values.get("community_code", "")
    community = divisions.community(community_code) if community_code else None
    street = divisions.street(street_code) if street_code else None
    if not district_code and community is not None:
        street = divisions.street(community.street_code)
    if not district_code and street is not None:
        district_code = street.district_code
    if street is not None and street.district_code != district_code:
        street = None
    if community is not None and (street is None or community.street_code != street.code):
        community = None
    return {
        "districts": [d for d in divisions.districts() if d.current],
        "streets": divisions.streets_of(district_code) if district_code else [],
        "communities": divisions.communities_of(street.code) if street is not None else [],
        "district": district_code,
        "street": street.code if street is not None else "",
        "community_code": community.code if community is not None else "",
    }


def _form_context(values: dict[str, str], errors: dict[str, object]) -> dict[str, object]:
    return {
        "values": values,
        "errors": errors,
        "housing_types": HousingType.choices,
        "reasons": ResidenceReason.choices,
        "guardian_relations": list(GUARDIAN_RELATIONS.items()),
        **address_options(values),
    }


def _iso(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value or "")


def _review_rows(clean: dict[str, object]) -> list[tuple[str, object]]:
    """What the resident confirms before submitting, in the words of the form."""
    community = divisions.community_label(str(clean["community_code"]))
    relation = GUARDIAN_RELATIONS.get(str(clean.get("guardian_relation", "")), "")
    rows: list[tuple[str, object]] = [
        (_("姓名"), clean["name"]),
        (_("公民身份号码"), clean["id_number"]),
        (_("性别（据身份证号）"), _("男") if clean["sex"] == "M" else _("女")),
        (_("出生日期（据身份证号）"), _iso(clean["birth_date"])),
        (_("联系电话"), clean["phone"]),
        (_("居住地"), community),
        (_("详细地址"), clean["address_detail"]),
        (_("住所类型"), HOUSING_TYPE_LABELS.get(str(clean["housing_type"]), "")),
        (_("房东（出租人）"), f"{clean['landlord_name']} {clean['landlord_phone']}".strip()),
        (_("居住事由"), RESIDENCE_REASON_LABELS.get(str(clean["reason"]), "")),
        (_("来本地日期"), _iso(clean["arrival_date"])),
        (_("服务处所"), clean["employer_name"]),
    ]
    if clean.get("guardian_name"):
        rows.append((_("监护人"), f"{clean['guardian_name']}（{relation}）"))
    return [(label, value) for label, value in rows if value not in ("", None)]


def _returned_for_fix(request: HttpRequest, reference: str) -> Declaration:
    resident = current_resident(request)
    assert resident is not None
    try:
        declaration = declaration_of_resident(resident=resident, reference=reference)
    except DeclarationNotFound as exc:
        raise Http404(exc.message) from exc
    if declaration.status not in FIXABLE_STATUSES:
        raise Http404(_("该申报无需更正"))
    return declaration


def _declaration_form(request: HttpRequest, *, fixing: Declaration | None) -> HttpResponse:
    """The declaration form: new, or a returned/refused one opened for correction.

    Without JavaScript the district and street choices reload the form ("refresh"); the main
    button shows a review page first ("review"), whose "confirm" submits. A POST with neither
    (an older page, a script) submits at once, as before."""
    resident = current_resident(request)
    assert resident is not None
    base = {"fixing": fixing}
    if request.method != "POST":
        if fixing is None:
            values = {"phone": resident.phone}
        else:
            values = {name: str(getattr(fixing, name) or "") for name in INPUT_FIELDS}
        return render(request, "declarations/declare.html", {**base, **_form_context(values, {})})
    values = {k: request.POST.get(k, "") for k in [*INPUT_FIELDS, "district", "street"]}
    if "refresh" in request.POST or "edit" in request.POST:
        return render(request, "declarations/declare.html", {**base, **_form_context(values, {})})
    data = DeclarationInput(**{k: values[k] for k in INPUT_FIELDS})
    try:
        if "review" in request.POST:
            clean = declaration_check(data)
            return render(
                request,
                "declarations/review.html",
                {**base, "values": values, "rows": _review_rows(clean)},
            )
        if fixing is not None and fixing.status == DeclarationStatus.RETURNED:
            declaration = declaration_resubmit(
                resident=resident, reference=fixing.reference, data=data, channel="web"
            )
        else:
            declaration = declaration_submit(resident=resident, data=data, channel="web")
    except DeclarationDuplicate as exc:
        context = {**base, **_form_context(values, {})}
        context["duplicate"] = exc
        return render(request, "declarations/declare.html", context, status=409)
    except ApplicationError as exc:
        context = {**base, **_form_context(values, dict(exc.by_field()))}
        context["error_list"] = exc.errors or [
            FieldError(exc.field, exc.code, exc.message_zh, exc.message_en)
        ]
        return render(request, "declarations/declare.html", context, status=400)
    return redirect("declarations:mine_detail", reference=declaration.reference)


@resident_required
def declare(request: HttpRequest) -> HttpResponse:
    return _declaration_form(request, fixing=None)


@resident_required
def fix(request: HttpRequest, reference: str) -> HttpResponse:
    return _declaration_form(request, fixing=_returned_for_fix(request, reference))


@resident_required
def mine(request: HttpRequest) -> HttpResponse:
    resident = current_resident(request)
    assert resident is not None
    rows = declarations_of(resident=resident)
    for declaration in rows:
        declaration.community_label = divisions.community_label(declaration.community_code)
    return render(request, "declarations/mine.html", {"declarations": rows})


@resident_required
def mine_detail(request: HttpRequest, reference: str) -> HttpResponse:
    resident = current_resident(request)
    assert resident is not None
    try:
        declaration = declaration_of_resident(resident=resident, reference=reference)
    except DeclarationNotFound as exc:
        raise Http404(_("未找到该申报")) from exc
    return render(
        request,
        "declarations/status.html",
        {
            "d": declaration,
            "community": divisions.community_label(declaration.community_code),
            "id_number": mask_id_number(declaration.id_number),
            "pending": declaration.requests.filter(state=RegistrationRequest.State.PENDING),
            "can_request": registration_can_request(declaration),
        },
    )


def _own(request: HttpRequest, reference: str) -> Declaration:
    resident = current_resident(request)
    assert resident is not None
    try:
        return declaration_of_resident(resident=resident, reference=reference)
    except DeclarationNotFound as exc:
        raise Http404(_("未找到该申报")) from exc


def _error_context(exc: ApplicationError) -> dict[str, object]:
    return {
        "errors": dict(exc.by_field()),
        "error_list": exc.errors
        or [FieldError(exc.field or "submit", exc.code, exc.message_zh, exc.message_en)],
    }


CHANGE_FIELDS = [f.name for f in fields(ChangeInput)]


@resident_required
def change(request: HttpRequest, reference: str) -> HttpResponse:
    """Declare a change of address or workplace of a registration (ZJ-11). Without JavaScript
    the district and street choices reload the form ("refresh")."""
    declaration = _own(request, reference)
    base: dict[str, object] = {
        "d": declaration,
        "community": divisions.community_label(declaration.community_code),
        "today": timezone.localdate().isoformat(),
        "housing_types": HousingType.choices,
    }
    if request.method != "POST":
        values = {"changed_on": ""}
        return render(
            request, "declarations/change.html", {**base, "values": values, **address_options({})}
        )
    values = {k: request.POST.get(k, "") for k in [*CHANGE_FIELDS, "district", "street"]}
    context = {**base, "values": values, **address_options(values)}
    if "refresh" in request.POST:
        return render(request, "declarations/change.html", context)
    try:
        registration_change_declare(
            resident=current_resident(request),  # type: ignore[arg-type]
            reference=declaration.reference,
            data=ChangeInput(**{k: values[k] for k in CHANGE_FIELDS}),
            channel="web",
        )
    except ApplicationError as exc:
        status = 409 if exc.status == 409 else 400
        return render(
            request, "declarations/change.html", {**context, **_error_context(exc)}, status=status
        )
    messages.success(request, _("变更申报已提交，派出所办理后将短信通知您"))
    return redirect("declarations:mine_detail", reference=declaration.reference)


@resident_required
def cancel(request: HttpRequest, reference: str) -> HttpResponse:
    """Declare leaving the city: the station cancels (注销) the registration (WF-1)."""
    declaration = _own(request, reference)
    base: dict[str, object] = {"d": declaration, "today": timezone.localdate().isoformat()}
    if request.method != "POST":
        return render(request, "declarations/cancel.html", {**base, "values": {}})
    values = {"left_on": request.POST.get("left_on", "")}
    try:
        registration_cancel_declare(
            resident=current_resident(request),  # type: ignore[arg-type]
            reference=declaration.reference,
            left_on=values["left_on"],
            channel="web",
        )
    except ApplicationError as exc:
        status = 409 if exc.status == 409 else 400
        context = {**base, "values": values, **_error_context(exc)}
        return render(request, "declarations/cancel.html", context, status=status)
    messages.success(request, _("注销申请已提交，派出所办理后将短信通知您"))
    return redirect("declarations:mine_detail", reference=declaration.reference)


def progress(request: HttpRequest) -> HttpResponse:
    reference = request.GET.get("reference", "").strip()
    id_last6 = request.GET.get("id_last6", "").strip()
    context: dict[str, object] = {"reference": reference, "id_last6": id_last6}
    if not (reference or id_last6):
        return render(request, "declarations/progress.html", context)
    try:
        context["d"] = declaration_progress_lookup(
            client_ip=client_address(request), reference=reference, id_last6=id_last6
        )
    except RateLimited as exc:
        context["error"] = exc.message
        response = render(request, "declarations/progress.html", context, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except DeclarationNotFound:
        context["error"] = _("未查到该申报：请核对申报编号和身份证号后六位")
        return render(request, "declarations/progress.html", context, status=404)
    return render(request, "declarations/progress.html", context)

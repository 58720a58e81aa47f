"""Resident pages for residence self-declaration and progress (mobile-first, no JS needed)."""

from __future__ import annotations

from dataclasses import fields

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from onetrip.common import divisions
from onetrip.common.errors import RateLimited
from onetrip.common.http import client_address
from onetrip.common.masking import mask_id_number
from onetrip.portal.accounts.auth import current_resident, resident_required

from .errors import DeclarationInvalid, DeclarationNotFound
from .models import HousingType, ResidenceReason
from .selectors import declaration_of_resident, declarations_of
from .services import (
    GUARDIAN_RELATIONS,
    DeclarationInput,
    declaration_progress_lookup,
    declaration_submit,
)

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


@resident_required
def declare(request: HttpRequest) -> HttpResponse:
    resident = current_resident(request)
    assert resident is not None
    if request.method != "POST":
        values = {"phone": resident.phone}
        return render(request, "declarations/declare.html", _form_context(values, {}))
    values = {k: request.POST.get(k, "") for k in [*INPUT_FIELDS, "district", "street"]}
    if "refresh" in request.POST:
        return render(request, "declarations/declare.html", _form_context(values, {}))
    data = DeclarationInput(**{k: values[k] for k in INPUT_FIELDS})
    try:
        declaration = declaration_submit(resident=resident, data=data, channel="web")
    except DeclarationInvalid as exc:
        context = _form_context(values, dict(exc.by_field()))
        context["error_list"] = exc.errors
        return render(request, "declarations/declare.html", context, status=400)
    return redirect("declarations:mine_detail", reference=declaration.reference)


@resident_required
def mine(request: HttpRequest) -> HttpResponse:
    resident = current_resident(request)
    assert resident is not None
    return render(
        request, "declarations/mine.html", {"declarations": declarations_of(resident=resident)}
    )


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
        },
    )


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

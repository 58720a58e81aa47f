"""Resident pages for the residence permit: may I apply, and from when (mobile-first, no JS)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from onetrip.common.errors import in_language
from onetrip.common.identifiers import IdentifierError, parse_resident_id
from onetrip.common.masking import mask_id_number
from onetrip.common.permit_eligibility import GuardianFacts, Route, RouteAnswers
from onetrip.common.permit_materials import Housing, materials_for
from onetrip.portal.accounts.auth import current_resident
from onetrip.portal.declarations.services import GUARDIAN_RELATIONS

from .applications import HOUSING_LABELS, ROUTE_LABELS
from .services import EligibilityQuestion, eligibility_check, ids_of_resident

MAX_MONTHS = 600


def _months(raw: str) -> tuple[int | None, str]:
    raw = raw.strip()
    if not raw:
        return None, ""
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_MONTHS:
        return None, _("请填写0至600之间的整数月数，不清楚可留空")
    return int(raw), ""


def eligibility(request: HttpRequest) -> HttpResponse:
    resident = current_resident(request)
    own_ids = ids_of_resident(resident=resident) if resident else []
    context: dict[str, object] = {
        "own_ids": [(n, mask_id_number(n)) for n in own_ids],
        "guardian_relations": list(GUARDIAN_RELATIONS.items()),
        "values": request.GET,
        "errors": {},
    }
    if "id_number" not in request.GET:
        return render(request, "permits/eligibility.html", context)

    errors: dict[str, str] = {}
    get = request.GET
    declared_on = None
    if get.get("declared_on", "").strip():
        try:
            declared_on = dt.date.fromisoformat(get["declared_on"].strip())
        except ValueError:
            errors["declared_on"] = _("日期格式不正确，请按“年-月-日”填写")
    insurance, problem = _months(get.get("social_insurance_months", ""))
    if problem:
        errors["social_insurance_months"] = problem
    guardian_insurance, problem = _months(get.get("guardian_insurance_months", ""))
    if problem:
        errors["guardian_insurance_months"] = problem
    guardian = None
    if get.get("guardian_relation") in GUARDIAN_RELATIONS:
        guardian = GuardianFacts(
            relation=get["guardian_relation"],
            guardians_hold_permits=bool(get.get("guardians_hold_permits")),
            social_insurance_months=guardian_insurance,
        )
    question = EligibilityQuestion(
        id_number=get.get("id_number", ""),
        declared_on=declared_on,
        answers=RouteAnswers(
            social_insurance_months=insurance,
            has_employment_proof=bool(get.get("has_employment_proof")),
            has_residence_proof=bool(get.get("has_residence_proof")),
            is_enrolled=bool(get.get("is_enrolled")),
            exempt_investor_or_talent=bool(get.get("exempt")),
            guardian=guardian,
        ),
    )
    try:
        parse_resident_id(question.id_number)
    except IdentifierError as exc:
        errors["id_number"] = exc.message
    if not errors:
        try:
            result, from_record = eligibility_check(question=question, resident=resident)
        except IdentifierError as exc:
            errors["id_number"] = exc.message
        else:
            context.update(
                result=result,
                from_record=from_record,
                reasons=[in_language(r.zh, r.en) for r in result.reasons],
                materials_route=min(result.routes_met, default=""),
            )
    context["errors"] = errors
    status = 400 if errors else 200
    return render(request, "permits/eligibility.html", context, status=status)


def materials(request: HttpRequest) -> HttpResponse:
    """The one-time materials list (一次性告知单) for the case the resident describes (DOC-3)."""
    get = request.GET
    context: dict[str, object] = {
        "routes": list(ROUTE_LABELS.items()),
        "housings": list(HOUSING_LABELS.items()),
        "values": get,
    }
    route = get.get("route", "")
    if route not in Route._value2member_map_:
        return render(request, "permits/materials.html", context)
    housing = get.get("housing", "")
    if route == Route.RESIDENCE and housing not in Housing._value2member_map_:
        if "housing" not in get:
            # The eligibility answer links here with the route alone: the housing is the
            # resident's next choice on this form, not a mistake yet.
            return render(request, "permits/materials.html", context)
        context["error"] = _("请选择住所类型")
        return render(request, "permits/materials.html", context, status=400)
    items = materials_for(
        route=Route(route),
        housing=Housing(housing) if route == Route.RESIDENCE else None,
        minor=bool(get.get("minor")),
        guardian_is_parent=get.get("guardian") != "other",
        by_agent=bool(get.get("by_agent")),
    )
    context["items"] = [
        {
            "id": item.id,
            "names": [in_language(p.name_zh, p.name_en) for p in item.alternatives],
            "issuers": sorted({p.issuer_zh for p in item.alternatives}),
            "auto_fetched": item.auto_fetched,
        }
        for item in items
    ]
    context["route_label"] = ROUTE_LABELS[Route(route)]
    return render(request, "permits/materials.html", context)

"""The channel API for the residence permit: eligibility and the one-time materials list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from onetrip.common.permit_eligibility import add_months

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def _post(client, body):
    return client.post(
        "/api/v1/permit/eligibility",
        body,
        content_type="application/json",
        HTTP_HOST="portal.testserver",
    )


def test_zj14_the_api_says_when_the_applicant_may_apply(client):
    declared = timezone.localdate() - dt.timedelta(days=40)
    answer = _post(
        client,
        {
            "id_number": "33010619900101123X",
            "declared_on": declared.isoformat(),
            "social_insurance_months": 14,
            "has_employment_proof": True,
        },
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["eligible"] is False
    assert body["routes_met"] == ["employment"]
    assert body["eligible_from"] == add_months(declared, 6).isoformat()
    assert [r["code"] for r in body["reasons"]] == ["six_months_not_reached"]
    assert body["from_police_record"] is False


def test_nat9_a_minor_through_a_guardian(client):
    answer = _post(
        client,
        {
            "id_number": "330106201503010018",
            "declared_on": "2025-01-01",
            "is_enrolled": True,
            "guardian": {"relation": "grandparent", "guardians_hold_permits": True},
        },
    )
    body = answer.json()
    assert body["through_guardian"] is True
    assert [r["code"] for r in body["reasons"]] == ["guardian_insurance_required"]


def test_a_bad_id_number_is_a_400_with_the_field(client):
    answer = _post(client, {"id_number": "330106199001011231"})
    assert answer.status_code == 400
    assert answer.json()["field"] == "id_number"


def test_doc3_materials_for_a_rented_home(client):
    answer = client.get(
        "/api/v1/permit/materials",
        {"route": "residence", "housing": "rented_state_land"},
        HTTP_HOST="portal.testserver",
    )
    assert answer.status_code == 200
    items = {item["id"]: item for item in answer.json()}
    assert items["C25"]["auto_fetched"] is True
    assert items["C23"]["names"] == ["房屋租赁合同"]


def test_doc3_the_residence_route_needs_housing(client):
    answer = client.get(
        "/api/v1/permit/materials", {"route": "residence"}, HTTP_HOST="portal.testserver"
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "housing_required"

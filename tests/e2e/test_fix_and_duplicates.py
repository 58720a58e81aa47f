"""A returned declaration is corrected and resubmitted under the same reference and the station
sees the same case again; a second declaration at the same address is refused with a link to
the first; the same person at another address reaches the station flagged (issue-found: the
same ID number was accepted 11 times; "请登录…修改后重新提交" led nowhere)."""

from __future__ import annotations

import re

import pytest

from onetrip.police.register.models import DeclarationHistory, ResidenceDeclaration
from onetrip.portal.declarations.models import Declaration
from tests.ferry.helpers import pump
from tests.fixtures import valid_declaration

pytestmark = pytest.mark.django_db(databases=["default", "police"], transaction=True)


def _declare(resident_client, **overrides) -> str:
    response = resident_client.post("/declare/", valid_declaration(**overrides))
    assert response.status_code == 302, response.content.decode()[:2000]
    match = re.search(r"/my/declarations/(JZ\d+)/", response["Location"])
    assert match
    return match.group(1)


def test_wf1_returned_declaration_is_fixed_and_resubmitted_as_the_same_case(
    ferry_env, sms_simulator, resident_client, clerk_client, beishan
):
    reference = _declare(resident_client, address_detail="曙光路 12 号")
    pump()
    clerk_client.post(f"/declarations/{reference}/return/", {"reason": "请补充楼栋和门牌号。"})
    pump()
    status = resident_client.get(f"/my/declarations/{reference}/").content.decode()
    assert f"/my/declarations/{reference}/fix/" in status

    form = resident_client.get(f"/my/declarations/{reference}/fix/")
    page = form.content.decode()
    assert "请补充楼栋和门牌号" in page
    assert 'value="曙光路 12 号"' in page

    corrected = valid_declaration(address_detail="曙光路 12 号 3 幢 201 室")
    review = resident_client.post(
        f"/my/declarations/{reference}/fix/", {**corrected, "review": "1"}
    )
    assert review.status_code == 200
    assert "曙光路 12 号 3 幢 201 室" in review.content.decode()
    assert "1990-01-01" in review.content.decode()  # birth date read from the ID number
    done = resident_client.post(f"/my/declarations/{reference}/fix/", {**corrected, "confirm": "1"})
    assert done.status_code == 302
    assert done["Location"].endswith(f"/my/declarations/{reference}/")
    pump()

    case = ResidenceDeclaration.objects.get(reference=reference)
    assert case.status == "declared"
    assert case.address_detail == "曙光路 12 号 3 幢 201 室"
    assert case.return_reason == ""
    steps = list(
        DeclarationHistory.objects.filter(declaration=case).values_list("from_status", "to_status")
    )
    assert steps == [("", "declared"), ("declared", "returned"), ("returned", "declared")]
    assert ResidenceDeclaration.objects.count() == 1

    clerk_client.post(f"/declarations/{reference}/verify/", {})
    pump()
    mirror = Declaration.objects.get(reference=reference)
    assert mirror.status == "registered"
    statuses = [e.status for e in mirror.events.order_by("id")]
    assert statuses == ["submitted", "received", "returned", "submitted", "received", "registered"]


def test_a_second_declaration_at_the_same_address_is_refused_with_a_link(
    ferry_env, resident_client, beishan
):
    first = _declare(resident_client)
    again = resident_client.post(
        "/declare/", valid_declaration(address_detail=" 曙光路12号3幢201室 ")
    )
    assert again.status_code == 409
    page = again.content.decode()
    assert f"/my/declarations/{first}/" in page
    assert "无需重复申报" in page
    assert Declaration.objects.count() == 1


def test_the_same_person_at_another_address_reaches_the_station_flagged(
    ferry_env, resident_client, clerk_client, beishan
):
    first = _declare(resident_client)
    second = _declare(resident_client, address_detail="保俶路 8 号 1 幢 101 室")
    pump()
    flagged = ResidenceDeclaration.objects.get(reference=second)
    assert flagged.duplicate_flag == "address_change"
    assert flagged.related_reference == first
    assert ResidenceDeclaration.objects.get(reference=first).duplicate_flag == ""


def test_only_a_returned_declaration_opens_for_correction(ferry_env, resident_client, beishan):
    reference = _declare(resident_client)
    assert resident_client.get(f"/my/declarations/{reference}/fix/").status_code == 404


def test_the_api_refuses_a_duplicate_with_409_and_the_existing_reference(
    ferry_env, client, resident, resident_client, beishan
):
    from onetrip.portal.api.auth import token_for

    first = _declare(resident_client)
    body = {k: v for k, v in valid_declaration().items() if k not in ("district", "street")}
    response = client.post(
        "/api/v1/declarations",
        body,
        content_type="application/json",
        HTTP_HOST="portal.testserver",
        HTTP_AUTHORIZATION=f"Bearer {token_for(resident)}",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_declaration"
    assert response.json()["reference"] == first


def test_the_api_resubmits_a_returned_declaration_under_its_reference(
    ferry_env, sms_simulator, client, resident, resident_client, clerk_client, beishan
):
    from onetrip.portal.api.auth import token_for

    reference = _declare(resident_client, address_detail="曙光路 12 号")
    pump()
    clerk_client.post(f"/declarations/{reference}/return/", {"reason": "请补充门牌号"})
    pump()
    headers = {
        "HTTP_HOST": "portal.testserver",
        "HTTP_AUTHORIZATION": f"Bearer {token_for(resident)}",
    }
    body = {
        k: v
        for k, v in valid_declaration(address_detail="曙光路 12 号 3 幢").items()
        if k not in ("district", "street")
    }
    path = f"/api/v1/declarations/{reference.lower()}/resubmit"
    answer = client.post(path, body, content_type="application/json", **headers)
    assert answer.status_code == 200, answer.content
    assert answer.json()["reference"] == reference
    assert answer.json()["status"] == "submitted"
    again = client.post(path, body, content_type="application/json", **headers)
    assert again.status_code == 409
    assert again.json()["code"] == "not_returned"
    pump()
    case = ResidenceDeclaration.objects.get(reference=reference)
    assert case.address_detail == "曙光路 12 号 3 幢"

"""The reporting API: an organisation's token, a batch with an idempotency key, its progress and
problems by item number (ZJ-6…ZJ-9, WF-4)."""

from __future__ import annotations

import pytest
from django.test import Client

from onetrip.portal.ferrybox.models import OutboxMessage
from onetrip.portal.reporting.models import ReportImport, TokenScope
from onetrip.portal.reporting.services import import_run, member_for, token_create, token_revoke
from tests.fixtures import BEISHAN_COMMUNITY

from .helpers import approve, signed_up

pytestmark = pytest.mark.django_db(databases=["default", "police"])

PERSON = {
    "event": "入职",
    "name": "张三",
    "id_number": "33010619900101123X",
    "phone": "13800138000",
    "date": "2026-11-20",
    "community": BEISHAN_COMMUNITY,
    "address": "曙光路 12 号 3 幢 201 室",
}


@pytest.fixture(autouse=True)
def fixed_today():
    import time_machine

    with time_machine.travel("2026-11-25 10:00:00+08:00", tick=True):
        yield


@pytest.fixture
def admin(resident):
    organisation = approve(signed_up(resident))
    return member_for(resident=resident, credit_code=organisation.credit_code)


@pytest.fixture
def token_text(admin):
    _token, text = token_create(
        admin=admin, name="HR", scopes=[TokenScope.REPORT, TokenScope.READ], days=30
    )
    return text


def api(token: str, key: str | None = "batch-1") -> Client:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return Client(HTTP_HOST="portal.testserver", **headers)


def post(client: Client, body: dict) -> object:
    return client.post("/api/v1/reporting/batches", body, content_type="application/json")


def test_wf4_a_batch_is_checked_item_by_item_and_its_problems_name_the_item(token_text):
    bad = {**PERSON, "name": "赵六", "id_number": "110105194912310021"}
    response = post(api(token_text), {"people": [PERSON, bad]})
    assert response.status_code == 202, response.content
    reference = response.json()["reference"]
    import_run(reference=reference)
    status = api(token_text, key=None).get(f"/api/v1/reporting/batches/{reference}").json()
    assert (status["rows_valid"], status["rows_rejected"]) == (1, 1)
    (problem,) = status["problems"]
    assert problem["item"] == 2
    assert problem["sheet"] == "people"
    assert problem["message"] and problem["message_en"]
    (message,) = OutboxMessage.objects.filter(message_type="report.rows_submitted")
    assert [p["name"] for p in message.payload["people"]] == ["张三"]


def test_the_same_key_and_batch_answer_the_first_import_and_change_nothing(token_text):
    first = post(api(token_text), {"people": [PERSON]}).json()
    second = post(api(token_text), {"people": [PERSON]})
    assert second.status_code == 202
    assert second.json()["reference"] == first["reference"]
    assert ReportImport.objects.count() == 1


def test_the_same_key_with_another_batch_is_a_conflict(token_text):
    post(api(token_text), {"people": [PERSON]})
    response = post(api(token_text), {"people": [{**PERSON, "name": "李四"}]})
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert ReportImport.objects.count() == 1


def test_a_batch_needs_an_idempotency_key(token_text):
    response = post(api(token_text, key=None), {"people": [PERSON]})
    assert response.status_code == 422
    assert not ReportImport.objects.exists()


def test_an_empty_batch_is_refused(token_text):
    response = post(api(token_text), {"people": [], "houses": []})
    assert response.status_code == 400
    assert response.json()["code"] == "batch_empty"


def test_a_batch_over_the_limit_is_refused(token_text, settings):
    settings.ONETRIP_REPORT_API_MAX_ITEMS = 2
    response = post(api(token_text), {"people": [PERSON] * 3})
    assert response.status_code == 400
    assert response.json()["code"] == "batch_too_large"


def test_a_revoked_or_unknown_token_is_401(admin, token_text):
    assert post(api("otr_0000000000_nope"), {"people": [PERSON]}).status_code == 401
    token_revoke(admin=admin, token_id=admin.organisation.tokens.get().pk)
    assert post(api(token_text), {"people": [PERSON]}).status_code == 401
    assert not ReportImport.objects.exists()


def test_a_read_only_token_cannot_send(admin):
    _token, text = token_create(admin=admin, name="查询", scopes=[TokenScope.READ], days=1)
    assert post(api(text), {"people": [PERSON]}).status_code == 401


def test_another_organisations_batch_is_not_found(token_text, db):
    from onetrip.portal.accounts.models import Resident
    from onetrip.portal.accounts.services import phone_hash_of

    reference = post(api(token_text), {"people": [PERSON]}).json()["reference"]
    other = Resident.objects.create(phone="13600136000", phone_hash=phone_hash_of("13600136000"))
    other_org = approve(signed_up(other, credit_code="91330106322023387N"))
    other_admin = member_for(resident=other, credit_code=other_org.credit_code)
    _token, other_text = token_create(
        admin=other_admin, name="HR", scopes=[TokenScope.READ], days=1
    )
    response = api(other_text, key=None).get(f"/api/v1/reporting/batches/{reference}")
    assert response.status_code == 404

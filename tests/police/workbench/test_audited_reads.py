"""Every workbench page and API endpoint that shows a declaration's personal data writes an
audit row naming the reader, the object, the fields and the purpose (DOMAIN WF-6, PI-15); a
refused read is audited too (MLPS-5)."""

from __future__ import annotations

import pytest

from onetrip.police.audit.models import AuditEvent
from onetrip.police.register.services import declaration_receive
from tests.fixtures import submitted_declaration

pytestmark = pytest.mark.django_db(databases=["default", "police"])

REF = "JZ26112700000001"


@pytest.fixture
def received(beishan):
    return declaration_receive(message=submitted_declaration(REF))


def _reads(**filters):
    return list(
        AuditEvent.objects.filter(action="residence_declaration.view_personal_data", **filters)
    )


def test_wf6_api_list_writes_an_audit_row(clerk_client, received):
    response = clerk_client.get("/api/v1/declarations")
    assert response.status_code == 200
    assert response.json()[0]["name"] == "张*"
    [row] = _reads(object_id="queue:declared")
    assert row.actor == "clerk_beishan"
    assert row.purpose == "api_list"
    assert row.success is True
    assert "id_number:masked" in row.detail["fields"]


def test_wf6_api_list_of_nothing_reads_nobody(clerk_client, beishan):
    assert clerk_client.get("/api/v1/declarations").json() == []
    assert _reads() == []


def test_wf6_api_read_writes_an_audit_row(clerk_client, received):
    response = clerk_client.get(f"/api/v1/declarations/{REF}")
    assert response.status_code == 200
    [row] = _reads(object_id=REF)
    assert (row.actor, row.purpose, row.success) == ("clerk_beishan", "api_read", True)
    assert row.detail["fields"] == ["id_number:masked", "name:masked", "phone:masked"]


def test_wf6_api_verify_records_the_decision(clerk_client, received):
    response = clerk_client.post(
        f"/api/v1/declarations/{REF}/verify", {}, content_type="application/json"
    )
    assert response.status_code == 200
    row = AuditEvent.objects.get(action="declaration.verify", object_id=REF)
    assert row.actor == "clerk_beishan"


def test_wf6_api_return_records_the_decision(clerk_client, received):
    response = clerk_client.post(
        f"/api/v1/declarations/{REF}/return",
        {"reason": "地址门牌号缺失，请补充"},
        content_type="application/json",
    )
    assert response.status_code == 200
    row = AuditEvent.objects.get(action="declaration.return", object_id=REF)
    assert row.actor == "clerk_beishan"


def test_wf6_queue_page_writes_an_audit_row(clerk_client, received):
    assert clerk_client.get("/declarations/").status_code == 200
    [row] = _reads(object_id="queue:declared")
    assert row.purpose == "work_queue"


def test_wf6_detail_page_writes_an_audit_row(clerk_client, received):
    assert clerk_client.get(f"/declarations/{REF}/").status_code == 200
    [row] = _reads(object_id=REF)
    assert row.purpose == "verify_declaration"
    assert "address_detail" in row.detail["fields"]
    assert "id_number:full" not in row.detail["fields"]


def test_wf6_reveal_writes_an_audit_row_naming_the_full_values(clerk_client, received):
    page = clerk_client.post(f"/declarations/{REF}/reveal/")
    assert page.status_code == 200
    assert "33010619900101123X" in page.content.decode()
    [row] = _reads(object_id=REF)
    assert row.purpose == "reveal:verify_declaration"
    assert {"id_number:full", "phone:full"} <= set(row.detail["fields"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/api/v1/declarations/{REF}"),
        ("get", f"/declarations/{REF}/"),
        ("post", f"/declarations/{REF}/reveal/"),
    ],
)
def test_mlps5_refused_read_of_another_station_is_audited(
    other_clerk_client, received, method, path
):
    response = getattr(other_clerk_client, method)(path)
    assert response.status_code == 404
    [row] = _reads(object_id=REF)
    assert row.actor == "clerk_hubin"
    assert row.success is False
    assert "33010619900101123X" not in response.content.decode()


def test_api_not_found_answers_the_documented_error_body(clerk_client, beishan):
    response = clerk_client.get("/api/v1/declarations/JZ00000000000000")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "not_found"
    assert body["message"] == "未找到该申报"
    assert body["message_en"] == "Declaration not found"

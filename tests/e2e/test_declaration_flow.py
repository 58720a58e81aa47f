"""The walking skeleton end to end: a resident declares on the portal, the declaration crosses the
ferry to the police station covering the community, a clerk verifies it, and the result crosses
back to the resident with an SMS (DESIGN §2–§3; DOMAIN ZJ-3, ZJ-12, WF-1)."""

from __future__ import annotations

import re

import pytest

from onetrip.police.audit.models import AuditEvent
from onetrip.police.register.models import ResidenceDeclaration
from onetrip.portal.declarations.models import Declaration
from onetrip.portal.notify.models import SmsMessage
from tests.ferry.helpers import pump
from tests.fixtures import BEISHAN_COMMUNITY, valid_declaration

pytestmark = pytest.mark.django_db(databases=["default", "police"], transaction=True)


def _declare(resident_client) -> str:
    response = resident_client.post("/declare/", valid_declaration())
    assert response.status_code == 302, response.content.decode()[:2000]
    match = re.search(r"/my/declarations/(JZ\d+)/", response["Location"])
    assert match
    return match.group(1)


def test_wf1_declaration_lands_in_the_covering_station_queue(
    ferry_env, resident_client, clerk_client, beishan
):
    reference = _declare(resident_client)
    pump()
    police_copy = ResidenceDeclaration.objects.get(reference=reference)
    assert police_copy.station == beishan
    assert police_copy.community_code == BEISHAN_COMMUNITY
    queue = clerk_client.get("/declarations/")
    assert reference in queue.content.decode()
    portal = Declaration.objects.get(reference=reference)
    assert portal.status == "received"
    assert portal.station_name == beishan.name


def test_wf1_clerk_verifies_and_resident_sees_registered_with_sms(
    ferry_env, sms_simulator, resident_client, clerk_client, beishan
):
    reference = _declare(resident_client)
    pump()
    response = clerk_client.post(f"/declarations/{reference}/verify/", {})
    assert response.status_code == 302
    pump()
    page = resident_client.get(f"/my/declarations/{reference}/").content.decode()
    assert "已登记" in page
    declaration = Declaration.objects.get(reference=reference)
    assert declaration.status == "registered"
    assert declaration.registration_number.startswith(beishan.code)
    statuses = [e.status for e in declaration.events.all()]
    assert statuses == ["submitted", "received", "registered"]
    sms = SmsMessage.objects.filter(template="declaration_registered").get()
    assert sms.status == "sent"
    assert reference in sms.text
    recorded = sms_simulator.messages(to="13800138000")
    assert len(recorded) == 1
    assert reference in recorded[0]["text"] and "核查通过" in recorded[0]["text"]


def test_wf1_clerk_returns_with_reason_and_resident_sees_it(
    ferry_env, sms_simulator, resident_client, clerk_client
):
    reference = _declare(resident_client)
    pump()
    clerk_client.post(f"/declarations/{reference}/return/", {"reason": "详细地址缺少门牌号"})
    pump()
    declaration = Declaration.objects.get(reference=reference)
    assert declaration.status == "returned"
    assert declaration.return_reason == "详细地址缺少门牌号"
    page = resident_client.get(f"/my/declarations/{reference}/").content.decode()
    assert "详细地址缺少门牌号" in page
    assert SmsMessage.objects.filter(template="declaration_returned").count() == 1


def test_clerk_of_another_station_gets_not_found_on_page_and_api(
    ferry_env, resident_client, other_clerk_client
):
    reference = _declare(resident_client)
    pump()
    assert other_clerk_client.get(f"/declarations/{reference}/").status_code == 404
    assert reference not in other_clerk_client.get("/declarations/").content.decode()
    api = other_clerk_client.get(f"/api/v1/declarations/{reference}")
    assert api.status_code == 404
    assert api.json()["code"] == "not_found"
    verify = other_clerk_client.post(f"/declarations/{reference}/verify/", {})
    assert verify.status_code == 404
    assert ResidenceDeclaration.objects.get(reference=reference).status == "declared"


def test_pi5_clerk_reading_personal_data_is_audited_and_masked(
    ferry_env, resident_client, clerk_client
):
    reference = _declare(resident_client)
    pump()
    page = clerk_client.get(f"/declarations/{reference}/").content.decode()
    assert "33010619900101123X" not in page
    assert "3301" in page and "123X" in page
    events = AuditEvent.objects.filter(object_id=reference, actor="clerk_beishan")
    assert events.filter(action="residence_declaration.view_personal_data").count() == 1
    revealed = clerk_client.post(f"/declarations/{reference}/reveal/").content.decode()
    assert "33010619900101123X" in revealed
    assert events.count() == 2


def test_progress_lookup_without_login_needs_reference_and_id_suffix(
    ferry_env, reference_data, resident_client, client
):
    reference = _declare(resident_client)
    pump()
    client.defaults["HTTP_HOST"] = "portal.testserver"
    ok = client.get("/progress/", {"reference": reference, "id_last6": "01123x"})
    assert ok.status_code == 200
    assert "派出所已接收" in ok.content.decode()
    wrong = client.get("/progress/", {"reference": reference, "id_last6": "000000"})
    assert wrong.status_code == 404
    api = client.get("/api/v1/progress", {"reference": reference, "id_last6": "01123X"})
    assert api.status_code == 200
    assert [e["status"] for e in api.json()["history"]] == ["submitted", "received"]

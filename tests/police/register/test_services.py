"""The register's decisions: jurisdiction, roles, legal transitions, numbering, audit (WF-1)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from onetrip.common.errors import ApplicationError
from onetrip.ferry.agent.handlers import BusinessReject
from onetrip.ferry.registry import get_store
from onetrip.police.audit.models import AuditEvent
from onetrip.police.register.errors import DeclarationNotFound, RegisterError
from onetrip.police.register.handlers import on_declaration_submitted
from onetrip.police.register.models import DeclarationHistory, ResidenceDeclaration
from onetrip.police.register.services import (
    declaration_receive,
    declaration_return,
    declaration_verify,
)
from tests.fixtures import BEISHAN_COMMUNITY, staff, submitted_declaration

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def submitted(reference: str = "JZ26112700000001", community: str = BEISHAN_COMMUNITY):
    return submitted_declaration(reference, community)


def test_receive_files_the_declaration_with_the_covering_station(beishan):
    declaration = declaration_receive(message=submitted())
    assert declaration.station == beishan
    assert declaration.status == "declared"
    outbox = get_store("police").outbox.objects.get(message_type="declaration.status_changed")
    assert outbox.message_type == "declaration.status_changed"
    assert outbox.payload["status"] == "received"


def test_community_no_station_covers_is_a_business_reject(reference_data):
    with pytest.raises(BusinessReject):
        declaration_receive(message=submitted(community="330106999999"))
    assert ResidenceDeclaration.objects.count() == 0


def test_same_reference_twice_is_a_business_reject(beishan):
    declaration_receive(message=submitted())
    with pytest.raises(BusinessReject):
        on_declaration_submitted(None, submitted())  # type: ignore[arg-type]
    assert ResidenceDeclaration.objects.count() == 1


def test_verify_gives_gapless_registration_numbers_per_station_and_year(clerk, beishan):
    declaration_receive(message=submitted("JZ1"))
    declaration_receive(message=submitted("JZ2"))
    first = declaration_verify(user=clerk, reference="JZ1")
    second = declaration_verify(user=clerk, reference="JZ2")
    year = timezone.localdate().year
    assert first.registration_number == f"{beishan.code}{year}000001"
    assert second.registration_number == f"{beishan.code}{year}000002"
    assert first.registered_on == timezone.localdate()
    history = DeclarationHistory.objects.filter(declaration=first).values_list(
        "from_status", "to_status", "actor"
    )
    assert list(history) == [("", "declared", "ferry"), ("declared", "registered", "clerk_beishan")]
    audit = AuditEvent.objects.get(object_id="JZ1", action="declaration.verify")
    assert audit.actor == "clerk_beishan" and audit.station_code == beishan.code


def test_a_decided_declaration_cannot_be_decided_again(clerk, beishan):
    declaration_receive(message=submitted())
    declaration_verify(user=clerk, reference="JZ26112700000001")
    with pytest.raises(RegisterError) as exc:
        declaration_return(user=clerk, reference="JZ26112700000001", reason="地址不详，请补充")
    assert exc.value.code == "already_decided"


def test_clerk_of_another_station_cannot_see_or_decide(other_clerk, beishan):
    declaration_receive(message=submitted())
    with pytest.raises(DeclarationNotFound):
        declaration_verify(user=other_clerk, reference="JZ26112700000001")
    assert ResidenceDeclaration.objects.get().status == "declared"


def test_district_admin_sees_but_cannot_decide(beishan):
    admin = staff("district_xihu", "district_admin", None, district_code="330106")
    declaration_receive(message=submitted())
    with pytest.raises(RegisterError) as exc:
        declaration_verify(user=admin, reference="JZ26112700000001")
    assert exc.value.code == "role_cannot_decide"


def test_return_needs_a_reason_the_resident_can_act_on(clerk, beishan):
    declaration_receive(message=submitted())
    with pytest.raises(RegisterError) as exc:
        declaration_return(user=clerk, reference="JZ26112700000001", reason="  no ")
    assert exc.value.code == "reason_required"
    assert ResidenceDeclaration.objects.get().status == "declared"


def test_registration_date_cannot_be_in_the_future(clerk, beishan):
    declaration_receive(message=submitted())
    with pytest.raises(RegisterError) as exc:
        declaration_verify(
            user=clerk,
            reference="JZ26112700000001",
            registered_on=timezone.localdate() + dt.timedelta(days=1),
        )
    assert exc.value.code == "registered_on_invalid"


def test_workbench_api_verifies_within_scope(clerk_client, beishan):
    declaration_receive(message=submitted())
    listed = clerk_client.get("/api/v1/declarations")
    assert [d["reference"] for d in listed.json()] == ["JZ26112700000001"]
    assert listed.json()[0]["id_number"] == "3301**********123X"
    response = clerk_client.post(
        "/api/v1/declarations/JZ26112700000001/verify", {}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "registered"
    again = clerk_client.post(
        "/api/v1/declarations/JZ26112700000001/verify", {}, content_type="application/json"
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_decided"


def test_workbench_pages_need_astaff_login(client):
    response = client.get("/declarations/", HTTP_HOST="police.testserver")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_return_reason_is_clean_text_without_a_closing_full_stop(clerk, beishan):
    """The SMS adds its own "。": a reason ending in one read "…重新申报。。"."""
    declaration_receive(message=submitted())
    declaration = declaration_return(
        user=clerk, reference="JZ26112700000001", reason=" 门牌号缺失，请补充后重新申报。 "
    )
    assert declaration.return_reason == "门牌号缺失，请补充后重新申报"
    with pytest.raises(ApplicationError) as exc:
        declaration_return(user=clerk, reference="JZ26112700000001", reason="缺门牌😀号")
    assert exc.value.code == "unsupported_character"

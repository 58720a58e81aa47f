"""Workbench pages for a registration's change at the window (ZJ-11) and its cancellation (WF-1):
offered only where the service accepts them, every read and write audited (WF-6)."""

from __future__ import annotations

import pytest

from onetrip.police.audit.models import AuditEvent
from onetrip.police.register.models import RegistrationChange, ResidenceDeclaration
from onetrip.police.register.services import declaration_receive, declaration_verify
from tests.fixtures import submitted_declaration

pytestmark = pytest.mark.django_db(databases=["default", "police"])

REF = "JZ26112700000001"


@pytest.fixture
def registered(clerk, beishan):
    declaration_receive(message=submitted_declaration(REF))
    declaration_verify(user=clerk, reference=REF)
    return ResidenceDeclaration.objects.get(reference=REF)


def test_wf1_change_and_cancel_are_offered_only_on_a_registration(clerk_client, clerk, beishan):
    declaration_receive(message=submitted_declaration(REF))
    page = clerk_client.get(f"/declarations/{REF}/").content.decode()
    assert 'id="record-change"' not in page and 'id="cancel-registration"' not in page
    declaration_verify(user=clerk, reference=REF)
    page = clerk_client.get(f"/declarations/{REF}/").content.decode()
    assert 'id="record-change"' in page and 'id="cancel-registration"' in page


def test_zj_11_clerk_records_a_workplace_change_with_audit(registered, clerk_client):
    response = clerk_client.post(
        f"/declarations/{REF}/change/",
        {"changed_on": registered.registered_on.isoformat(), "employer_name": "杭州窗口单位"},
    )
    assert response.status_code == 302
    change = RegistrationChange.objects.get()
    assert (change.channel, change.late, change.employer_name) == ("window", False, "杭州窗口单位")
    assert AuditEvent.objects.filter(action="registration.change", object_id=REF).count() == 1
    page = clerk_client.get(f"/declarations/{REF}/").content.decode()
    assert 'id="changes"' in page and "杭州窗口单位" in page and "按期申报" in page
    read = AuditEvent.objects.filter(
        action="residence_declaration.view_personal_data", object_id=REF
    ).last()
    assert "changes.address_detail" in read.detail["fields"]


def test_zj_11_a_bad_window_change_is_refused_in_chinese_and_changes_nothing(
    registered, clerk_client
):
    response = clerk_client.post(
        f"/declarations/{REF}/change/", {"changed_on": "2999-01-01", "employer_name": "新单位"}
    )
    page = clerk_client.get(response["Location"]).content.decode()
    assert "变更日期不能晚于今天" in page
    assert not RegistrationChange.objects.exists()


def test_wf1_staff_cancel_needs_a_note_for_other_then_cancels(registered, clerk_client):
    clerk_client.post(f"/declarations/{REF}/cancel/", {"reason": "other", "note": ""})
    registered.refresh_from_db()
    assert registered.status == "changed" or registered.status == "registered"
    response = clerk_client.post(
        f"/declarations/{REF}/cancel/", {"reason": "other", "note": "本人到派出所申请注销"}
    )
    assert response.status_code == 302
    registered.refresh_from_db()
    assert (registered.status, registered.cancel_reason) == ("cancelled", "other")
    page = clerk_client.get(f"/declarations/{REF}/").content.decode()
    assert 'id="permit-effect"' in page and 'id="cancel-registration"' not in page


def test_wf1_clerk_of_another_station_cannot_cancel(registered, other_clerk_client):
    response = other_clerk_client.post(f"/declarations/{REF}/cancel/", {"reason": "left_city"})
    assert response.status_code == 404
    registered.refresh_from_db()
    assert registered.status == "registered"

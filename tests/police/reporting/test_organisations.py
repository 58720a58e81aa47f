"""Organisations sign up on the portal and the district decides (ZJ-6…ZJ-9 reporters, WF-6)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from onetrip.ferry.registry import get_store
from onetrip.police.audit.models import AuditEvent
from onetrip.police.reporting.errors import OrganisationNotFound, ReportingError
from onetrip.police.reporting.handlers import on_organisation_registered
from onetrip.police.reporting.models import ReportingOrganisation
from onetrip.police.reporting.services import (
    organisation_can_decide,
    organisation_decide,
    organisation_receive,
)
from tests.fixtures import staff

from .helpers import CREDIT, city_admin, district_admin, registered

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def decisions() -> list[dict]:
    outbox = get_store("police").outbox.objects.filter(message_type="organisation.decided")
    return [m.payload for m in outbox.order_by("id")]


def test_a_registration_waits_for_the_district_with_its_contact_encrypted():
    on_organisation_registered(None, registered())  # type: ignore[arg-type]
    organisation = ReportingOrganisation.objects.get()
    assert organisation.status == "pending"
    assert organisation.contact_phone == "13700137000"
    from django.db import connections

    with connections["police"].cursor() as cursor:
        cursor.execute(
            "SELECT contact_name, contact_phone FROM police_reporting_reportingorganisation"
        )
        stored = cursor.fetchone()
    assert all(value.startswith("v1:") for value in stored)


def test_the_same_registration_twice_is_one_organisation_unchanged():
    message = registered()
    first = organisation_receive(message=message)
    second = organisation_receive(message=message)
    assert first.pk == second.pk
    assert ReportingOrganisation.objects.count() == 1


def test_signing_up_again_after_a_refusal_waits_for_a_new_decision():
    organisation_receive(message=registered(at=timezone.now() - dt.timedelta(days=3)))
    organisation_decide(
        user=district_admin(), credit_code=CREDIT, decision="refused", reason="营业执照信息不符"
    )
    again = organisation_receive(
        message=registered(at=timezone.now(), name="杭州示例科技股份有限公司")
    )
    assert (again.status, again.reason, again.name) == ("pending", "", "杭州示例科技股份有限公司")
    # An older copy of a registration changes nothing.
    stale = organisation_receive(message=registered(at=timezone.now() - dt.timedelta(days=9)))
    assert stale.name == "杭州示例科技股份有限公司"


def test_the_district_approves_its_organisation_and_the_portal_is_told_in_the_same_transaction():
    organisation_receive(message=registered())
    admin = district_admin()
    organisation = organisation_decide(user=admin, credit_code=CREDIT, decision="approved")
    assert organisation.status == "approved"
    assert organisation.decided_by == admin
    [payload] = decisions()
    assert (payload["credit_code"], payload["decision"], payload["reason"]) == (
        CREDIT,
        "approved",
        "",
    )
    event = AuditEvent.objects.get(action="organisation.decide")
    assert (event.actor, event.object_id, event.detail) == (
        admin.username,
        CREDIT,
        {"from": "pending", "to": "approved"},
    )


def test_a_city_administrator_decides_for_any_district():
    organisation_receive(message=registered(district="330102"))
    organisation = organisation_decide(user=city_admin(), credit_code=CREDIT, decision="approved")
    assert organisation.status == "approved"


def test_another_district_or_a_station_cannot_find_the_organisation(beishan):
    organisation_receive(message=registered())
    other = district_admin("district_shangcheng", "330102")
    clerk = staff("clerk_x", "window_clerk", beishan)
    for user in (other, clerk):
        with pytest.raises(OrganisationNotFound):
            organisation_decide(user=user, credit_code=CREDIT, decision="approved")
    assert ReportingOrganisation.objects.get().status == "pending"
    refused = AuditEvent.objects.filter(success=False, object_id=CREDIT)
    assert refused.count() == 2
    assert decisions() == []


def test_refusing_or_suspending_needs_a_reason():
    organisation_receive(message=registered())
    admin = district_admin()
    with pytest.raises(ReportingError) as refused:
        organisation_decide(user=admin, credit_code=CREDIT, decision="refused", reason=" 不行 ")
    assert refused.value.code == "reason_required"
    assert refused.value.field == "reason"
    organisation_decide(
        user=admin, credit_code=CREDIT, decision="refused", reason="营业执照已注销，请核实"
    )
    assert decisions()[-1]["reason"] == "营业执照已注销，请核实"


def test_only_legal_moves_between_statuses():
    organisation = organisation_receive(message=registered())
    admin = district_admin()
    assert not organisation_can_decide(user=admin, organisation=organisation, decision="suspended")
    with pytest.raises(ReportingError) as wrong:
        organisation_decide(
            user=admin, credit_code=CREDIT, decision="suspended", reason="暂停报送核查"
        )
    assert wrong.value.status == 409
    organisation_decide(user=admin, credit_code=CREDIT, decision="approved")
    with pytest.raises(ReportingError):
        organisation_decide(user=admin, credit_code=CREDIT, decision="approved")
    organisation_decide(
        user=admin, credit_code=CREDIT, decision="suspended", reason="多次逾期报送，暂停核查"
    )
    assert ReportingOrganisation.objects.get().status == "suspended"
    assert [d["decision"] for d in decisions()] == ["approved", "suspended"]


def test_an_unknown_decision_is_refused_before_anything_is_read():
    organisation_receive(message=registered())
    with pytest.raises(ReportingError) as wrong:
        organisation_decide(user=district_admin(), credit_code=CREDIT, decision="maybe")
    assert wrong.value.field == "decision"

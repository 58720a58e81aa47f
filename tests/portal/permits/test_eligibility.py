"""The residence-permit eligibility check on the portal (NAT-1, ZJ-14, HZ-1): the police zone
publishes a person's registrations over the ferry, and the resident learns whether and when
they may apply, counted from the register's record — never from another person's."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from onetrip.common.crypto import lookup_hash
from onetrip.common.permit_eligibility import add_months
from onetrip.contracts.permits import RegistrationRecordV1, ResidenceHistoryV1
from onetrip.portal.permits.models import ResidenceRecord
from onetrip.portal.permits.services import residence_history_apply, residence_history_of
from tests.ferry.helpers import pump
from tests.fixtures import valid_declaration

ID = "33010619900101123X"


def _history(declared_on: dt.date, as_of: dt.datetime) -> ResidenceHistoryV1:
    return ResidenceHistoryV1(
        id_number=ID,
        registrations=[
            RegistrationRecordV1(
                registration_number="330106500020260000001",
                declared_on=declared_on,
                registered_on=declared_on,
                community_code="330106002001",
                address_detail="曙光路 12 号",
            )
        ],
        as_of=as_of,
    )


@pytest.mark.django_db(databases=["default", "police"], transaction=True)
def test_hz1_a_verified_registration_reaches_the_portal_and_counts(
    ferry_env, sms_simulator, resident_client, clerk_client, beishan
):
    response = resident_client.post("/declare/", valid_declaration())
    reference = re.search(r"(JZ\d+)", response["Location"]).group(1)
    pump()
    clerk_client.post(f"/declarations/{reference}/verify/", {})
    pump()
    [record] = residence_history_of(id_hash=lookup_hash(ID, purpose="id_number"))
    assert record.declared_on == timezone.localdate()
    assert record.ended_on is None
    page = resident_client.get(
        "/permit/eligibility/", {"id_number": ID, "has_residence_proof": "1"}
    )
    html = page.content.decode()
    assert "暂不符合申领条件" in html
    assert "依据公安机关的居住登记记录" in html
    assert f"{add_months(timezone.localdate(), 6).isoformat()}起可申领" in html


@pytest.mark.django_db(databases=["default", "police"])
def test_zj14_anonymous_check_with_a_typed_date_says_when(client):
    today = timezone.localdate()
    declared = today - dt.timedelta(days=30)
    page = client.get(
        "/permit/eligibility/",
        {"id_number": ID, "declared_on": declared.isoformat(), "is_enrolled": "1"},
        HTTP_HOST="portal.testserver",
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "暂不符合申领条件" in html
    assert "以公安机关记录为准" in html


@pytest.mark.django_db(databases=["default", "police"])
def test_nat1_eligible_answer(client):
    declared = timezone.localdate() - dt.timedelta(days=400)
    page = client.get(
        "/permit/eligibility/",
        {
            "id_number": ID,
            "declared_on": declared.isoformat(),
            "social_insurance_months": "13",
            "has_employment_proof": "1",
        },
        HTTP_HOST="portal.testserver",
    )
    assert "您符合申领条件" in page.content.decode()


@pytest.mark.django_db(databases=["default", "police"])
def test_a_resident_never_sees_another_persons_record(resident_client):
    residence_history_apply(message=_history(dt.date(2020, 1, 1), timezone.now()))
    page = resident_client.get("/permit/eligibility/", {"id_number": ID, "is_enrolled": "1"})
    html = page.content.decode()
    assert "依据公安机关的居住登记记录" not in html
    assert "2020-01-01" not in html
    assert "没有您正在有效的居住登记" in html


@pytest.mark.django_db(databases=["default", "police"])
def test_bad_input_gets_its_own_message(client):
    page = client.get(
        "/permit/eligibility/",
        {"id_number": "330106199001011231", "social_insurance_months": "١٢"},
        HTTP_HOST="portal.testserver",
    )
    assert page.status_code == 400
    html = page.content.decode()
    assert "校验" in html
    assert "请填写0至600之间的整数月数" in html


@pytest.mark.django_db(databases=["default", "police"])
def test_hz1_an_older_snapshot_never_replaces_a_newer_one():
    now = timezone.now()
    residence_history_apply(message=_history(dt.date(2025, 1, 1), now))
    assert (
        residence_history_apply(message=_history(dt.date(2026, 6, 1), now - dt.timedelta(hours=1)))
        is None
    )
    [record] = residence_history_of(id_hash=lookup_hash(ID, purpose="id_number"))
    assert record.declared_on == dt.date(2025, 1, 1)
    assert ResidenceRecord.objects.count() == 1

"""Organisations on the portal: sign-up with the credit code, the district's decision over the
ferry, members, and API tokens that are hashed, scoped, expiring and revocable (ZJ-6…ZJ-9)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from onetrip.common.errors import ApplicationError
from onetrip.contracts.reporting import OrganisationDecidedV1
from onetrip.portal.ferrybox.models import OutboxMessage as PortalOutbox
from onetrip.portal.reporting.models import (
    ApiToken,
    MemberRole,
    Organisation,
    OrganisationMember,
    OrganisationStatus,
    TokenScope,
)
from onetrip.portal.reporting.services import (
    OrganisationInput,
    member_add,
    member_for,
    member_remove,
    organisation_decision_apply,
    organisation_register,
    token_authenticate,
    token_create,
    token_revoke,
)

from .helpers import CREDIT_CODE, approve, signed_up

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def test_id8_sign_up_keeps_the_normalised_credit_code_and_sends_it_to_the_district(resident):
    organisation = organisation_register(
        resident=resident,
        data=OrganisationInput(
            credit_code="９１３３０１０６ｍａ２７ｗｑ３ｌ３ｎ",  # full-width, lower case
            name="杭州示例科技有限公司",
            kind="employer",
            district_code="330106",
            address="西湖区文三路 1 号",
            contact_name="王芳",
        ),
    )
    assert organisation.credit_code == CREDIT_CODE
    assert organisation.status == OrganisationStatus.PENDING
    member = OrganisationMember.objects.get(organisation=organisation)
    assert member.role == MemberRole.ADMIN
    message = PortalOutbox.objects.get(message_type="organisation.registered")
    assert message.payload["credit_code"] == CREDIT_CODE
    assert message.payload["kind"] == "employer"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("credit_code", "91330106MA27WQ3L3A", "uscc_check"),
        ("credit_code", "91330106MA27WQ3L3", "uscc_length"),
        ("district_code", "110105", "district_unknown"),
        ("kind", "hotel", "kind_unknown"),
    ],
)
def test_id9_sign_up_refuses_a_bad_code_district_or_kind_and_changes_nothing(
    resident, field, value, code
):
    data = {
        "credit_code": CREDIT_CODE,
        "name": "杭州示例科技有限公司",
        "kind": "employer",
        "district_code": "330106",
        "address": "西湖区文三路 1 号",
        "contact_name": "王芳",
        field: value,
    }
    with pytest.raises(ApplicationError) as caught:
        organisation_register(resident=resident, data=OrganisationInput(**data))
    assert caught.value.code == code
    assert not Organisation.objects.exists()
    assert not PortalOutbox.objects.filter(message_type="organisation.registered").exists()


def test_a_credit_code_signs_up_once(resident):
    signed_up(resident)
    with pytest.raises(ApplicationError) as caught:
        signed_up(resident)
    assert caught.value.code == "credit_code_taken"
    assert Organisation.objects.count() == 1


def test_the_districts_decision_arrives_and_a_refusal_keeps_its_reason(resident):
    organisation = signed_up(resident)
    organisation_decision_apply(
        message=OrganisationDecidedV1(
            credit_code=organisation.credit_code,
            decision="refused",
            reason="营业执照信息与登记不符",
            decided_at=timezone.now(),
        )
    )
    organisation.refresh_from_db()
    assert organisation.status == OrganisationStatus.REFUSED
    assert organisation.decision_reason == "营业执照信息与登记不符"


def test_members_are_added_by_the_admin_and_find_their_organisation(resident):
    organisation = approve(signed_up(resident))
    admin = member_for(resident=resident, credit_code=organisation.credit_code)
    clerk = member_add(admin=admin, phone="139 0013 9000", name="李娜", role=MemberRole.CLERK)
    assert clerk.phone == "13900139000"
    with pytest.raises(ApplicationError) as caught:
        member_add(admin=clerk, phone="13700137000", name="赵六", role=MemberRole.CLERK)
    assert caught.value.code == "member_not_admin"
    with pytest.raises(ApplicationError):
        member_add(admin=admin, phone="13900139000", name="李娜", role=MemberRole.CLERK)
    member_remove(admin=admin, member_id=clerk.pk)
    clerk.refresh_from_db()
    assert clerk.removed_at is not None


def test_a_stranger_is_not_told_the_organisation_exists(resident, db):
    from onetrip.portal.accounts.models import Resident
    from onetrip.portal.accounts.services import phone_hash_of

    organisation = signed_up(resident)
    stranger = Resident.objects.create(phone="13600136000", phone_hash=phone_hash_of("13600136000"))
    with pytest.raises(ApplicationError) as caught:
        member_for(resident=stranger, credit_code=organisation.credit_code)
    assert caught.value.code == "organisation_not_found"
    assert caught.value.status == 404


def test_tokens_are_stored_hashed_and_shown_once(resident):
    organisation = approve(signed_up(resident))
    admin = member_for(resident=resident, credit_code=organisation.credit_code)
    token, text = token_create(admin=admin, name="HR", scopes=[TokenScope.REPORT], days=30)
    stored = ApiToken.objects.get(pk=token.pk)
    secret = text.split("_", 2)[2]
    assert secret not in stored.secret_hash
    assert text not in str(ApiToken.objects.values().get(pk=token.pk))
    assert token_authenticate(text, scope=TokenScope.REPORT) == token


def test_tokens_are_scoped_expiring_and_revocable(resident):
    organisation = approve(signed_up(resident))
    admin = member_for(resident=resident, credit_code=organisation.credit_code)
    token, text = token_create(admin=admin, name="HR", scopes=[TokenScope.REPORT], days=1)
    assert token_authenticate(text, scope=TokenScope.READ) is None
    assert (
        token_authenticate(text[:-1] + ("A" if text[-1] != "A" else "B"), scope=TokenScope.REPORT)
        is None
    )
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert token_authenticate(text, scope=TokenScope.REPORT) is None
    token2, text2 = token_create(admin=admin, name="HR", scopes=[TokenScope.REPORT], days=1)
    token_revoke(admin=admin, token_id=token2.pk)
    assert token_authenticate(text2, scope=TokenScope.REPORT) is None


def test_a_token_stops_working_when_the_organisation_is_suspended(resident):
    organisation = approve(signed_up(resident))
    admin = member_for(resident=resident, credit_code=organisation.credit_code)
    _token, text = token_create(admin=admin, name="HR", scopes=[TokenScope.REPORT], days=1)
    Organisation.objects.filter(pk=organisation.pk).update(status=OrganisationStatus.SUSPENDED)
    assert token_authenticate(text, scope=TokenScope.REPORT) is None


def test_no_token_before_the_district_approves(resident):
    organisation = signed_up(resident)
    admin = member_for(resident=resident, credit_code=organisation.credit_code)
    with pytest.raises(ApplicationError) as caught:
        token_create(admin=admin, name="HR", scopes=[TokenScope.REPORT], days=1)
    assert caught.value.code == "organisation_not_approved"

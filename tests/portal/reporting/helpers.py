"""Organisations for the reporting tests."""

from __future__ import annotations

from django.utils import timezone

from onetrip.contracts.reporting import OrganisationDecidedV1
from onetrip.portal.reporting.models import Organisation
from onetrip.portal.reporting.services import (
    OrganisationInput,
    organisation_decision_apply,
    organisation_register,
)

CREDIT_CODE = "91330106MA27WQ3L3N"


def signed_up(resident, *, credit_code: str = CREDIT_CODE, kind: str = "employer") -> Organisation:
    return organisation_register(
        resident=resident,
        data=OrganisationInput(
            credit_code=credit_code,
            name="杭州示例科技有限公司",
            kind=kind,
            district_code="330106",
            address="西湖区文三路 1 号",
            contact_name="王芳",
        ),
    )


def approve(organisation: Organisation) -> Organisation:
    organisation_decision_apply(
        message=OrganisationDecidedV1(
            credit_code=organisation.credit_code,
            decision="approved",
            reason="",
            decided_at=timezone.now(),
        )
    )
    organisation.refresh_from_db()
    return organisation

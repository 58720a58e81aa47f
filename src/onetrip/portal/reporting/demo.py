"""The portal half of the reporting demo for `make up`: the accounts of the demo organisations
(`common/demo.py`), approved as the police half approves them, each with its contact as its
administrator. Never run this on a production database."""

from __future__ import annotations

from django.utils import timezone

from onetrip.common.crypto import lookup_hash
from onetrip.common.db import atomic_for
from onetrip.common.demo import DEMO_DISTRICT, DEMO_ORGANISATIONS

from .models import MemberRole, Organisation, OrganisationMember, OrganisationStatus


def demo_organisations_ensure() -> int:
    """Create the demo organisations that are missing; returns how many were created."""
    created = 0
    now = timezone.now()
    with atomic_for(Organisation):
        for demo in DEMO_ORGANISATIONS:
            organisation, new = Organisation.objects.get_or_create(
                credit_code=demo.credit_code,
                defaults={
                    "name": demo.name,
                    "kind": demo.kind,
                    "district_code": DEMO_DISTRICT,
                    "address": demo.address,
                    "contact_name": demo.contact_name,
                    "contact_phone": demo.contact_phone,
                    "status": OrganisationStatus.APPROVED
                    if demo.approved
                    else OrganisationStatus.PENDING,
                    "decided_at": now if demo.approved else None,
                },
            )
            if not new:
                continue
            created += 1
            OrganisationMember.objects.create(
                organisation=organisation,
                phone=demo.contact_phone,
                phone_hash=lookup_hash(demo.contact_phone, purpose="phone"),
                name=demo.contact_name,
                role=MemberRole.ADMIN,
            )
    return created

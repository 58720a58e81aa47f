"""The portal half of the demo resident (`common/demo.py`): the account and the registered
declaration that make the police zone's registration theirs (`ids_of_resident`)."""

from __future__ import annotations

from onetrip.common.crypto import lookup_hash
from onetrip.common.db import atomic_for
from onetrip.common.demo import DEMO_RESIDENT
from onetrip.portal.accounts.models import Resident
from onetrip.portal.accounts.services import phone_hash_of

from .models import Declaration, DeclarationEvent, DeclarationStatus


def demo_resident_ensure() -> bool:
    """Create the demo resident's account and registered declaration; True when created."""
    person = DEMO_RESIDENT
    declared_at = person.declared_at()
    with atomic_for(Declaration):
        if Declaration.objects.filter(reference=person.reference).exists():
            return False
        resident, _ = Resident.objects.get_or_create(
            phone_hash=phone_hash_of(person.phone), defaults={"phone": person.phone}
        )
        declaration = Declaration.objects.create(
            reference=person.reference,
            resident=resident,
            name=person.name,
            id_number=person.id_number,
            id_hash=lookup_hash(person.id_number, purpose="id_number"),
            sex=person.sex,
            birth_date=person.birth_date,
            phone=person.phone,
            community_code=person.community_code,
            address_detail=person.address_detail,
            housing_type="rented",
            reason="work",
            arrival_date=declared_at.date(),
            employer_name=person.employer_name,
            status=DeclarationStatus.REGISTERED,
            station_name="杭州市公安局西湖区分局北山派出所",
            registration_number=person.registration_number,
            registered_on=declared_at.date(),
            submitted_at=declared_at,
        )
        for status in (DeclarationStatus.SUBMITTED, DeclarationStatus.REGISTERED):
            DeclarationEvent.objects.create(declaration=declaration, status=status, at=declared_at)
    return True

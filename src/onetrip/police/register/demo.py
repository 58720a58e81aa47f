"""The police half of the demo resident (`common/demo.py`): a registration old enough for a
residence permit, published to the portal like any other registration (HZ-1)."""

from __future__ import annotations

from onetrip.common.crypto import lookup_hash
from onetrip.common.db import atomic_for
from onetrip.common.demo import DEMO_RESIDENT
from onetrip.police.stations.selectors import station_for_community

from .models import DeclarationHistory, RegistrationStatus, ResidenceDeclaration
from .services import residence_history_publish


def demo_registration_ensure() -> bool:
    """Register the demo resident if not yet there; True when created. Idempotent."""
    person = DEMO_RESIDENT
    station = station_for_community(person.community_code)
    if station is None:
        raise LookupError(f"no station covers {person.community_code}; run load_reference first")
    declared_at = person.declared_at()
    with atomic_for(ResidenceDeclaration):
        if ResidenceDeclaration.objects.filter(reference=person.reference).exists():
            return False
        declaration = ResidenceDeclaration.objects.create(
            reference=person.reference,
            station=station,
            name=person.name,
            id_number=person.id_number,
            id_hash=lookup_hash(person.id_number, purpose="id_number"),
            sex=person.sex,
            birth_date=person.birth_date,
            phone=person.phone,
            phone_hash=lookup_hash(person.phone, purpose="phone"),
            community_code=person.community_code,
            address_detail=person.address_detail,
            housing_type="rented",
            reason="work",
            arrival_date=declared_at.date(),
            employer_name=person.employer_name,
            declared_at=declared_at,
            received_at=declared_at,
            status=RegistrationStatus.REGISTERED,
            registration_number=person.registration_number,
            registered_on=declared_at.date(),
            decided_at=declared_at,
        )
        DeclarationHistory.objects.create(
            declaration=declaration,
            from_status=RegistrationStatus.DECLARED,
            to_status=RegistrationStatus.REGISTERED,
            actor="demo",
            note="演示数据",
            at=declared_at,
        )
        residence_history_publish(id_hash=declaration.id_hash)
    return True

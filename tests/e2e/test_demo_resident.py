"""`make up`'s demo resident: registered eight months ago in the police zone, their history
published to the portal over the ferry, so a newcomer can try the permit flow at once (HZ-1)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from onetrip.common.demo import DEMO_RESIDENT
from onetrip.portal.accounts.models import Resident
from onetrip.portal.accounts.services import phone_hash_of
from onetrip.portal.permits.services import EligibilityQuestion, eligibility_check
from tests.ferry.helpers import pump

pytestmark = pytest.mark.django_db(databases=["default", "police"], transaction=True)


def test_hz1_demo_resident_is_registered_long_enough_and_loading_twice_changes_nothing(
    ferry_env, beishan
):
    for _ in range(2):
        call_command("load_demo_register")
        call_command("load_demo_residents")
    pump()
    resident = Resident.objects.get(phone_hash=phone_hash_of(DEMO_RESIDENT.phone))
    answer, from_record = eligibility_check(
        question=EligibilityQuestion(id_number=DEMO_RESIDENT.id_number), resident=resident
    )
    assert from_record
    assert answer.registered_months >= DEMO_RESIDENT.months_registered
    assert answer.continuous_since == DEMO_RESIDENT.declared_at().date()

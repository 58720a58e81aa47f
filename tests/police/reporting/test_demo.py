"""The reporting demo of `make up` loads once and gives 北山 something to show."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from onetrip.ferry.registry import get_store
from onetrip.police.register.demo import demo_registration_ensure
from onetrip.police.reporting.demo import demo_reporting_ensure
from onetrip.police.reporting.models import (
    RentalHouse,
    ReportConflict,
    ReportedStay,
    ReportingOrganisation,
)
from onetrip.police.reporting.selectors import late_organisations_for_staff
from tests.fixtures import staff

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def test_the_demo_loads_once_and_sends_the_portal_nothing_about_imports_it_never_made(beishan):
    demo_registration_ensure()
    outbox = get_store("police").outbox.objects
    before = outbox.count()
    assert demo_reporting_ensure() is True
    assert demo_reporting_ensure() is False
    assert not outbox.filter(message_type="report.rows_applied").exists()
    assert outbox.count() == before
    statuses = dict(ReportingOrganisation.objects.values_list("name", "status"))
    assert sorted(statuses.values()) == ["approved", "approved", "pending"]
    assert ReportedStay.objects.count() == 14
    assert ReportedStay.objects.filter(ended_on__isnull=False).count() == 1
    assert RentalHouse.objects.count() == 2
    kinds = sorted(ReportConflict.objects.values_list("kind", flat=True))
    assert kinds == ["differs_from_self_declared", "two_places_same_day"]
    assert set(ReportConflict.objects.values_list("station", flat=True)) == {beishan.pk}
    [late] = late_organisations_for_staff(user=staff("clerk_demo", "window_clerk", beishan))
    assert (late.persons, late.possible_fine_yuan) == (2, 200)


def test_the_command(beishan):
    call_command("load_demo_reporting", verbosity=0)
    assert ReportedStay.objects.exists()

"""The identity check and ID-card photo from the population database for a residence
declaration, ready when the officer verifies it (DOMAIN DOC-5, PI-2, MLPS-5)."""

from __future__ import annotations

import pytest

from onetrip.common.db import atomic_for
from onetrip.police.audit.models import AuditEvent
from onetrip.police.audit.selectors import audit_verify
from onetrip.police.egov.identity import identity_check_of, identity_photo
from onetrip.police.register.models import ResidenceDeclaration
from onetrip.police.register.services import declaration_receive
from tests.fixtures import submitted_declaration

pytestmark = pytest.mark.django_db(databases=["default", "police"], transaction=True)

REF = "JZ26120200000001"


def _receive(**overrides) -> None:
    message = submitted_declaration(reference=REF).model_copy(update=overrides)
    with atomic_for(ResidenceDeclaration):
        declaration_receive(message=message)


def test_doc5_a_declaration_gets_identity_and_photo_from_the_population_database(
    egov_settings, egov_sim, beishan, clerk_client
):
    _receive()
    check = identity_check_of(reference=REF)
    assert (check.status, check.ethnicity) == ("verified", "汉族")
    assert check.hukou_address and identity_photo(check).startswith(b"\xff\xd8\xff")
    event = AuditEvent.objects.get(action="egov.query")
    assert (event.actor, event.object_type, event.object_id, event.purpose) == (
        "system",
        "residence_declaration",
        REF,
        "declaration_verify",
    )
    assert audit_verify().ok
    page = clerk_client.get(f"/declarations/{REF}/").content.decode()
    assert 'class="card identity-check"' in page and 'data-status="verified"' in page
    assert 'src="data:image/jpeg;base64,' in page


def test_doc5_a_name_that_does_not_match_the_number_fails_with_nothing_revealed(
    egov_settings, egov_sim, beishan
):
    _receive(name="王五")
    check = identity_check_of(reference=REF)
    assert (check.status, check.reason) == ("failed", "name_mismatch")
    assert (check.ethnicity, check.hukou_address, check.photo_stored_name) == ("", "", "")


def test_doc5_population_database_down_is_to_be_checked(egov_settings, egov_sim, beishan):
    egov_sim.outage("population")
    _receive()
    check = identity_check_of(reference=REF)
    assert (check.status, check.reason) == ("unavailable", "unreachable")

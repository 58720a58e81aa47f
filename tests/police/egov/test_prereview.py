"""Department data at pre-review, with the portal's own application on the other side of the real
ferry and the department simulator over HTTP (DOMAIN HZ-2, HZ-7, DOC-3; PI-2, MLPS-5).

A resident on the employment route with 14 months of continuous contributions applies with only
a photo; the station's case shows social insurance, the labour relationship, identity and the
residence as verified from source (with source and time); the portal's materials list drops them;
every department query is one audit event naming the requester, case and purpose, and the chain
verifies. A source that is down leaves "to be checked", never a pass or a fail."""

from __future__ import annotations

import pytest

from onetrip.police.audit.models import AuditEvent
from onetrip.police.audit.selectors import audit_verify
from onetrip.police.egov.checks import proof_checks_recheck, proof_checks_sweep
from onetrip.police.egov.models import ProofCheck
from onetrip.police.permits.models import PermitCase
from onetrip.portal.permits.applications import (
    permit_application_materials,
    permit_application_problems,
    permit_application_submit,
)
from onetrip.portal.permits.models import PermitApplication
from tests.ferry.helpers import pump
from tests.portal.permits.permit_helpers import FORM, draft, known_to_the_register

pytestmark = pytest.mark.django_db(databases=["default", "police"], transaction=True)

CONTRACT_GROUP = "B11/B12/B13/B14/B15/B16/B17"
EMPLOYED = {
    **FORM,
    "route": "employment",
    "housing": "",
    "employer_name": "杭州西湖数码科技有限公司",
    "social_insurance_months": "14",
}


def _apply(resident) -> str:
    known_to_the_register(resident)
    application = draft(resident, form=EMPLOYED)
    assert permit_application_problems(application=application) == []
    uploads = {d.item for d in application.documents.filter(active=True)}
    assert uploads == {"photo"}
    return permit_application_submit(
        resident=resident, reference=application.reference, consent=True
    ).reference


def _checks(reference: str) -> dict[str, tuple[str, str, str]]:
    return {
        c.requirement: (c.status, c.source, c.proof_id)
        for c in ProofCheck.objects.filter(case__reference=reference)
    }


def test_hz2_hz7_employment_with_only_a_photo_is_verified_from_source_at_prereview(
    egov_settings, egov_sim, ferry_env, resident, beishan, reviewer_client
):
    reference = _apply(resident)
    pump()

    case = PermitCase.objects.get(reference=reference)
    assert _checks(reference) == {
        "A1": ("verified", "population", "A1"),
        "B10": ("verified", "social_insurance", "B10"),
        CONTRACT_GROUP: ("verified", "social_insurance", "B17"),
        "residence": ("verified", "housing", "C25"),
    }
    assert all(c.checked_at is not None for c in ProofCheck.objects.filter(case=case))

    page = reviewer_client.get(f"/permits/{reference}/").content.decode()
    assert "部门数据核验" in page
    assert 'data-requirement="B10" data-status="verified"' in page
    assert 'data-requirement="residence" data-status="verified"' in page
    assert "人力资源和社会保障部门" in page and "住房和城乡建设部门" in page

    application = PermitApplication.objects.get(reference=reference)
    keys = {line.key for line in permit_application_materials(application=application)}
    assert "B10" not in keys and CONTRACT_GROUP not in keys and "A1" not in keys
    assert "photo" in keys


def test_mlps5_pi2_one_audit_event_per_department_query_with_case_and_purpose(
    egov_settings, egov_sim, ferry_env, resident, beishan
):
    reference = _apply(resident)
    pump()

    queries = AuditEvent.objects.filter(action="egov.query").order_by("sequence")
    # Every query that left the zone is one event: the case's, and the identity check of the
    # resident's declaration (test_identity.py).
    assert len(egov_sim.queries()) == queries.count()
    events = list(queries.filter(object_type="permit_case"))
    # Social insurance answers both B10 and the labour relationship: asked once.
    assert sorted(e.detail["source"] for e in events) == [
        "housing",
        "population",
        "social_insurance",
    ]
    for event in events:
        assert (event.actor, event.object_id, event.purpose, event.success) == (
            "system",
            reference,
            "permit_prereview",
            True,
        )
        assert event.detail["requester"] == "system:permit_prereview"
    assert {q["request_id"] for q in egov_sim.queries() if q["case"] == reference} == {
        e.detail["request_id"] for e in events
    }
    assert audit_verify().ok


def test_hz7_a_source_down_is_to_be_checked_then_verified_by_the_officer_at_acceptance(
    egov_settings, egov_sim, ferry_env, resident, beishan, reviewer, reviewer_client
):
    egov_sim.outage("social_insurance")
    reference = _apply(resident)
    pump()

    checks = _checks(reference)
    assert checks["B10"] == ("unavailable", "social_insurance", "")
    assert checks[CONTRACT_GROUP] == ("unavailable", "social_insurance", "")
    assert checks["A1"][0] == "verified"
    page = reviewer_client.get(f"/permits/{reference}/").content.decode()
    assert 'data-requirement="B10" data-status="unavailable"' in page
    assert "待核查" in page
    # Nothing unverified left the portal's list.
    application = PermitApplication.objects.get(reference=reference)
    keys = {line.key for line in permit_application_materials(application=application)}
    assert "B10" in keys and CONTRACT_GROUP in keys and "A1" not in keys

    egov_sim.outage("social_insurance", down=False)
    case = PermitCase.objects.get(reference=reference)
    proof_checks_recheck(case=case, username=reviewer.username)
    assert _checks(reference)["B10"] == ("verified", "social_insurance", "B10")
    last = AuditEvent.objects.filter(action="egov.query").latest("sequence")
    assert (last.actor, last.object_id, last.purpose) == (
        reviewer.username,
        reference,
        "permit_acceptance",
    )
    pump()
    application.refresh_from_db()
    keys = {line.key for line in permit_application_materials(application=application)}
    assert "B10" not in keys
    assert audit_verify().ok


def test_pi9_a_forged_answer_fails_the_check_and_is_never_verified(
    egov_settings, egov_sim, ferry_env, resident, beishan
):
    egov_sim.fail_next("housing", "forged", count=5)
    reference = _apply(resident)
    pump()
    assert _checks(reference)["residence"] == ("failed", "housing", "")
    assert ProofCheck.objects.get(requirement="residence").reason == "forged_signature"


def test_hz7_the_sweep_asks_again_when_the_source_is_back(
    egov_settings, egov_sim, ferry_env, resident, beishan
):
    egov_sim.outage("housing")
    reference = _apply(resident)
    pump()
    assert _checks(reference)["residence"][0] == "unavailable"
    proof_checks_sweep()  # still down: still to be checked, never a pass or a fail
    assert _checks(reference)["residence"][0] == "unavailable"
    egov_sim.outage("housing", down=False)
    done = proof_checks_sweep()
    assert (done["cases"], done["still_unavailable"]) == (1, 0)
    assert _checks(reference)["residence"] == ("verified", "housing", "C25")


def test_hz7_our_own_failure_leaves_to_be_checked_not_a_claimed_row(
    egov_settings, egov_sim, ferry_env, resident, beishan, monkeypatch
):
    from onetrip.police.egov import checks

    real = checks._ask

    def broken(name, case, ctx):
        if name == "housing":
            raise RuntimeError("disk full")
        return real(name, case, ctx)

    monkeypatch.setattr(checks, "_ask", broken)
    reference = _apply(resident)
    pump()
    assert _checks(reference)["residence"] == ("unavailable", "housing", "")
    assert ProofCheck.objects.get(requirement="residence").reason == "internal_error"
    assert _checks(reference)["B10"][0] == "verified"

"""Configuration per deployment (DOMAIN HZ-7, DOC-2): which sources exist and which catalogue
proofs each stands in for decide what a case asks of the departments and what stays paper."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from onetrip.police import egov
from onetrip.police.egov import EgovUnavailable, QueryContext
from onetrip.police.egov.checks import RESIDENCE, case_requirements
from onetrip.police.permits.models import PermitCase

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def _case(**fields: str) -> PermitCase:
    values = {
        "reference": "PA26120200000009",
        "id_number": "33010619900101123X",
        "name": "张三",
        "route": "employment",
        "community_code": "330106002001",
        "address_detail": "曙光路 12 号 3 幢 201 室",
        "employer_name": "杭州西湖数码科技有限公司",
        **fields,
    }
    return PermitCase(revision=1, **values)


def _plan(case: PermitCase) -> dict[str, str]:
    return {r.key: r.source for r in case_requirements(case)}


def test_doc2_hz7_each_source_stands_in_for_its_configured_proofs(egov_settings):
    assert _plan(_case()) == {
        "A1": "population",
        "B10": "social_insurance",
        "B11/B12/B13/B14/B15/B16/B17": "social_insurance",
        RESIDENCE: "housing",
    }
    assert _plan(_case(route="residence", housing="rented_state_land")) == {
        "A1": "population",
        "C23": "",
        "C19/C20": "housing",
        "C24": "",
        "C25": "housing",
    }
    assert _plan(_case(route="study", school_name="浙江工业大学"))["D31"] == "education"


def test_doc2_a_source_the_deployment_lacks_leaves_its_proofs_to_paper(egov_settings):
    del egov_settings.ONETRIP_EGOV_SOURCES["social_insurance"]
    egov_settings.ONETRIP_EGOV_PROOFS = {**egov_settings.ONETRIP_EGOV_PROOFS, "housing": []}
    plan = _plan(_case())
    assert plan["B10"] == plan["B11/B12/B13/B14/B15/B16/B17"] == plan[RESIDENCE] == ""
    with pytest.raises(EgovUnavailable) as exc:
        egov.social_insurance()
    assert exc.value.reason == "not_configured"


def test_pi9_requests_and_failures_are_counted(egov_settings, egov_sim):
    def count(outcome: str) -> float:
        labels = {"source": "education", "outcome": outcome}
        return REGISTRY.get_sample_value("onetrip_egov_requests_total", labels) or 0.0

    ok, failed = count("ok"), count("http_503")
    ctx = QueryContext.for_system("test", case_reference="PA9", purpose="permit_prereview")
    egov.education().enrolments(ctx=ctx, id_number="33010220050901006X")
    egov_sim.fail_next("education", "5xx", count=2)
    with pytest.raises(EgovUnavailable):
        egov.education().enrolments(ctx=ctx, id_number="330106198505050035")
    assert (count("ok"), count("http_503")) == (ok + 1, failed + 1)

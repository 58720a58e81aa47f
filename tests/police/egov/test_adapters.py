"""Each department adapter against the running simulator over real HTTP (DOMAIN HZ-2, HZ-3,
HZ-4, DOC-5; PI-2, PI-9, MLPS-5): a match, a mismatch, a timeout, a 5xx, malformed JSON and a
forged answer signature. Nothing but a verified, signed answer to our own question passes."""

from __future__ import annotations

import datetime as dt

import pytest

from onetrip.police import egov
from onetrip.police.audit.models import AuditEvent
from onetrip.police.audit.selectors import audit_verify
from onetrip.police.egov import EgovInvalidAnswer, EgovRefused, EgovUnavailable, QueryContext
from onetrip.police.egov.rules import continuous_months

pytestmark = pytest.mark.django_db(databases=["default", "police"])

ZHANG = "33010619900101123X"  # 14 months at 杭州西湖数码科技有限公司, a filed lease
LI = "330106198505050035"  # 20 months with a back payment three months ago, owns a home
STUDENT = "33010220050901006X"


def ctx(case: str = "PA26120200000001", purpose: str = "permit_prereview") -> QueryContext:
    return QueryContext.for_officer("reviewer1", case_reference=case, purpose=purpose)


def test_hz2_social_insurance_match_counts_fourteen_continuous_months(egov_settings):
    record = egov.social_insurance().contributions(ctx=ctx(), id_number=ZHANG)
    assert record.found and len(record.months) == 14
    assert record.registered_employer == "杭州西湖数码科技有限公司"
    assert continuous_months(record.months, city="3301", today=None) == 14


def test_hz2_social_insurance_back_payment_breaks_continuity(egov_settings):
    record = egov.social_insurance().contributions(ctx=ctx(), id_number=LI)
    assert record.found and len(record.months) == 20
    assert continuous_months(record.months, city="3301", today=None) < 12


def test_hz3_housing_match_and_mismatch(egov_settings):
    zhang = egov.housing().residences(ctx=ctx(), id_number=ZHANG)
    assert [(lease.community_code, lease.land) for lease in zhang.leases] == [
        ("330106002001", "state")
    ]
    li = egov.housing().residences(ctx=ctx(), id_number=LI)
    assert not li.leases and [p.certificate for p in li.properties] == ["C19"]


def test_hz4_education_match_and_mismatch(egov_settings):
    student = egov.education().enrolments(ctx=ctx(), id_number=STUDENT)
    assert [e.school for e in student.enrolments] == ["浙江工业大学"]
    assert egov.education().enrolments(ctx=ctx(), id_number=ZHANG).enrolments == ()


def test_doc5_population_name_match_gives_photo_and_mismatch_gives_nothing(egov_settings):
    source = egov.population()
    matched = source.identity(ctx=ctx(), id_number=ZHANG, name="张三", with_photo=True)
    assert matched.match and matched.ethnicity == "汉族" and matched.hukou_address
    assert matched.photo_jpeg.startswith(b"\xff\xd8\xff")
    other = source.identity(ctx=ctx(), id_number=ZHANG, name="李四", with_photo=True)
    assert not other.match and other.photo_jpeg == b"" and other.hukou_address == ""


@pytest.mark.parametrize("source", ["social_insurance", "housing", "education", "population"])
@pytest.mark.parametrize(
    ("mode", "error", "reason"),
    [
        ("timeout", EgovUnavailable, "timeout"),
        ("5xx", EgovUnavailable, "http_503"),
        ("malformed", EgovInvalidAnswer, "malformed"),
        ("forged", EgovInvalidAnswer, "forged_signature"),
        ("wrong_request", EgovInvalidAnswer, "wrong_answer"),
    ],
)
def test_pi9_a_failing_source_never_passes(egov_settings, egov_sim, source, mode, error, reason):
    egov_sim.fail_next(source, mode, count=2, delay=1.0)
    with pytest.raises(error) as exc:
        _ask(source)
    assert exc.value.reason == reason
    event = AuditEvent.objects.filter(action="egov.query").latest("sequence")
    assert (event.success, event.detail["outcome"], event.detail["source"]) == (
        False,
        reason,
        source,
    )


def _ask(source: str):
    if source == "social_insurance":
        return egov.social_insurance().contributions(ctx=ctx(), id_number=ZHANG)
    if source == "housing":
        return egov.housing().residences(ctx=ctx(), id_number=ZHANG)
    if source == "education":
        return egov.education().enrolments(ctx=ctx(), id_number=ZHANG)
    return egov.population().identity(ctx=ctx(), id_number=ZHANG, name="张三")


def test_pi9_one_5xx_is_retried_and_then_answers(egov_settings, egov_sim):
    egov_sim.fail_next("social_insurance", "5xx", count=1)
    assert egov.social_insurance().contributions(ctx=ctx(), id_number=ZHANG).found
    event = AuditEvent.objects.filter(action="egov.query").latest("sequence")
    assert (event.success, event.detail["attempts"]) == (True, 2)


def test_pi9_an_outage_is_unavailable_and_opens_the_breaker(egov_settings, egov_sim):
    egov_settings.ONETRIP_EGOV_BREAKER_FAILURES = 2
    egov_sim.outage("housing")
    for _ in range(2):
        with pytest.raises(EgovUnavailable) as exc:
            egov.housing().residences(ctx=ctx(), id_number=ZHANG)
        assert exc.value.reason == "unreachable"
    asked = len(egov_sim.queries())
    with pytest.raises(EgovUnavailable) as exc:
        egov.housing().residences(ctx=ctx(), id_number=ZHANG)
    assert exc.value.reason == "circuit_open"
    assert len(egov_sim.queries()) == asked  # nothing left the zone


def test_pi2_a_query_without_case_or_purpose_is_refused_before_sending(egov_settings, egov_sim):
    for bad in (ctx(case=""), ctx(purpose=""), ctx(purpose="curiosity")):
        with pytest.raises(EgovRefused):
            egov.social_insurance().contributions(ctx=bad, id_number=ZHANG)
    assert egov_sim.queries() == []
    assert not AuditEvent.objects.filter(action="egov.query").exists()


def test_pi2_an_unsigned_request_is_refused_by_the_source(egov_settings, egov_sim):
    import httpx

    answer = httpx.post(
        f"{egov_sim.url}/social_insurance/v1/contributions",
        json={"requester": "x:y", "case": "c", "purpose": "p", "query": {"id_number": ZHANG}},
    )
    assert answer.status_code == 401


def test_mlps5_each_query_is_audited_with_officer_case_purpose_and_hashes(egov_settings, egov_sim):
    egov.social_insurance().contributions(ctx=ctx(case="PA1"), id_number=ZHANG)
    egov.population().identity(ctx=ctx(case="PA1"), id_number=ZHANG, name="张三")
    events = list(AuditEvent.objects.filter(action="egov.query").order_by("sequence"))
    assert [(e.actor, e.object_id, e.purpose, e.success) for e in events] == [
        ("reviewer1", "PA1", "permit_prereview", True)
    ] * 2
    sent = egov_sim.queries()
    assert [q["request_id"] for q in sent] == [e.detail["request_id"] for e in events]
    assert all(q["case"] == "PA1" and q["purpose"] == "permit_prereview" for q in sent)
    hashes = [(e.detail["request_sha256"], e.detail["response_sha256"]) for e in events]
    assert all(len(request) == len(response) == 64 for request, response in hashes)
    assert "33010619900101123X" not in str([e.detail for e in events])
    assert audit_verify().ok


def test_pi2_answers_are_cached_per_case_and_never_beyond_the_time(
    egov_settings, egov_sim, time_machine
):
    egov_settings.ONETRIP_EGOV_CACHE_SECONDS = 60
    time_machine.move_to(dt.datetime.now(dt.UTC))
    source = egov.social_insurance()
    source.contributions(ctx=ctx(case="PA1"), id_number=ZHANG)
    source.contributions(ctx=ctx(case="PA1"), id_number=ZHANG)
    assert len(egov_sim.queries()) == 1
    source.contributions(ctx=ctx(case="PA2"), id_number=ZHANG)
    assert len(egov_sim.queries()) == 2  # another case asks again
    time_machine.shift(61)
    source.contributions(ctx=ctx(case="PA1"), id_number=ZHANG)
    assert len(egov_sim.queries()) == 3

"""The station's pre-review decisions (WF-2): pass, return with the one-time notice (NAT-11,
DOC-1), reject; each by the station's reviewer or administrator only, once, with its history,
audit row (WF-6), pre-review time and the message that tells the resident."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from onetrip.ferry.registry import get_store
from onetrip.police.audit.models import AuditEvent
from onetrip.police.permits.errors import PermitCaseNotFound, PermitError
from onetrip.police.permits.models import PermitCaseEvent
from onetrip.police.permits.selectors import permit_prereview_median_for_staff
from onetrip.police.permits.services import (
    permit_can_decide,
    permit_notice_items,
    permit_prereview_pass,
    permit_reject,
    permit_return,
)
from tests.fixtures import staff

from .conftest import REF, document, receive, resubmit

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def _last_status_message() -> dict:
    outbox = get_store("police").outbox.objects.filter(message_type="permit.status_changed")
    return outbox.order_by("id").last().payload


def _problem(item: str, text: str = "请重新上传清晰完整的材料") -> dict[str, str]:
    return {"item": item, "text": text}


def test_wf2_pass_records_history_audit_time_and_tells_the_resident(case, reviewer, beishan):
    passed = permit_prereview_pass(user=reviewer, reference=REF.lower())
    assert passed.status == "prereview_passed"
    assert passed.decided_by == reviewer
    assert 2 * 3600 - 5 <= passed.prereview_seconds <= 2 * 3600 + 60
    event = PermitCaseEvent.objects.filter(case=case).last()
    assert (event.from_status, event.status, event.actor) == (
        "prelim_review",
        "prereview_passed",
        "reviewer_beishan",
    )
    assert event.prereview_seconds == passed.prereview_seconds
    audit = AuditEvent.objects.get(action="permit.prereview_pass", object_id=REF)
    assert (audit.actor, audit.actor_role, audit.station_code) == (
        "reviewer_beishan",
        "reviewer",
        beishan.code,
    )
    message = _last_status_message()
    assert (message["status"], message["revision"], message["station_code"]) == (
        "prereview_passed",
        1,
        beishan.code,
    )


def test_wf7_prereview_time_is_the_decision_minus_the_residents_submission(beishan, reviewer):
    submitted = timezone.now() - dt.timedelta(days=1, hours=3)
    receive(document("photo"), submitted_at=submitted)
    case = permit_prereview_pass(user=reviewer, reference=REF)
    assert case.prereview_seconds == int((case.decided_at - submitted).total_seconds())


def test_nat11_doc1_the_notice_lists_every_problem_at_once(case, reviewer):
    problems = [
        _problem("photo", "照片背景不是白色，请按标准重新拍摄"),
        _problem("B11", "劳动合同缺少盖章页"),
        _problem("address_detail", "详细地址缺少门牌号"),
    ]
    returned = permit_return(user=reviewer, reference=REF, problems=problems)
    assert returned.status == "materials_required"
    assert returned.problems == problems
    message = _last_status_message()
    assert message["status"] == "materials_required"
    assert message["problems"] == problems
    audit = AuditEvent.objects.get(action="permit.return", object_id=REF)
    assert audit.detail["items"] == ["B11", "address_detail", "photo"]
    assert PermitCaseEvent.objects.filter(case=case).last().problems == problems


def test_doc1_a_notice_needs_at_least_one_problem(case, reviewer):
    with pytest.raises(PermitError) as exc:
        permit_return(user=reviewer, reference=REF, problems=[])
    assert exc.value.code == "problems_required"
    case.refresh_from_db()
    assert case.status == "prelim_review"


def test_doc1_each_line_names_a_known_item_and_says_what_to_do_all_reported_at_once(case, reviewer):
    problems = [_problem("Z99"), _problem("B11", "   "), _problem("name", "姓名有误😀")]
    with pytest.raises(PermitError) as exc:
        permit_return(user=reviewer, reference=REF, problems=problems)
    assert exc.value.code == "problems_invalid"
    assert [(e.field, e.code) for e in exc.value.errors] == [
        ("problems.0.item", "unknown_item"),
        ("problems.1.text", "text_required"),
        ("problems.2.text", "unsupported_character"),
    ]


def test_doc1_on_a_resubmission_only_what_the_resident_changed_may_be_raised(
    case, reviewer, photo, contract
):
    permit_return(
        user=reviewer, reference=REF, problems=[_problem("B11"), _problem("employer_name")]
    )
    fixed = document("B11")
    case = resubmit([photo], new=[fixed], address_detail="曙光路 12 号 3 幢 202 室")
    assert permit_notice_items(case=case) == ["B11", "address_detail", "employer_name"]
    with pytest.raises(PermitError) as exc:
        permit_return(
            user=reviewer,
            reference=REF,
            problems=[_problem("photo"), _problem("B11"), _problem("A1"), _problem("name")],
        )
    assert exc.value.code == "checkable_before"
    assert "上次预审时已可核查" in exc.value.message_zh
    assert "A1" in exc.value.message_en and "photo" in exc.value.message_en
    assert "B11" not in exc.value.message_en
    assert len(exc.value.errors) == 3
    case.refresh_from_db()
    assert case.status == "prelim_review"


def test_doc1_resubmitting_the_listed_items_can_be_faulted_on_exactly_those(
    case, reviewer, photo, contract
):
    """DOC-1's test: after the notice, the resubmission may fail again only on what it changed,
    the re-sent file, the changed field, or what the notice named."""
    permit_return(user=reviewer, reference=REF, problems=[_problem("B11")])
    fixed = document("B11")
    resubmit([photo], new=[fixed], employer_name="杭州另一家科技有限公司")
    returned = permit_return(
        user=reviewer,
        reference=REF,
        problems=[
            _problem("B11", "合同仍缺盖章页"),
            _problem("employer_name", "单位名称与合同不符"),
        ],
    )
    assert (returned.status, returned.revision) == ("materials_required", 2)
    assert _last_status_message()["revision"] == 2


def test_doc1_the_first_review_may_raise_anything(case, reviewer):
    assert permit_notice_items(case=case) is None
    permit_return(
        user=reviewer, reference=REF, problems=[_problem("A1"), _problem("guardian_relation")]
    )


def test_wf2_reject_needs_a_reason_the_resident_can_read(case, reviewer):
    with pytest.raises(PermitError) as exc:
        permit_reject(user=reviewer, reference=REF, reason=" 不 ")
    assert exc.value.code == "reason_required"
    with pytest.raises(PermitError) as exc:
        permit_reject(user=reviewer, reference=REF, reason="原因" * 300)
    assert exc.value.code in ("reason_too_long", "too_long")


def test_wf2_reject_tells_the_resident_why(case, reviewer):
    rejected = permit_reject(user=reviewer, reference=REF, reason="居住登记未满半年。")
    assert (rejected.status, rejected.reason) == ("rejected", "居住登记未满半年")
    message = _last_status_message()
    assert (message["status"], message["reason"]) == ("rejected", "居住登记未满半年")
    assert AuditEvent.objects.filter(action="permit.reject", object_id=REF).count() == 1


@pytest.mark.parametrize("first", ["pass", "return", "reject"])
def test_wf2_a_decided_case_answers_409(case, reviewer, first):
    decide = {
        "pass": lambda: permit_prereview_pass(user=reviewer, reference=REF),
        "return": lambda: permit_return(user=reviewer, reference=REF, problems=[_problem("B11")]),
        "reject": lambda: permit_reject(user=reviewer, reference=REF, reason="居住登记未满半年"),
    }
    decide[first]()
    for again in decide.values():
        with pytest.raises(PermitError) as exc:
            again()
        assert (exc.value.code, exc.value.status) == ("already_decided", 409)


def test_wf2_a_decision_on_a_revision_no_longer_current_answers_409(case, reviewer, photo):
    with pytest.raises(PermitError) as exc:
        permit_prereview_pass(user=reviewer, reference=REF, revision=2)
    assert (exc.value.code, exc.value.status) == ("revision_changed", 409)
    permit_prereview_pass(user=reviewer, reference=REF, revision=1)


def test_wf2_the_station_administrator_may_decide(case, beishan):
    admin = staff("admin_beishan", "station_admin", beishan)
    assert permit_can_decide(user=admin, case=case)
    permit_prereview_pass(user=admin, reference=REF)


def test_wf6_a_district_administrator_sees_but_does_not_decide(case):
    admin = staff("district_xihu", "district_admin", None, district_code="330106")
    assert not permit_can_decide(user=admin, case=case)
    with pytest.raises(PermitError) as exc:
        permit_prereview_pass(user=admin, reference=REF)
    assert (exc.value.code, exc.value.status) == ("role_cannot_decide", 403)


def test_wf6_a_field_officer_of_the_station_has_no_permit_case_to_see(case, field_officer):
    with pytest.raises(PermitCaseNotFound):
        permit_prereview_pass(user=field_officer, reference=REF)


def test_wf2_a_window_clerk_sees_the_case_but_may_not_pre_review_it(case, clerk):
    with pytest.raises(PermitError) as refused:
        permit_prereview_pass(user=clerk, reference=REF)
    assert (refused.value.code, refused.value.status) == ("role_cannot_decide", 403)


def test_wf6_a_reviewer_of_another_station_gets_not_found(case, other_reviewer):
    for decide in (
        lambda: permit_prereview_pass(user=other_reviewer, reference=REF),
        lambda: permit_return(user=other_reviewer, reference=REF, problems=[_problem("B11")]),
        lambda: permit_reject(user=other_reviewer, reference=REF, reason="居住登记未满半年"),
    ):
        with pytest.raises(PermitCaseNotFound):
            decide()
    case.refresh_from_db()
    assert case.status == "prelim_review"


def test_wf7_the_median_counts_every_decision_of_the_last_30_days(beishan, reviewer):
    for n, hours in enumerate((1, 2, 10)):
        reference = f"PA2611270000001{n}"
        receive(
            document("photo", reference=reference),
            reference=reference,
            submitted_at=timezone.now() - dt.timedelta(hours=hours),
        )
        permit_prereview_pass(user=reviewer, reference=reference)
    median = permit_prereview_median_for_staff(user=reviewer)
    assert abs(median.total_seconds() - 2 * 3600) < 60
    PermitCaseEvent.objects.filter(
        status="prereview_passed", prereview_seconds__gt=5 * 3600
    ).update(at=timezone.now() - dt.timedelta(days=31))
    median = permit_prereview_median_for_staff(user=reviewer)
    assert abs(median.total_seconds() - 1.5 * 3600) < 60


def test_wf7_no_decision_no_median(case, reviewer):
    assert permit_prereview_median_for_staff(user=reviewer) is None


def test_doc1_proofs_a_changed_route_newly_asks_for_may_be_raised(case, reviewer, photo, contract):
    permit_return(user=reviewer, reference=REF, problems=[_problem("route", "请改为合法稳定住所")])
    case = resubmit(
        [photo, contract],
        route="residence",
        housing="rented_state_land",
        materials=["A1", "A8", "A9", "C23", "C19/C20", "C24", "C25"],
    )
    assert permit_notice_items(case=case) == [
        "C19/C20",
        "C23",
        "C24",
        "C25",
        "housing",
        "route",
    ]
    returned = permit_return(
        user=reviewer,
        reference=REF,
        problems=[_problem("C23", "请上传房屋租赁合同"), _problem("c20", "请上传房屋所有权证")],
    )
    assert [p["item"] for p in returned.problems] == ["C23", "C20"]


def test_doc1_a_line_may_name_alternatives_in_the_portals_spelling(case, reviewer):
    returned = permit_return(
        user=reviewer,
        reference=REF,
        problems=[_problem(" b11/b17 ", "请上传劳动合同或劳动关系证明")],
    )
    assert returned.problems[0]["item"] == "B11/B17"
    assert _last_status_message()["problems"][0]["item"] == "B11/B17"


@pytest.mark.parametrize("item", ["A9", "kind", "A1/A9", "X1", "", "guardians_hold_permits"])
def test_doc1_what_the_resident_could_not_answer_is_not_a_notice_item(case, reviewer, item):
    with pytest.raises(PermitError) as exc:
        permit_return(user=reviewer, reference=REF, problems=[_problem(item)])
    assert exc.value.errors[0].code == "unknown_item"

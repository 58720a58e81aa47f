"""The station's one stop after pre-review (WF-2, ZJ-16, NAT-12, NAT-13, NAT-3): take, accept
with a receipt, review, approve and issue under four eyes, the card at the station, hand-over
with an identity check; each step by its role at its station, audited and told to the
resident."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured

from onetrip.ferry.registry import get_store
from onetrip.police.audit.models import AuditEvent
from onetrip.police.permits import casework
from onetrip.police.permits.errors import PermitCaseNotFound, PermitError
from onetrip.police.permits.models import CardStatus, PermitCase, ResidencePermit
from onetrip.police.permits.services import permit_prereview_pass
from tests.fixtures import staff

from .conftest import ID_NUMBER, REF, receive

pytestmark = pytest.mark.django_db(databases=["default", "police"])

ORIGINALS = ["A1", "A8", "A9", "B10", "B11/B12/B13/B14/B15/B16/B17"]


def _messages() -> list[dict]:
    outbox = get_store("police").outbox.objects.filter(message_type="permit.status_changed")
    return [m.payload for m in outbox.order_by("id")]


@pytest.fixture
def passed(case, reviewer):
    return permit_prereview_pass(user=reviewer, reference=REF)


@pytest.fixture
def approver(beishan):
    return staff("approver_beishan", "approver", beishan)


@pytest.fixture
def admin(beishan):
    return staff("admin_beishan", "station_admin", beishan)


def _accept(user, **overrides):
    casework.permit_take(user=user, reference=REF)
    fields = {
        "originals": ORIGINALS,
        "ethnicity": "汉族",
        "hukou_address": "浙江省温州市鹿城区五马街道1号",
    }
    fields.update(overrides)
    return casework.permit_accept(user=user, reference=REF, **fields)


def _through_review(clerk, reviewer):
    _accept(clerk)
    casework.permit_take(user=reviewer, reference=REF)
    return casework.permit_review(user=reviewer, reference=REF)


def test_wf2_prereview_pass_puts_the_case_in_the_window_acceptance_queue(passed):
    assert (passed.status, passed.task) == ("prereview_passed", "accept")
    assert passed.task_since is not None


@time_machine.travel(dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC), tick=False)
def test_zj16_accept_gives_a_receipt_number_starts_the_clock_and_tells_the_resident(
    passed, clerk, beishan
):
    accepted = _accept(clerk)
    assert accepted.status == "accepted"
    assert accepted.task == "review"
    assert accepted.assigned_to is None
    assert accepted.receipt_number.startswith(beishan.code[-6:] + "20261201")
    assert accepted.due_on == dt.date(2026, 12, 16)  # NAT-12: 15 days, the day itself not counted
    assert accepted.originals_seen == sorted(ORIGINALS)
    message = _messages()[-1]
    assert (message["status"], message["receipt_number"]) == ("accepted", accepted.receipt_number)
    audit = AuditEvent.objects.get(action="permit.accept", object_id=REF)
    assert (audit.actor, audit.success) == ("clerk_beishan", True)


def test_zj16_two_acceptances_the_same_day_get_different_receipt_numbers(beishan, clerk, reviewer):
    from .conftest import document

    first = receive(document("photo"), document("B11"))
    second = receive(
        document("photo", reference="PA26112700000002"),
        document("B11", reference="PA26112700000002"),
        reference="PA26112700000002",
        id_number="330106199001011238",
    )
    numbers = set()
    for case in (first, second):
        permit_prereview_pass(user=reviewer, reference=case.reference)
        casework.permit_take(user=clerk, reference=case.reference)
        numbers.add(
            casework.permit_accept(
                user=clerk,
                reference=case.reference,
                originals=ORIGINALS,
                ethnicity="汉族",
                hukou_address="浙江省温州市",
            ).receipt_number
        )
    assert len(numbers) == 2


def test_a_case_is_taken_before_it_is_worked(passed, clerk, beishan):
    with pytest.raises(PermitError) as refused:
        casework.permit_accept(
            user=clerk, reference=REF, originals=ORIGINALS, ethnicity="汉族", hukou_address="x地址"
        )
    assert refused.value.code == "not_taken"
    casework.permit_take(user=clerk, reference=REF)
    other = staff("clerk2_beishan", "window_clerk", beishan)
    with pytest.raises(PermitError) as taken:
        casework.permit_take(user=other, reference=REF)
    assert (taken.value.code, taken.value.status) == ("taken_by_other", 409)


def test_the_station_admin_reassigns_only_to_someone_who_may_work_the_step(
    passed, clerk, admin, reviewer, beishan
):
    casework.permit_take(user=clerk, reference=REF)
    other = staff("clerk2_beishan", "window_clerk", beishan)
    with pytest.raises(PermitError) as by_clerk:
        casework.permit_reassign(user=clerk, reference=REF, to_username=other.username)
    assert by_clerk.value.code == "role_cannot_reassign"
    with pytest.raises(PermitError) as to_reviewer:
        casework.permit_reassign(user=admin, reference=REF, to_username=reviewer.username)
    assert to_reviewer.value.code == "cannot_assign_to"
    case = casework.permit_reassign(user=admin, reference=REF, to_username=other.username)
    assert case.assigned_to == other
    assert AuditEvent.objects.filter(action="permit.reassign", object_id=REF).count() == 1


def test_nat11_every_original_must_be_seen_or_a_notice_given(passed, clerk):
    with pytest.raises(PermitError) as refused:
        _accept(clerk, originals=["A1"])
    assert refused.value.code == "originals_not_seen"
    assert PermitCase.objects.get(reference=REF).status == "prereview_passed"
    returned = casework.permit_window_return(
        user=clerk,
        reference=REF,
        problems=[
            {"item": "B11", "text": "租赁合同原件与上传件不一致"},
            {"item": "B10", "text": "未带社会保险缴纳记录原件"},
        ],
    )
    assert (returned.status, returned.task) == ("materials_required", "")
    message = _messages()[-1]
    assert message["status"] == "materials_required"
    assert {p["item"] for p in message["problems"]} == {"B10", "B11"}


def test_only_the_clerk_of_the_station_accepts(passed, reviewer, other_clerk):
    with pytest.raises(PermitError) as wrong_role:
        casework.permit_take(user=reviewer, reference=REF)
    assert wrong_role.value.code == "role_cannot_work"
    with pytest.raises(PermitCaseNotFound):
        casework.permit_take(user=other_clerk, reference=REF)


def test_wf2_four_eyes_nobody_reviews_what_they_accepted(passed, admin):
    _accept(admin)
    with pytest.raises(PermitError) as refused:
        casework.permit_take(user=admin, reference=REF)
    assert (refused.value.code, refused.value.status) == ("four_eyes", 403)


def test_wf2_four_eyes_nobody_approves_what_they_reviewed(passed, clerk, admin):
    _through_review(clerk, admin)
    with pytest.raises(PermitError) as refused:
        casework.permit_take(user=admin, reference=REF)
    assert refused.value.code == "four_eyes"


@time_machine.travel(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC), tick=False)
def test_nat3_nat13_approval_issues_the_permit_with_the_card_data(
    passed, clerk, reviewer, approver, beishan
):
    _through_review(clerk, reviewer)
    casework.permit_take(user=approver, reference=REF)
    approved = casework.permit_approve(user=approver, reference=REF)
    assert (approved.status, approved.task) == ("approved", "produce")
    permit = ResidencePermit.objects.get(case=approved)
    assert permit.permit_number == approved.permit_number
    assert permit.permit_number.startswith(beishan.district_code + "2026")
    assert permit.issuing_authority == beishan.branch_name
    assert permit.issuing_authority.endswith("分局")
    assert (permit.issued_on, permit.valid_until) == (dt.date(2026, 12, 1), dt.date(2027, 11, 30))
    assert (permit.name, permit.id_number, permit.sex) == ("张三", ID_NUMBER, "男")
    assert permit.birth_date == dt.date(1990, 1, 1)
    assert (permit.ethnicity, permit.hukou_address) == ("汉族", "浙江省温州市鹿城区五马街道1号")
    assert permit.residence_address == "曙光路 12 号 3 幢 201 室"
    assert permit.photo_stored_name  # the uploaded photo
    assert permit.card_status == CardStatus.ACTIVE
    message = _messages()[-1]
    assert (message["status"], message["permit_number"]) == ("approved", permit.permit_number)
    outbox = get_store("police").outbox.objects.filter(message_type="permit.card_changed")
    [card] = [m.payload for m in outbox]  # the holder's card page learns of it at once
    assert (card["permit_number"], card["change"]) == (permit.permit_number, "issued")


def test_refusal_at_review_needs_reasons_and_tells_the_resident(passed, clerk, reviewer):
    _accept(clerk)
    casework.permit_take(user=reviewer, reference=REF)
    with pytest.raises(PermitError) as no_reason:
        casework.permit_refuse(user=reviewer, reference=REF, reason="不")
    assert no_reason.value.code == "reason_required"
    refused = casework.permit_refuse(
        user=reviewer, reference=REF, reason="社保缴纳记录显示已离职，不符合就业条件"
    )
    assert (refused.status, refused.task) == ("rejected", "")
    assert _messages()[-1]["reason"] == "社保缴纳记录显示已离职，不符合就业条件"


def test_district_chain_the_branch_approves_not_the_station(
    settings, passed, clerk, reviewer, approver, beishan
):
    settings.ONETRIP_PERMIT_CHAIN = "district"
    _through_review(clerk, reviewer)
    with pytest.raises(PermitError) as station:
        casework.permit_take(user=approver, reference=REF)
    assert station.value.code == "role_cannot_work"
    other_district = staff("district_other", "district_admin", None, "330102")
    with pytest.raises(PermitCaseNotFound):
        casework.permit_take(user=other_district, reference=REF)
    branch = staff(
        "district_" + beishan.district_code, "district_admin", None, beishan.district_code
    )
    casework.permit_take(user=branch, reference=REF)
    assert casework.permit_approve(user=branch, reference=REF).status == "approved"


def test_the_card_goes_to_production_arrives_and_is_handed_over_to_its_holder_only(
    passed, clerk, reviewer, approver
):
    _through_review(clerk, reviewer)
    casework.permit_take(user=approver, reference=REF)
    casework.permit_approve(user=approver, reference=REF)
    casework.permit_take(user=clerk, reference=REF)
    assert casework.permit_send_to_production(user=clerk, reference=REF).status == "in_production"
    ready = casework.permit_card_arrived(user=clerk, reference=REF)
    assert (ready.status, ready.task) == ("ready", "hand_over")
    casework.permit_take(user=clerk, reference=REF)
    with pytest.raises(PermitError) as other_person:
        casework.permit_hand_over(user=clerk, reference=REF, id_number="330106199001011238")
    assert other_person.value.code == "identity_mismatch"
    assert AuditEvent.objects.filter(action="permit.hand_over", success=False).count() == 1
    collected = casework.permit_hand_over(user=clerk, reference=REF, id_number=ID_NUMBER.lower())
    assert (collected.status, collected.task) == ("collected", "")
    assert ResidencePermit.objects.get(case=collected).handed_over_by == clerk
    assert [m["status"] for m in _messages()][-5:] == [
        "accepted",
        "approved",
        "in_production",
        "ready",
        "collected",
    ]


def test_a_step_out_of_order_is_refused(passed, clerk, reviewer):
    _accept(clerk)
    with pytest.raises(PermitError) as again:
        casework.permit_take(user=clerk, reference=REF)
    assert again.value.code == "role_cannot_work" or again.value.code == "wrong_step"
    with pytest.raises(PermitError) as early:
        casework.permit_approve(user=reviewer, reference=REF)
    assert early.value.code in ("wrong_step", "role_cannot_work")


def test_nat12_the_clock_may_not_exceed_thirty_days(settings, passed, clerk):
    settings.ONETRIP_PERMIT_ISSUE_DAYS = 31
    with pytest.raises(ImproperlyConfigured):
        _accept(clerk)

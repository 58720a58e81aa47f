"""The resident's permit application as services (NAT-1, NAT-11, HZ-7, DOC-1…DOC-3, WF-2, PI-2):
a draft is checked field by field, submission says everything at once and sends the documents
before the application in one transaction, the station's word applies once, and a returned
application changes only what the one-time notice lists."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from onetrip.common.crypto import lookup_hash
from onetrip.portal.ferrybox.models import OutboxMessage
from onetrip.portal.notify.models import SmsMessage
from onetrip.portal.permits import applications
from onetrip.portal.permits.applications import (
    MAX_OPEN_DRAFTS,
    permit_application_apply_status,
    permit_application_materials,
    permit_application_problems,
    permit_application_resubmit,
    permit_application_save,
    permit_application_start,
    permit_application_submit,
)
from onetrip.portal.permits.errors import (
    ApplicationDuplicate,
    ApplicationInvalid,
    ApplicationLimitReached,
    ApplicationNotDraft,
    ApplicationNotFound,
    ApplicationNotReturned,
)
from onetrip.portal.permits.models import PermitApplication, PermitDocument

from .permit_helpers import (
    FORM,
    ID,
    PDF,
    RENTED,
    draft,
    jpeg,
    known_to_the_register,
    status,
    stored_files,
    upload,
)

pytestmark = [
    pytest.mark.django_db(databases=["default", "police"]),
    pytest.mark.usefixtures("files_dir"),
]


@pytest.fixture
def other(db):
    from onetrip.portal.accounts.models import Resident
    from onetrip.portal.accounts.services import phone_hash_of

    return Resident.objects.create(phone="13900139000", phone_hash=phone_hash_of("13900139000"))


def _codes(exc: ApplicationInvalid) -> dict[str, str]:
    return {e.field: e.code for e in exc.errors}


def _submitted(resident, form=FORM) -> PermitApplication:
    known_to_the_register(resident)
    application = draft(resident, form=form)
    return permit_application_submit(
        resident=resident, reference=application.reference, consent=True
    )


# --- Drafts ---------------------------------------------------------------------------------


def test_a_draft_starts_with_what_the_resident_declared(resident):
    known_to_the_register(resident)
    application = permit_application_start(resident=resident, kind="first")
    assert application.reference.startswith("PA") and len(application.reference) == 16
    assert (application.status, application.revision) == ("draft", 0)
    assert (application.name, application.id_number) == ("张三", ID)
    assert application.id_hash == lookup_hash(ID, purpose="id_number")
    assert [e.status for e in application.events.all()] == ["draft"]


def test_a_draft_is_saved_field_by_field_and_every_bad_field_is_named(resident):
    application = permit_application_start(resident=resident, kind="first")
    with pytest.raises(ApplicationInvalid) as info:
        permit_application_save(
            resident=resident,
            reference=application.reference,
            data={
                "name": "张三😀",
                "id_number": "330106199001011230",
                "phone": "1234",
                "community_code": "110101001001",
                "social_insurance_months": "十二",
                "route": "lottery",
                "address_detail": "曙光路\x00 12 号",
            },
        )
    assert _codes(info.value) == {
        "name": "unsupported_character",
        "id_number": "id_check_digit",
        "phone": "phone_format",
        "community_code": "outside_city",
        "social_insurance_months": "months",
        "route": "choice",
        "address_detail": "control_character",
    }
    assert all(e.message_zh and e.message_en for e in info.value.errors)
    application.refresh_from_db()
    assert application.name == ""  # nothing saved when anything is refused

    permit_application_save(
        resident=resident, reference=application.reference, data={"route": "study"}
    )
    application.refresh_from_db()
    assert (application.route, application.school_name) == ("study", "")


def test_a_resident_keeps_a_limited_number_of_drafts(resident):
    for _ in range(MAX_OPEN_DRAFTS):
        permit_application_start(resident=resident, kind="first")
    with pytest.raises(ApplicationLimitReached) as info:
        permit_application_start(resident=resident, kind="reissue")
    assert info.value.code == "too_many_drafts"


def test_another_residents_draft_is_not_found(resident, other):
    application = permit_application_start(resident=resident, kind="first")
    with pytest.raises(ApplicationNotFound):
        permit_application_save(
            resident=other, reference=application.reference, data={"name": "李四"}
        )


# --- Materials (DOC-3, HZ-7) ------------------------------------------------------------------


def test_doc3_the_list_follows_the_route_and_only_the_photo_is_always_uploaded(resident):
    application = draft(resident, form=RENTED, photo=False)
    lines = {line.key: line for line in permit_application_materials(application=application)}
    assert list(lines) == ["A1", "photo", "A9", "C19/C20", "C23", "C24", "C25"]
    assert [k for k, line in lines.items() if line.required_upload] == ["photo", "C23", "C24"]
    assert lines["A9"].online_form and lines["A9"].provided
    upload(resident, application, "C23", PDF, "lease.pdf")
    lines = {line.key: line for line in permit_application_materials(application=application)}
    assert lines["C23"].provided and lines["C23"].item.provided


def test_hz7_a_changed_route_drops_the_documents_no_longer_asked_for(
    resident, files_dir, django_capture_on_commit_callbacks
):
    application = draft(resident, form=RENTED)
    lease = upload(resident, application, "C23", PDF, "lease.pdf")
    assert len(stored_files(files_dir)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        permit_application_save(
            resident=resident, reference=application.reference, data={"housing": "owned"}
        )
    lease.refresh_from_db()
    assert lease.active is False
    assert len(stored_files(files_dir)) == 1
    assert PermitDocument.objects.filter(application=application, active=True).count() == 1


# --- Submit -----------------------------------------------------------------------------------


def test_nat11_submit_reports_every_problem_at_once(resident):
    application = permit_application_start(resident=resident, kind="first")
    permit_application_save(
        resident=resident,
        reference=application.reference,
        data={"route": "residence", "housing": "rented_state_land", "delivery": "post"},
    )
    with pytest.raises(ApplicationInvalid) as info:
        permit_application_submit(resident=resident, reference=application.reference, consent=False)
    codes = _codes(info.value)
    assert codes["consent"] == "consent_required"
    for name in ("name", "id_number", "community_code", "address_detail"):
        assert codes[name] == "required"
    assert "phone" not in codes  # the sign-in number is filled in
    assert codes["postal_address"] == "required"
    assert codes["photo"] == "photo_missing"
    assert codes["C23"] == codes["C24"] == "document_missing"
    assert "C25" not in codes  # fetched by the system (HZ-7)
    assert PermitApplication.objects.get(pk=application.pk).status == "draft"
    assert not OutboxMessage.objects.exists()


def test_pi2_submit_needs_consent(resident):
    known_to_the_register(resident)
    application = draft(resident)
    with pytest.raises(ApplicationInvalid) as info:
        permit_application_submit(resident=resident, reference=application.reference, consent=False)
    assert _codes(info.value) == {"consent": "consent_required"}


def test_nat1_a_first_application_needs_six_months_on_the_register(resident):
    known_to_the_register(resident, months=3)
    application = draft(resident)
    with pytest.raises(ApplicationInvalid) as info:
        permit_application_submit(resident=resident, reference=application.reference, consent=True)
    assert _codes(info.value) == {"eligibility": "six_months_not_reached"}


def test_hz2_an_employment_application_is_told_only_about_its_own_route(resident):
    known_to_the_register(resident)
    form = {
        **FORM,
        "route": "employment",
        "housing": "",
        "employer_name": "杭州示例科技有限公司",
        "social_insurance_months": "5",
    }
    application = draft(resident, form=form)
    upload(resident, application, "B11", PDF, "contract.pdf")
    problems = permit_application_problems(application=application)
    assert [(e.field, e.code) for e in problems] == [("eligibility", "employment_not_met")]


def test_a_first_application_is_counted_from_the_register_not_from_a_typed_date(resident):
    """HZ-1: without the register's record of the applicant, the application cannot go."""
    application = draft(resident)
    problems = permit_application_problems(application=application)
    assert ("eligibility", "not_registered") in [(e.field, e.code) for e in problems]


def test_wf2_submit_sends_the_documents_then_the_application_in_one_transaction(resident):
    known_to_the_register(resident)
    application = draft(resident, form=RENTED)
    lease = upload(resident, application, "C23", PDF, "租赁合同.pdf")
    upload(resident, application, "C24", jpeg(size=(800, 600)), "pledge.png")
    before = OutboxMessage.objects.count()  # the declaration's message
    application = permit_application_submit(
        resident=resident, reference=application.reference, consent=True
    )
    rows = list(OutboxMessage.objects.order_by("id")[before:])
    assert [r.message_type for r in rows] == [
        "permit.document",
        "permit.document",
        "permit.document",
        "permit.submitted",
    ]
    assert {r.aggregate_id for r in rows} == {application.reference}
    documents = {r.payload["item"]: r.payload for r in rows[:3]}
    assert set(documents) == {"photo", "C23", "C24"}
    content = base64.b64decode(documents["C23"]["content_base64"])
    assert content == PDF
    assert hashlib.sha256(content).hexdigest() == documents["C23"]["sha256"] == lease.sha256
    sent = rows[-1].payload
    assert (sent["revision"], sent["kind"], sent["id_number"], sent["housing"]) == (
        1,
        "first",
        ID,
        "rented_state_land",
    )
    assert {d["item"] for d in sent["documents"]} == {"photo", "C23", "C24"}
    assert next(d for d in sent["documents"] if d["item"] == "C23")["name"] == "租赁合同.pdf"
    assert sent["materials"] == ["A1", "A8", "A9", "C19/C20", "C23", "C24", "C25"]
    assert (application.status, application.revision) == ("submitted", 1)
    assert application.consented_at is not None
    assert [e.status for e in application.events.all()] == ["draft", "submitted"]
    sms = SmsMessage.objects.get(template="permit_submitted")
    assert application.reference in sms.text


def test_wf2_nothing_is_sent_when_the_submission_fails_half_way(resident, monkeypatch):
    known_to_the_register(resident)
    application = draft(resident)
    before = OutboxMessage.objects.count()

    def broken(*args, **kwargs):
        raise RuntimeError("the SMS table is gone")

    monkeypatch.setattr(applications, "sms_queue", broken)
    with pytest.raises(RuntimeError):
        permit_application_submit(resident=resident, reference=application.reference, consent=True)
    assert OutboxMessage.objects.count() == before
    application.refresh_from_db()
    assert (application.status, application.revision) == ("draft", 0)


def test_a_submitted_application_cannot_be_edited_or_submitted_again(resident):
    application = _submitted(resident)
    with pytest.raises(ApplicationNotDraft):
        permit_application_save(
            resident=resident, reference=application.reference, data={"name": "李四"}
        )
    with pytest.raises(ApplicationNotDraft):
        permit_application_submit(resident=resident, reference=application.reference, consent=True)


def test_one_application_in_progress_per_person(resident, other):
    first = _submitted(resident)
    second = draft(resident)
    with pytest.raises(ApplicationDuplicate) as info:
        permit_application_submit(resident=resident, reference=second.reference, consent=True)
    assert info.value.reference == first.reference
    # Someone else typing the same ID number learns no reference (and, not having declared
    # with it, is not counted from its registration either).
    stranger = draft(other)
    with pytest.raises(ApplicationInvalid) as invalid:
        permit_application_submit(resident=other, reference=stranger.reference, consent=True)
    assert _codes(invalid.value) == {"eligibility": "not_registered"}
    with pytest.raises(ApplicationDuplicate) as info:
        applications._check_not_duplicate(stranger)
    assert info.value.reference == "" and "PA" not in info.value.message_zh


# --- The station's word -----------------------------------------------------------------------


def test_wf2_a_status_applies_once_even_when_delivered_twice(resident):
    application = _submitted(resident)
    message = status(application, "prereview_passed")
    permit_application_apply_status(message=message)
    assert permit_application_apply_status(message=message) is None
    application.refresh_from_db()
    assert application.status == "prereview_passed"
    assert application.station_name == "北山派出所"
    assert [e.status for e in application.events.all()] == [
        "draft",
        "submitted",
        "prereview_passed",
    ]
    [sms] = SmsMessage.objects.filter(template="permit_prereview_passed")
    assert "预约" in sms.text and "北山派出所" in sms.text


def test_wf2_a_newer_message_with_the_same_status_tells_the_resident_nothing_again(resident):
    """The station's review keeps the case 已受理 until the approval; its message updates the
    mirror but adds no second history line and no second SMS."""
    application = _submitted(resident)
    now = timezone.now()
    permit_application_apply_status(
        message=status(application, "accepted", at=now, receipt_number="HZ2026000001")
    )
    permit_application_apply_status(
        message=status(
            application,
            "accepted",
            at=now + dt.timedelta(seconds=1),
            receipt_number="HZ2026000001",
        )
    )
    application.refresh_from_db()
    assert application.status == "accepted"
    assert [e.status for e in application.events.all()].count("accepted") == 1
    assert SmsMessage.objects.filter(template="permit_accepted").count() == 1


def test_wf2_an_older_status_is_ignored(resident):
    application = _submitted(resident)
    now = timezone.now()
    permit_application_apply_status(message=status(application, "accepted", at=now))
    permit_application_apply_status(
        message=status(application, "prelim_review", at=now - dt.timedelta(minutes=5))
    )
    application.refresh_from_db()
    assert application.status == "accepted"
    assert application.events.count() == 3


def test_doc1_a_status_for_an_older_revision_is_ignored(resident):
    application = _submitted(resident)
    permit_application_apply_status(
        message=status(application, "materials_required", problems=[("photo", "照片背景不是白色")])
    )
    upload(resident, application, "photo", jpeg())
    application = permit_application_resubmit(resident=resident, reference=application.reference)
    assert application.revision == 2
    late = status(application, "rejected", revision=1, reason="不符合条件")
    assert permit_application_apply_status(message=late) is None
    application.refresh_from_db()
    assert (application.status, application.revision) == ("submitted", 2)


def test_wf2_each_visible_change_is_told_in_plain_words(resident):
    application = _submitted(resident)
    now = timezone.now()
    permit_application_apply_status(
        message=status(
            application,
            "materials_required",
            at=now,
            problems=[("photo", "照片背景不是白色，请重新拍摄"), ("C23", "租赁合同缺少签字页")],
        )
    )
    text = SmsMessage.objects.get(template="permit_materials_required").text
    assert "本人近期白底免冠彩色照片" not in text  # the photo line is called the photo
    assert "照片、房屋租赁合同" in text and "登录" in text
    application.refresh_from_db()
    assert application.problems == [
        {"item": "photo", "text": "照片背景不是白色，请重新拍摄"},
        {"item": "C23", "text": "租赁合同缺少签字页"},
    ]
    event = application.events.last()
    assert event.lines == application.problems

    other = PermitApplication.objects.create(
        reference="PA26120100000001",
        resident=resident,
        kind="first",
        status="submitted",
        revision=1,
        phone=resident.phone,
    )
    permit_application_apply_status(
        message=status(other, "rejected", at=now, reason="居住登记未满6个月")
    )
    assert "居住登记未满6个月" in SmsMessage.objects.get(template="permit_rejected").text


def test_an_unknown_reference_is_a_business_reject(resident):
    from onetrip.ferry.agent.handlers import BusinessReject
    from onetrip.portal.permits.handlers import on_permit_status_changed

    ghost = PermitApplication(reference="PA26120199999999", revision=1)
    with pytest.raises(BusinessReject):
        on_permit_status_changed(None, status(ghost, "accepted"))


# --- Resubmission (DOC-1) ---------------------------------------------------------------------


@pytest.fixture
def returned(resident):
    """Submitted with a lease and a pledge, returned for the photo and the address."""
    known_to_the_register(resident)
    application = draft(resident, form=RENTED)
    upload(resident, application, "C23", PDF, "lease.pdf")
    upload(resident, application, "C24", PDF, "pledge.pdf")
    application = permit_application_submit(
        resident=resident, reference=application.reference, consent=True
    )
    permit_application_apply_status(
        message=status(
            application,
            "materials_required",
            problems=[
                ("photo", "照片背景不是白色"),
                ("address_detail", "门牌号与登记不一致"),
                ("other", "请携带原件"),
            ],
        )
    )
    application.refresh_from_db()
    return application


def test_doc1_resubmit_refuses_changes_outside_the_notice(resident, returned):
    upload(resident, returned, "photo", jpeg())
    with pytest.raises(ApplicationInvalid) as info:
        permit_application_resubmit(
            resident=resident,
            reference=returned.reference,
            data={"name": "李四", "phone": FORM["phone"], "address_detail": "曙光路 14 号"},
        )
    assert _codes(info.value) == {"name": "not_listed"}  # the same phone is not a change
    with pytest.raises(Exception) as refused:
        upload(resident, returned, "C23", PDF, "lease.pdf")
    assert refused.value.code == "item_not_listed"
    returned.refresh_from_db()
    assert (returned.status, returned.address_detail) == (
        "materials_required",
        RENTED["address_detail"],
    )


def test_doc1_resubmit_needs_a_new_file_for_each_listed_document(resident, returned):
    with pytest.raises(ApplicationInvalid) as info:
        permit_application_resubmit(resident=resident, reference=returned.reference)
    assert _codes(info.value) == {"photo": "document_not_replaced"}


def test_doc1_resubmitting_exactly_the_listed_items_never_fails_on_another(
    resident, returned, monkeypatch
):
    """Even when an unlisted rule would now fail (here: the register's record is gone), the
    listed corrections go through, and only the new file travels again."""
    from onetrip.portal.permits.models import ResidenceRecord

    ResidenceRecord.objects.all().delete()
    photo = upload(resident, returned, "photo", jpeg())
    assert photo.revision == 2
    before = OutboxMessage.objects.count()
    application = permit_application_resubmit(
        resident=resident,
        reference=returned.reference,
        data={"address_detail": "曙光路 12 号 3 幢 202 室"},
    )
    assert (application.status, application.revision, application.problems) == (
        "submitted",
        2,
        [],
    )
    rows = list(OutboxMessage.objects.order_by("id")[before:])
    assert [r.message_type for r in rows] == ["permit.document", "permit.resubmitted"]
    assert rows[0].payload["document_id"] == photo.document_id
    sent = rows[1].payload
    assert (sent["revision"], sent["address_detail"]) == (2, "曙光路 12 号 3 幢 202 室")
    assert {d["item"] for d in sent["documents"]} == {"photo", "C23", "C24"}
    assert [e.status for e in application.events.all()][-1] == "submitted"


def test_only_a_returned_application_is_resubmitted(resident):
    application = _submitted(resident)
    with pytest.raises(ApplicationNotReturned):
        permit_application_resubmit(resident=resident, reference=application.reference)


def test_wf2_the_registered_handler_applies_a_redelivered_status_once(resident):
    from onetrip.ferry.agent.handlers import handler_for

    application = _submitted(resident)
    message = status(application, "prelim_review")
    handler = handler_for("portal", "permit.status_changed")
    handler(None, message)
    handler(None, message)
    application.refresh_from_db()
    assert [e.status for e in application.events.all()] == ["draft", "submitted", "prelim_review"]
    assert SmsMessage.objects.filter(template="permit_prelim_review").count() == 1


def test_a_ferry_reject_of_the_application_is_told_in_plain_words(resident):
    from onetrip.contracts.permits import PermitApplicationSubmittedV1
    from onetrip.ferry.agent.handlers import reject_handler_for

    application = _submitted(resident)
    row = OutboxMessage.objects.filter(message_type="permit.submitted").get()
    message = PermitApplicationSubmittedV1.model_validate(row.payload)
    handler = reject_handler_for("portal", "permit.submitted")
    handler(None, message, "no station covers community 330106002001")
    application.refresh_from_db()
    assert (application.status, application.reason) == (
        "rejected",
        "所选社区暂无对应派出所，请核对居住地址或联系当地派出所",
    )
    assert "所选社区暂无对应派出所" in SmsMessage.objects.get(template="permit_rejected").text
    handler(None, message, "no station covers community 330106002001")
    assert application.events.filter(status="rejected").count() == 1


def test_hz5_a_minors_application_needs_the_guardian_and_the_minors_papers(resident):
    from tests.portal.permits.permit_helpers import CHILD_ID, GUARDIAN_ID

    form = {
        **FORM,
        "name": "张小明",
        "id_number": CHILD_ID,
        "route": "study",
        "housing": "",
        "school_name": "杭州市西湖小学",
    }
    application = draft(resident, form=form)
    lines = {line.key: line for line in permit_application_materials(application=application)}
    assert {"A2/A3", "A6", "A7"} <= set(lines)
    assert not lines["A7"].required_upload and not lines["A2/A3"].required_upload  # fetched
    codes = {(e.field, e.code) for e in permit_application_problems(application=application)}
    assert {
        ("guardian_name", "required"),
        ("guardian_id_number", "required"),
        ("guardian_relation", "required"),
        ("A6", "document_missing"),
    } <= codes
    permit_application_save(
        resident=resident,
        reference=application.reference,
        data={
            "guardian_name": "张大",
            "guardian_id_number": GUARDIAN_ID,
            "guardian_relation": "other_guardian",
        },
    )
    application.refresh_from_db()
    lines = {line.key for line in permit_application_materials(application=application)}
    assert "A5" in lines  # a guardian who is not a parent proves the guardianship
    # A draft may hold a route a minor cannot take; submission names it with the rest.
    permit_application_save(
        resident=resident, reference=application.reference, data={"route": "employment"}
    )
    application.refresh_from_db()
    codes = {(e.field, e.code) for e in permit_application_problems(application=application)}
    assert ("route", "minor_route") in codes

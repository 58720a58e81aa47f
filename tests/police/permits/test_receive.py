"""Receiving applications from the portal (WF-2): files checked against their hash and stored
encrypted once, the case filed at the station covering the address, resubmissions taken back
as the same case at the next revision, and the resident told through the outbox."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.conf import settings
from django.db import connections, router

from onetrip.common.crypto import lookup_hash
from onetrip.common.filestore import file_get
from onetrip.ferry.agent.handlers import BusinessReject
from onetrip.ferry.registry import get_store
from onetrip.police.permits.errors import DocumentIntegrityError
from onetrip.police.permits.handlers import on_permit_document, on_permit_submitted
from onetrip.police.permits.models import PermitCase, PermitCaseDocument, PermitCaseEvent
from onetrip.police.permits.services import (
    permit_document_receive,
    permit_receive,
    permit_return,
)

from .conftest import (
    HUBIN_COMMUNITY,
    ID_NUMBER,
    PDF_BYTES,
    PHONE,
    REF,
    application,
    document,
    jpeg_bytes,
    receive,
    resubmit,
)

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def _stored_files() -> list:
    root = settings.ONETRIP_FILES_DIR / "police"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _status_messages() -> list[dict]:
    outbox = get_store("police").outbox.objects
    return [m.payload for m in outbox.filter(message_type="permit.status_changed").order_by("id")]


def test_doc_a_file_is_stored_encrypted_under_its_checked_hash(beishan):
    content = jpeg_bytes()
    stored = permit_document_receive(message=document("photo", content))
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert stored.size == len(content) and stored.case is None
    [path] = _stored_files()
    assert content not in path.read_bytes()
    assert file_get(zone="police", name=stored.stored_name) == content


def test_doc_hash_mismatch_raises_and_stores_nothing(beishan):
    message = document("photo", sha256="0" * 64)
    with pytest.raises(DocumentIntegrityError):
        on_permit_document(None, message)  # type: ignore[arg-type]
    assert PermitCaseDocument.objects.count() == 0
    assert _stored_files() == []


def test_doc_size_mismatch_raises_and_stores_nothing(beishan):
    content = jpeg_bytes()
    with pytest.raises(DocumentIntegrityError):
        permit_document_receive(message=document("photo", content, size=len(content) + 1))
    assert _stored_files() == []


def test_doc_redelivery_stores_nothing_twice(beishan):
    message = document("B11")
    first = permit_document_receive(message=message)
    again = permit_document_receive(message=message)
    assert again.pk == first.pk
    assert PermitCaseDocument.objects.count() == 1
    assert len(_stored_files()) == 1


def test_doc_an_id_reused_for_other_content_raises(beishan):
    message = document("B11")
    permit_document_receive(message=message)
    other = document("B11", document_id=message.document_id)
    with pytest.raises(DocumentIntegrityError):
        permit_document_receive(message=other)
    assert len(_stored_files()) == 1


def test_doc_a_file_that_is_not_what_its_type_says_is_a_business_reject(beishan):
    with pytest.raises(BusinessReject):
        permit_document_receive(message=document("photo", PDF_BYTES, media_type="image/jpeg"))
    assert _stored_files() == []


def test_doc_a_file_under_an_unknown_item_is_a_business_reject(beishan):
    with pytest.raises(BusinessReject):
        permit_document_receive(message=document("Z99"))


def test_wf2_submission_opens_the_case_at_the_covering_station(beishan, photo, contract):
    case = receive(photo, contract)
    assert case.station == beishan
    assert (case.status, case.revision) == ("prelim_review", 1)
    assert case.id_hash == lookup_hash(ID_NUMBER, purpose="id_number")
    assert case.phone_hash == lookup_hash(PHONE, purpose="phone")
    documents = {d.document_id: d for d in case.documents.all()}
    assert set(documents) == {photo.document_id, contract.document_id}
    assert all(d.current and d.revision == 1 for d in documents.values())
    assert documents[photo.document_id].original_name == "photo.bin"
    [event] = PermitCaseEvent.objects.filter(case=case)
    assert (event.status, event.actor, event.note) == ("prelim_review", "ferry", beishan.name)
    [message] = _status_messages()
    assert message["reference"] == REF
    assert (message["status"], message["revision"]) == ("prelim_review", 1)
    assert (message["station_code"], message["station_name"]) == (beishan.code, beishan.name)


def test_pi_personal_fields_are_encrypted_at_rest(case):
    with connections[router.db_for_read(PermitCase)].cursor() as cursor:
        cursor.execute(
            "SELECT name, id_number, phone, address_detail FROM police_permits_permitcase"
        )
        row = cursor.fetchone()
    assert "张三" not in row[0] and ID_NUMBER not in row[1] and PHONE not in row[2]
    assert "曙光路" not in row[3]


def test_wf2_routing_follows_the_address_to_its_station(hubin, beishan):
    photo = document("photo")
    case = receive(photo, community=HUBIN_COMMUNITY)
    assert case.station == hubin
    assert _status_messages()[0]["station_code"] == hubin.code


def test_wf2_an_address_no_station_covers_is_a_business_reject(reference_data):
    with pytest.raises(BusinessReject):
        receive(document("photo"), community="330106999999")
    assert PermitCase.objects.count() == 0


def test_wf2_a_duplicate_delivery_changes_nothing(case, photo, contract):
    again = application([photo, contract], name="李四")
    on_permit_submitted(None, again)  # type: ignore[arg-type]
    case.refresh_from_db()
    assert case.name == "张三"
    assert PermitCase.objects.count() == 1
    assert PermitCaseEvent.objects.count() == 1
    assert len(_status_messages()) == 1


def test_wf2_an_application_listing_a_file_that_never_came_is_refused(beishan, photo):
    permit_document_receive(message=photo)
    missing = document("B11")
    with pytest.raises(BusinessReject):
        permit_receive(message=application([photo, missing]))
    assert PermitCase.objects.count() == 0


def test_wf2_an_application_listing_other_content_than_received_is_refused(beishan, photo):
    permit_document_receive(message=photo)
    listed = photo.model_copy(update={"sha256": "1" * 64})
    with pytest.raises(BusinessReject):
        permit_receive(message=application([listed]))


def test_wf2_files_of_another_reference_cannot_be_listed(beishan, photo):
    permit_document_receive(message=photo)
    with pytest.raises(BusinessReject):
        permit_receive(message=application([photo], reference="PA26112799999999"))


def _returned(case, reviewer, items=("B11",)):
    return permit_return(
        user=reviewer,
        reference=case.reference,
        problems=[{"item": i, "text": "请重新上传清晰完整的材料"} for i in items],
    )


def test_wf2_a_resubmission_comes_back_as_the_same_case_at_the_next_revision(
    case, reviewer, photo, contract
):
    _returned(case, reviewer)
    fixed = document("B11")
    again = resubmit([photo], new=[fixed], address_detail="曙光路 12 号 3 幢 202 室")
    assert again.pk == case.pk
    assert (again.status, again.revision) == ("prelim_review", 2)
    assert again.changed_items == ["address_detail"]
    assert (again.problems, again.decided_at, again.prereview_seconds) == ([], None, None)
    current = {d.document_id: d.revision for d in again.documents.filter(current=True)}
    assert current == {photo.document_id: 1, fixed.document_id: 2}
    assert not PermitCaseDocument.objects.get(document_id=contract.document_id).current
    statuses = [(m["status"], m["revision"]) for m in _status_messages()]
    assert statuses == [("prelim_review", 1), ("materials_required", 1), ("prelim_review", 2)]
    last = PermitCaseEvent.objects.filter(case=case).last()
    assert (last.from_status, last.status, last.revision) == (
        "materials_required",
        "prelim_review",
        2,
    )


def test_wf2_an_older_or_equal_revision_is_ignored(case, reviewer, photo, contract):
    _returned(case, reviewer)
    resubmit([photo, contract], new=[], revision=2, employer_name="杭州新单位有限公司")
    before = len(_status_messages())
    for revision in (1, 2):
        resubmit([photo, contract], revision=revision, employer_name="别的单位")
    case.refresh_from_db()
    assert (case.revision, case.employer_name) == (2, "杭州新单位有限公司")
    assert len(_status_messages()) == before


def test_wf2_a_resubmission_of_a_case_not_awaiting_corrections_is_refused(case, photo):
    with pytest.raises(BusinessReject):
        resubmit([photo])
    case.refresh_from_db()
    assert case.revision == 1


def test_wf2_a_resubmission_may_move_the_case_to_another_station(
    case, reviewer, photo, contract, hubin
):
    _returned(case, reviewer)
    again = resubmit([photo, contract], community=HUBIN_COMMUNITY)
    assert again.station == hubin
    assert again.changed_items == ["community_code"]


def test_wf2_submitted_at_is_the_residents_and_received_at_the_stations(beishan, photo):
    submitted = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
    case = receive(photo, submitted_at=submitted)
    assert case.submitted_at == submitted
    assert case.received_at > submitted

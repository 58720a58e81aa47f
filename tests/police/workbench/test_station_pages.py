"""The station's one stop on the workbench pages (WF-2, ZJ-16, NAT-12): scan to open, take,
accept with a receipt PDF, review and approve by others, card to hand-over; walk-ins; the queue
costs the same number of queries however long it is."""

from __future__ import annotations

import io
import re

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from onetrip.police.audit.models import AuditEvent
from onetrip.police.permits.models import PermitCase
from onetrip.police.permits.services import permit_prereview_pass
from tests.fixtures import staff
from tests.police.permits.conftest import (
    ID_NUMBER,
    REF,
    client_of,
    document,
    receive,
)

pytestmark = pytest.mark.django_db(databases=["default", "police"])

ORIGINALS = ["A1", "A8", "A9", "B10", "B11/B12/B13/B14/B15/B16/B17"]


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    settings.ONETRIP_FILES_DIR = tmp_path / "files"


@pytest.fixture
def passed(beishan):
    reviewer = staff("reviewer_beishan", "reviewer", beishan)
    receive(document("photo"), document("B11"))
    permit_prereview_pass(user=reviewer, reference=REF)
    return reviewer


def _ok(response, to: str = f"/station/{REF}/"):
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == to
    return response


def test_zj16_a_clerks_day_scan_accept_receipt_review_approve_hand_over(passed, beishan):
    clerk = client_of(staff("clerk_beishan", "window_clerk", beishan))
    reviewer = client_of(passed)
    approver = client_of(staff("approver_beishan", "approver", beishan))

    queue = clerk.get("/station/").content.decode()
    assert REF in queue and "待受理" in queue
    _ok(clerk.get("/station/", {"q": REF.lower()}))  # the scanner types the reference
    page = clerk.get(f"/station/{REF}/").content.decode()
    assert 'id="take"' in page and 'id="accept"' not in page
    _ok(clerk.post(f"/station/{REF}/take/"))
    assert 'id="accept"' in clerk.get(f"/station/{REF}/").content.decode()
    _ok(
        clerk.post(
            f"/station/{REF}/accept/",
            {"original": ORIGINALS, "ethnicity": "汉族", "hukou_address": "浙江省温州市鹿城区"},
        )
    )
    case = PermitCase.objects.get(reference=REF)
    page = clerk.get(f"/station/{REF}/").content.decode()
    assert case.receipt_number in page
    pdf = clerk.get(f"/station/{REF}/receipt.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert case.receipt_number in text and REF in text

    assert "待审核" in reviewer.get("/station/", {"task": "review"}).content.decode()
    _ok(reviewer.post(f"/station/{REF}/take/"))
    _ok(reviewer.post(f"/station/{REF}/review/", {"note": "材料齐全"}))
    _ok(approver.post(f"/station/{REF}/take/"))
    _ok(approver.post(f"/station/{REF}/approve/"))
    case.refresh_from_db()
    assert case.status == "approved" and case.permit_number
    assert case.permit_number in approver.get(f"/station/{REF}/").content.decode()

    _ok(clerk.post(f"/station/{REF}/take/"))
    _ok(clerk.post(f"/station/{REF}/production/"))
    _ok(clerk.post(f"/station/{REF}/arrived/"))
    _ok(clerk.post(f"/station/{REF}/take/"))
    wrong = clerk.post(f"/station/{REF}/hand-over/", {"id_number": "330106199001011238"})
    assert wrong.status_code == 400 and "所持身份证与申请人不符" in wrong.content.decode()
    _ok(clerk.post(f"/station/{REF}/hand-over/", {"id_number": ID_NUMBER}))
    assert PermitCase.objects.get(reference=REF).status == "collected"


def test_wf2_four_eyes_holds_on_the_pages_too(passed, beishan):
    admin = client_of(staff("admin_beishan", "station_admin", beishan))
    _ok(admin.post(f"/station/{REF}/take/"))
    _ok(
        admin.post(
            f"/station/{REF}/accept/",
            {"original": ORIGINALS, "ethnicity": "汉族", "hukou_address": "浙江省温州市"},
        )
    )
    refused = admin.post(f"/station/{REF}/take/")
    assert refused.status_code == 403
    assert "双人复核" in refused.content.decode()
    assert 'id="review"' not in admin.get(f"/station/{REF}/").content.decode()


def test_nat11_missing_originals_are_named_and_nothing_changes(passed, beishan):
    clerk = client_of(staff("clerk_beishan", "window_clerk", beishan))
    clerk.post(f"/station/{REF}/take/")
    response = clerk.post(
        f"/station/{REF}/accept/",
        {"original": ["A1"], "ethnicity": "汉族", "hukou_address": "浙江省温州市"},
    )
    assert response.status_code == 400
    assert "社会保险缴纳记录" in response.content.decode()
    assert PermitCase.objects.get(reference=REF).status == "prereview_passed"


def test_a_walk_in_is_entered_with_every_fault_at_once_then_opens_taken(beishan):
    clerk_user = staff("clerk_beishan", "window_clerk", beishan)
    clerk = client_of(clerk_user)
    bad = clerk.post("/station/walk-in/", {"kind": "first", "id_number": "123", "route": "x"})
    body = bad.content.decode()
    assert bad.status_code == 400
    assert "身份证" in body and "申领条件" in body and "居住社区" in body
    assert not PermitCase.objects.exists()
    good = clerk.post(
        "/station/walk-in/",
        {
            "kind": "first",
            "name": "李四",
            "id_number": ID_NUMBER,
            "phone": "13800138001",
            "ethnicity": "汉族",
            "community_code": "330106005001",
            "address_detail": "文三路 1 号",
            "route": "employment",
        },
    )
    case = PermitCase.objects.get()
    assert good["Location"] == f"/station/{case.reference}/"
    assert re.fullmatch(r"WA\d{14}", case.reference)
    assert (case.channel, case.task, case.assigned_to) == ("window", "accept", clerk_user)
    assert case.station == beishan
    assert "A1" in case.materials
    assert AuditEvent.objects.filter(action="permit.walk_in", object_id=case.reference).exists()


def test_a_reviewer_cannot_enter_walk_ins(beishan):
    reviewer = client_of(staff("reviewer_beishan", "reviewer", beishan))
    assert reviewer.post("/station/walk-in/", {"kind": "first"}).status_code == 403


def _queue_queries(client) -> int:
    with (
        CaptureQueriesContext(connections["police"]) as police,
        CaptureQueriesContext(connections["default"]) as default,
    ):
        assert client.get("/station/", {"task": "accept"}).status_code == 200
    return len(police) + len(default)


def test_the_queue_page_query_count_does_not_grow_with_the_queue(beishan):
    reviewer = staff("reviewer_beishan", "reviewer", beishan)
    clerk = client_of(staff("clerk_beishan", "window_clerk", beishan))
    counts = []
    for n in range(1, 9):
        reference = f"PA2611270000{n:04d}"
        receive(
            document("photo", reference=reference),
            document("B11", reference=reference),
            reference=reference,
        )
        permit_prereview_pass(user=reviewer, reference=reference)
        if n == 1:
            _queue_queries(clerk)  # the session's first request does its one-off writes
        if n in (1, 8):
            counts.append(_queue_queries(clerk))
    assert counts[0] == counts[1]


def test_the_queue_shows_a_page_at_a_time_with_its_tab_counts(beishan, settings):
    settings.ONETRIP_STATION_QUEUE_PAGE_SIZE = 2
    reviewer = staff("reviewer_beishan", "reviewer", beishan)
    clerk = client_of(staff("clerk_beishan", "window_clerk", beishan))
    references = [f"PA2611270000{n:04d}" for n in range(1, 4)]
    for reference in references:
        receive(
            document("photo", reference=reference),
            document("B11", reference=reference),
            reference=reference,
        )
        permit_prereview_pass(user=reviewer, reference=reference)

    first = clerk.get("/station/", {"task": "accept"}).content.decode()
    assert references[0] in first and references[1] in first and references[2] not in first
    assert re.search(r'href="\?task=accept"[^>]*>待受理 <span class="count">3</span>', first)
    assert 'href="?task=accept&amp;page=2"' in first and 'rel="prev"' not in first
    second = clerk.get("/station/", {"task": "accept", "page": "2"}).content.decode()
    assert references[2] in second and references[0] not in second
    assert 'href="?task=accept&amp;page=1"' in second and 'rel="next"' not in second
    assert AuditEvent.objects.filter(
        action="permit_case.view_personal_data", object_id="task:accept:page:2"
    ).exists()
    for page in ("0", "x", "99999999"):
        assert (
            references[0]
            in clerk.get("/station/", {"task": "accept", "page": page}).content.decode()
        )
    beyond = clerk.get("/station/", {"task": "accept", "page": "3"}).content.decode()
    assert "PA2611270000" not in beyond


def test_overdue_cases_come_first(passed, beishan):
    import datetime as dt

    clerk_user = staff("clerk_beishan", "window_clerk", beishan)
    reviewer_user = staff("reviewer2_beishan", "reviewer", beishan)
    second = "PA26112700000002"
    receive(
        document("photo", reference=second),
        document("B11", reference=second),
        reference=second,
        id_number="330106199001011238",
    )
    permit_prereview_pass(user=passed, reference=second)
    PermitCase.objects.filter(reference=REF).update(
        task="review", status="accepted", due_on=dt.date(2026, 1, 1), accepted_by=clerk_user
    )
    PermitCase.objects.filter(reference=second).update(
        task="review", status="accepted", due_on=dt.date(2099, 1, 1), accepted_by=clerk_user
    )
    page = client_of(reviewer_user).get("/station/", {"task": "review"}).content.decode()
    assert page.index(REF) < page.index(second)
    assert "已超期" in page and 'class="overdue"' in page


def test_a_photo_taken_at_the_window_over_the_form_limit_is_accepted(passed, beishan):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from onetrip.police.permits.casework import PHOTO_MAX_BYTES

    clerk = client_of(staff("clerk_beishan", "window_clerk", beishan))
    clerk.post(f"/station/{REF}/take/")
    photo = b"\xff\xd8\xff\xe0" + b"\x00" * (1536 * 1024)  # 1.5 MB: above a form's 1 MB
    assert len(photo) < PHOTO_MAX_BYTES
    _ok(
        clerk.post(
            f"/station/{REF}/accept/",
            {
                "original": ORIGINALS,
                "ethnicity": "汉族",
                "hukou_address": "浙江省温州市",
                "photo": SimpleUploadedFile("photo.jpg", photo, content_type="image/jpeg"),
            },
        )
    )
    assert PermitCase.objects.get(reference=REF).photo_stored_name

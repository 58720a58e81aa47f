"""The workbench pages of the pre-review: the queue with counts, search and the median
pre-review time; a case with its form and files side by side and the decision forms; the files
themselves, each view audited and served so that it can run nothing (WF-2, WF-6, DOC-1)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from onetrip.police.audit.models import AuditEvent
from onetrip.police.permits.models import PermitCase
from onetrip.police.permits.services import permit_prereview_pass, permit_return
from tests.fixtures import staff

from .conftest import (
    ID_NUMBER,
    PDF_BYTES,
    PHONE,
    REF,
    client_of,
    document,
    jpeg_bytes,
    receive,
    resubmit,
)

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def _reads(object_type: str = "permit_case", **filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=f"{object_type}.view_personal_data", **filters))


def _url(case: PermitCase, doc) -> str:
    return f"/permits/{case.reference}/documents/{doc.document_id}"


def test_wf6_the_queue_lists_oldest_first_with_counts_and_the_median(
    beishan, reviewer, reviewer_client
):
    now = timezone.now()
    for n, hours in enumerate((1, 5, 3)):
        reference = f"PA2611270000010{n}"
        receive(
            document("photo", reference=reference),
            reference=reference,
            submitted_at=now - dt.timedelta(hours=hours),
        )
    permit_prereview_pass(user=reviewer, reference="PA26112700000102")
    page = reviewer_client.get("/permits/").content.decode()
    assert page.index("PA26112700000101") < page.index("PA26112700000100")
    assert "PA26112700000102" not in page
    assert "张*" in page and "3301**********123X" in page and ID_NUMBER not in page
    assert '预审通过 <span class="count">1</span>' in page
    assert '派出所预审中 <span class="count">2</span>' in page
    assert "近30天预审用时中位数" in page and "3小时0分钟" in page
    [row] = _reads(object_id="queue:prelim_review")
    assert (row.actor, row.purpose) == ("reviewer_beishan", "permit_queue")
    decided = reviewer_client.get("/permits/?status=prereview_passed").content.decode()
    assert "PA26112700000102" in decided and "3小时0分钟" in decided


@pytest.mark.parametrize(
    ("query", "kind"), [(REF.lower(), "reference"), (PHONE, "phone"), (ID_NUMBER, "id_number")]
)
def test_wf6_search_finds_a_case_by_reference_phone_or_id(case, reviewer_client, query, kind):
    page = reviewer_client.get("/permits/", {"q": query}).content.decode()
    assert REF in page
    [row] = _reads(object_id=f"search:{kind}")
    assert PHONE not in str(row.detail) and ID_NUMBER not in row.purpose


def test_wf6_search_stays_within_the_station(case, other_reviewer_client):
    page = other_reviewer_client.get("/permits/", {"q": REF}).content.decode()
    assert f"/permits/{REF}/" not in page
    assert "没有找到相符的申请" in page


def test_wf6_the_header_links_the_queue_for_roles_that_use_it(case, reviewer_client, field_client):
    assert 'href="/permits/"' in reviewer_client.get("/declarations/").content.decode()
    assert 'href="/permits/"' not in field_client.get("/declarations/").content.decode()


def test_wf6_a_field_officer_may_not_open_the_queue_and_the_refusal_is_audited(case, field_client):
    assert field_client.get("/permits/").status_code == 403
    [row] = _reads(actor="field_beishan")
    assert row.success is False


def test_the_case_shows_the_form_and_files_side_by_side_with_the_decisions(
    case, reviewer_client, photo, contract
):
    page = reviewer_client.get(f"/permits/{REF}/").content.decode()
    assert 'class="permit-case"' in page
    assert "3301**********123X" in page and "138****8000" in page and ID_NUMBER not in page
    assert "杭州示例科技有限公司" in page and "合法稳定就业" in page
    assert f'<img src="{_url(case, photo)}"' in page and "data-viewer" in page
    assert 'data-action="rotate-right"' in page and "workbench/permit_viewer.js" in page
    assert f'<object class="doc-pdf" data="{_url(case, contract)}"' in page
    assert f'href="{_url(case, contract)}?download=1"' in page
    assert 'id="pass"' in page and 'id="return"' in page and 'id="reject"' in page
    assert 'value="B11"' in page and 'value="address_detail"' in page and 'value="B10"' in page
    assert 'name="item" value="A9"' not in page and 'name="item" value="kind"' not in page
    assert "B11 劳动（聘用）合同或B12" in page  # the one-time list's line, any one of them
    assert "本平台在线填写" in page
    assert 'name="revision" value="1"' in page
    [row] = _reads(object_id=REF)
    assert (row.purpose, row.success) == ("permit_prereview", True)
    assert "id_number:full" not in row.detail["fields"]
    # Showing the page decrypted no file: the files are read, and audited, when viewed.
    assert _reads("permit_document") == []


def test_wf6_reveal_shows_the_full_numbers_and_is_audited(case, reviewer_client):
    page = reviewer_client.post(f"/permits/{REF}/reveal/").content.decode()
    assert ID_NUMBER in page and PHONE in page
    [row] = _reads(object_id=REF)
    assert row.purpose == "reveal:permit_prereview"
    assert {"id_number:full", "phone:full"} <= set(row.detail["fields"])


def test_wf6_an_overseer_sees_the_case_without_the_decision_forms(case):
    admin = staff("district_xihu", "district_admin", None, district_code="330106")
    page = client_of(admin).get(f"/permits/{REF}/").content.decode()
    assert REF in page and 'id="pass"' not in page


@pytest.mark.parametrize(
    ("method", "path"), [("get", f"/permits/{REF}/"), ("post", f"/permits/{REF}/reveal/")]
)
def test_wf6_another_stations_reviewer_gets_404_and_the_refusal_is_audited(
    case, other_reviewer_client, method, path
):
    response = getattr(other_reviewer_client, method)(path)
    assert response.status_code == 404
    assert ID_NUMBER not in response.content.decode()
    [row] = _reads(object_id=REF)
    assert (row.actor, row.success) == ("reviewer_hubin", False)


@pytest.mark.parametrize("action", ["pass", "return", "reject"])
def test_wf6_another_stations_reviewer_cannot_decide_from_the_page(
    case, other_reviewer_client, action
):
    response = other_reviewer_client.post(f"/permits/{REF}/{action}/", {"reason": "不符合条件"})
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == "prelim_review"


def test_wf6_every_view_of_a_file_is_its_own_audit_row(case, reviewer_client, photo, contract):
    for doc in (photo, photo, contract):
        assert reviewer_client.get(_url(case, doc)).status_code == 200
    rows = _reads("permit_document")
    assert [r.object_id for r in rows] == [
        photo.document_id,
        photo.document_id,
        contract.document_id,
    ]
    assert rows[0].detail == {"case": REF, "item": "photo", "fields": ["content"]}
    assert all(r.actor == "reviewer_beishan" and r.success for r in rows)


def test_a_file_is_served_as_stored_with_nosniff_and_a_sandboxing_csp(beishan, reviewer_client):
    content = jpeg_bytes()
    photo = document("photo", content)
    case = receive(photo)
    response = reviewer_client.get(_url(case, photo))
    assert hashlib.sha256(response.content).hexdigest() == photo.sha256
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = response["Content-Security-Policy"]
    assert csp.startswith("sandbox;") and "default-src 'none'" in csp
    assert "frame-ancestors 'self'" in csp
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == f'inline; filename="{photo.document_id}.jpg"'


def test_a_pdf_opens_inline_or_downloads(case, reviewer_client, contract):
    shown = reviewer_client.get(_url(case, contract))
    assert shown["Content-Type"] == "application/pdf"
    assert shown.content.startswith(PDF_BYTES)
    # No `sandbox` (Chromium's PDF viewer will not render under it); nothing else is allowed.
    csp = shown["Content-Security-Policy"]
    assert "sandbox" not in csp and csp.startswith("default-src 'none'")
    assert "script-src" not in csp and "form-action 'none'" in csp
    assert shown["X-Content-Type-Options"] == "nosniff"
    saved = reviewer_client.get(_url(case, contract) + "?download=1")
    assert saved["Content-Disposition"].startswith("attachment;")


def test_wf6_another_stations_reviewer_gets_404_for_a_file_and_it_is_audited(
    case, other_reviewer_client, photo
):
    response = other_reviewer_client.get(_url(case, photo))
    assert response.status_code == 404
    assert response.content[:3] != b"\xff\xd8\xff"
    [row] = _reads("permit_document")
    assert (row.actor, row.object_id, row.success) == ("reviewer_hubin", photo.document_id, False)


def test_wf6_a_file_of_another_case_is_not_found_under_this_one(case, reviewer_client):
    other = document("photo", reference="PA26112700000009")
    receive(other, reference="PA26112700000009")
    response = reviewer_client.get(f"/permits/{REF}/documents/{other.document_id}")
    assert response.status_code == 404
    [row] = _reads("permit_document")
    assert row.success is False


def test_wf6_a_file_not_yet_listed_by_any_application_cannot_be_viewed(case, reviewer_client):
    from onetrip.police.permits.services import permit_document_receive

    stray = document("B11")
    permit_document_receive(message=stray)
    assert reviewer_client.get(f"/permits/{REF}/documents/{stray.document_id}").status_code == 404


def test_wf2_pass_from_the_page_goes_on_to_the_next_case(beishan, reviewer_client):
    for n in range(2):
        reference = f"PA2611270000020{n}"
        receive(
            document("photo", reference=reference),
            reference=reference,
            submitted_at=timezone.now() - dt.timedelta(hours=2 - n),
        )
    response = reviewer_client.post("/permits/PA26112700000200/pass/", {"revision": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/permits/PA26112700000201/"
    assert PermitCase.objects.get(reference="PA26112700000200").status == "prereview_passed"
    last = reviewer_client.post("/permits/PA26112700000201/pass/", {"revision": "1"})
    assert last["Location"] == "/permits/"


def test_nat11_return_from_the_page_sends_every_ticked_item_at_once(case, reviewer_client):
    response = reviewer_client.post(
        f"/permits/{REF}/return/",
        {
            "revision": "1",
            "item": ["photo", "B11"],
            "text_photo": "照片背景不是白色",
            "text_B11": "劳动合同缺少盖章页",
            "text_address_detail": "缺少门牌号",
            "text_name": "",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "materials_required"
    assert case.problems == [
        {"item": "photo", "text": "照片背景不是白色"},
        {"item": "B11", "text": "劳动合同缺少盖章页"},
        {"item": "address_detail", "text": "缺少门牌号"},
    ]


def test_doc1_a_notice_with_a_ticked_item_but_no_text_keeps_what_was_typed(case, reviewer_client):
    response = reviewer_client.post(
        f"/permits/{REF}/return/",
        {"revision": "1", "item": ["photo", "B11"], "text_B11": "劳动合同缺少盖章页"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "需要如何补正" in page
    assert 'value="劳动合同缺少盖章页"' in page
    assert 'value="photo" checked' in page
    case.refresh_from_db()
    assert case.status == "prelim_review"


def test_doc1_on_a_resubmission_the_checklist_offers_only_what_changed(
    case, reviewer, reviewer_client, photo
):
    permit_return(user=reviewer, reference=REF, problems=[{"item": "B11", "text": "缺盖章页"}])
    resubmit([photo], new=[document("B11")], employer_name="杭州另一家科技有限公司")
    page = reviewer_client.get(f"/permits/{REF}/").content.decode()
    assert "上次一次性告知" in page and "缺盖章页" in page
    assert 'name="revision" value="2"' in page
    assert 'value="B11"' in page and 'value="employer_name"' in page
    assert 'name="item" value="photo"' not in page and 'value="address_detail"' not in page
    assert "本版新提交" in page and "本版修改" in page
    refused = reviewer_client.post(
        f"/permits/{REF}/return/", {"revision": "2", "item": ["photo"], "text_photo": "照片模糊"}
    )
    assert refused.status_code == 400
    assert "上次预审时已可核查" in refused.content.decode()


def test_wf2_a_stale_page_cannot_decide_a_newer_revision(case, reviewer, reviewer_client, photo):
    permit_return(user=reviewer, reference=REF, problems=[{"item": "B11", "text": "缺盖章页"}])
    resubmit([photo], new=[document("B11")])
    response = reviewer_client.post(f"/permits/{REF}/pass/", {"revision": "1"}, follow=True)
    assert "请刷新页面" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "prelim_review"


def test_wf2_reject_from_the_page_joins_the_chosen_reasons_and_the_detail(case, reviewer_client):
    reason = "居住登记未满半年（自申报居住登记之日起计算）"
    response = reviewer_client.post(
        f"/permits/{REF}/reject/",
        {"revision": "1", "reasons": [reason, "not offered"], "reason": "登记日期为上月"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.reason) == ("rejected", f"{reason}；登记日期为上月")


def test_wf2_reject_without_a_reason_says_so_on_the_page(case, reviewer_client):
    response = reviewer_client.post(f"/permits/{REF}/reject/", {"revision": "1"})
    assert response.status_code == 400
    assert "请写明不予受理的原因" in response.content.decode()


def test_wf7_the_case_shows_its_prereview_time_and_history(case, reviewer, reviewer_client):
    permit_prereview_pass(user=reviewer, reference=REF)
    page = reviewer_client.get(f"/permits/{REF}/").content.decode()
    assert "预审用时 2小时0分钟" in page
    assert 'id="pass"' not in page
    assert "网上申办平台" in page and "reviewer_beishan" in page

"""The resident's permit pages (WF-2, DOC-1…DOC-4, HZ-7, PI-2), mobile-first and without
JavaScript: home, start, the form, uploads with each item's status and the specific reason for a
refused file, the summary with consent, the acknowledgement with the reference as a QR code,
progress in plain words, the fix page after a one-time notice, the application's list and its
PDF, the resident's own files; and another resident gets 404 on every one of them."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from onetrip.contracts.permits import (
    APPLICATION_STATUS_EXPLANATIONS,
    PermitProofsCheckedV1,
    ProofCheckV1,
)
from onetrip.portal.accounts.auth import SESSION_KEY
from onetrip.portal.permits.applications import (
    permit_application_apply_status,
    permit_application_submit,
)
from onetrip.portal.permits.models import PermitApplication, PermitDocument
from onetrip.portal.permits.proofs import permit_application_apply_proof_checks

from .permit_helpers import (
    FORM,
    PDF,
    RENTED,
    bad_uploads,
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
def stranger_client(db):
    """Another signed-in resident."""
    from onetrip.portal.accounts.models import Resident
    from onetrip.portal.accounts.services import phone_hash_of

    other = Resident.objects.create(phone="13900139000", phone_hash=phone_hash_of("13900139000"))
    client = Client(HTTP_HOST="portal.testserver")
    session = client.session
    session[SESSION_KEY] = str(other.pk)
    session.save()
    return client


def _file(content: bytes, name: str = "f.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "application/octet-stream")


def _url(application: PermitApplication, page: str = "") -> str:
    return f"/permit/applications/{application.reference}/{page}"


def test_wf2_a_whole_application_through_the_pages(resident, resident_client):
    known_to_the_register(resident)
    home = resident_client.get("/permit/")
    assert home.status_code == 200
    assert "连续居住登记 8 个月" in home.content.decode()
    assert "已满足居住时间条件" in home.content.decode()

    response = resident_client.post("/permit/apply/", {"kind": "first"})
    reference = re.search(r"/permit/applications/(PA\d{14})/edit/", response["Location"])[1]
    application = PermitApplication.objects.get(reference=reference)
    form = resident_client.get(_url(application, "edit/")).content.decode()
    assert 'value="张三"' in form  # from the declaration
    assert "<script" not in form

    posted = {**RENTED, "district": "330106", "street": "330106002", "next": "1"}
    response = resident_client.post(_url(application, "edit/"), posted)
    assert response.status_code == 302 and response["Location"] == _url(application, "documents/")

    page = resident_client.get(_url(application, "documents/")).content.decode()
    for key in ("photo", "C23", "C24"):
        line = page.split(f'data-line="{key}"')[1].split("</li>")[0]
        assert 'data-state="missing"' in line and 'enctype="multipart/form-data"' in line
    fetched = page.split('data-line="C25"')[1].split("</li>")[0]
    assert 'data-state="fetched"' in fetched

    for key, content in (("photo", jpeg()), ("C23", PDF), ("C24", jpeg(size=(800, 600)))):
        response = resident_client.post(
            _url(application, "documents/"), {"line": key, "item": key, "file": _file(content)}
        )
        assert response.status_code == 302, response.content.decode()
    page = resident_client.get(_url(application, "documents/")).content.decode()
    assert page.count('data-state="provided"') == 3

    summary = resident_client.get(_url(application, "summary/")).content.decode()
    assert 'id="problems"' not in summary
    assert "个人信息收集使用说明" in summary and 'name="consent"' in summary
    refused = resident_client.post(_url(application, "summary/"), {})
    assert refused.status_code == 400
    assert 'id="consent-error"' in refused.content.decode()

    response = resident_client.post(_url(application, "summary/"), {"consent": "1"})
    assert response["Location"] == _url(application, "submitted/")
    ack = resident_client.get(_url(application, "submitted/")).content.decode()
    assert reference in ack and "<svg" in ack and f"申请编号二维码：{reference}" in ack

    progress = resident_client.get(_url(application)).content.decode()
    assert 'data-status="submitted"' in progress
    assert str(APPLICATION_STATUS_EXPLANATIONS["submitted"]) in progress
    home = resident_client.get("/permit/").content.decode()
    assert f'data-reference="{reference}"' in home


def test_the_upload_page_says_every_line_marked_required_is_needed(resident, resident_client):
    """Renting, the lease and the pledge must be uploaded as well as the photo: the page's
    words say so, as the submit does, instead of calling the photo the only upload."""
    application = draft(resident, form=RENTED, photo=False)
    html = resident_client.get(_url(application, "documents/")).content.decode()
    assert html.count('data-state="missing"') == 3
    assert "唯一必须上传" not in html
    assert "标注“必须上传”的材料，提交前都要上传" in html


def test_doc1_a_field_error_is_shown_beside_its_field(resident, resident_client):
    application = draft(resident, photo=False)
    response = resident_client.post(
        _url(application, "edit/"), {**FORM, "phone": "1234", "postal_address": "路\x00"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="phone-error"' in html and "请输入11位中国大陆手机号码" in html
    assert 'id="postal_address-error"' in html
    assert 'data-code="phone_format"' in html


@pytest.mark.parametrize(
    ("case", "item", "file_name", "content", "code"),
    [case for case in bad_uploads() if case[0] != "30_mb_file"],
    ids=[case[0] for case in bad_uploads() if case[0] != "30_mb_file"],
)
def test_doc4_a_refused_file_gets_its_reason_on_the_page_and_leaves_nothing(
    resident, resident_client, files_dir, case, item, file_name, content, code
):
    application = draft(resident, form=RENTED, photo=False)
    response = resident_client.post(
        _url(application, "documents/"),
        {"line": item, "item": item, "file": _file(content, file_name)},
    )
    assert response.status_code == 400
    html = response.content.decode()
    line = html.split(f'data-line="{item}"')[1].split("</li>")[0]
    assert f'data-code="{code}"' in line
    assert not PermitDocument.objects.exists()
    assert stored_files(files_dir) == []


def test_doc4_a_30_mb_file_is_refused_and_leaves_nothing(
    resident, resident_client, files_dir, settings
):
    """The request-limits middleware answers first (413), before anything is read."""
    application = draft(resident, form=RENTED, photo=False)
    big = b"%PDF-" + b"\x00" * (30 * 1024 * 1024)
    response = resident_client.post(
        _url(application, "documents/"), {"line": "C23", "item": "C23", "file": _file(big)}
    )
    assert response.status_code == 413
    assert "请求内容过大，上限为10 MB" in response.content.decode()
    settings.ONETRIP_MAX_UPLOAD_BYTES = 40 * 1024 * 1024  # a deployment with a larger limit
    response = resident_client.post(
        _url(application, "documents/"), {"line": "C23", "item": "C23", "file": _file(big)}
    )
    assert response.status_code == 400
    assert "证明材料文件过大：上限10 MB，此文件30.0 MB" in response.content.decode()
    assert not PermitDocument.objects.exists()
    assert stored_files(files_dir) == []


def test_no_file_chosen_is_said_plainly(resident, resident_client):
    application = draft(resident, photo=False)
    response = resident_client.post(_url(application, "documents/"), {"line": "photo"})
    assert response.status_code == 400
    assert "请选择要上传的文件" in response.content.decode()


def test_summary_lists_everything_still_missing(resident, resident_client):
    application = draft(resident, form=RENTED, photo=False)
    html = resident_client.get(_url(application, "summary/")).content.decode()
    problems = html.split('id="problems"')[1].split("</div>")[0]
    for field in ("photo", "C23", "C24", "eligibility"):
        assert f'data-field="{field}"' in problems


def test_the_resident_sees_their_own_file_safely(resident, resident_client):
    application = draft(resident, form=RENTED)
    photo = application.documents.get(item="photo")
    lease = upload(resident, application, "C23", PDF, "租赁合同.pdf")
    response = resident_client.get(_url(application, f"documents/{photo.document_id}/"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "sandbox" in response["Content-Security-Policy"]
    assert response.content.startswith(b"\xff\xd8")
    response = resident_client.get(_url(application, f"documents/{lease.document_id}/"))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert "filename*=utf-8''%E7%A7%9F" in response["Content-Disposition"]
    assert response.content == PDF


def test_wf2_progress_explains_the_state_and_shows_the_whole_history(resident, resident_client):
    known_to_the_register(resident)
    application = draft(resident)
    application = permit_application_submit(
        resident=resident, reference=application.reference, consent=True
    )
    permit_application_apply_status(
        message=status(application, "accepted", receipt_number="HZ2026120100001")
    )
    html = resident_client.get(_url(application)).content.decode()
    assert 'data-status="accepted"' in html
    assert str(APPLICATION_STATUS_EXPLANATIONS["accepted"]) in html
    assert "HZ2026120100001" in html and "北山派出所" in html
    history = html.split('id="history"')[1].split("</ol>")[0]
    assert re.findall(r'data-status="(\w+)"', history) == ["draft", "submitted", "accepted"]


def test_doc1_the_fix_page_shows_and_takes_exactly_the_listed_items(resident, resident_client):
    known_to_the_register(resident)
    application = draft(resident, form=RENTED)
    upload(resident, application, "C23", PDF)
    upload(resident, application, "C24", PDF)
    application = permit_application_submit(
        resident=resident, reference=application.reference, consent=True
    )
    permit_application_apply_status(
        message=status(
            application,
            "materials_required",
            problems=[("C23", "租赁合同缺少签字页"), ("postal_address", "请填写邮寄地址")],
        )
    )
    progress = resident_client.get(_url(application)).content.decode()
    assert "房屋租赁合同" in progress and "租赁合同缺少签字页" in progress
    assert resident_client.get(_url(application, "edit/"))["Location"] == _url(application, "fix/")

    page = resident_client.get(_url(application, "fix/")).content.decode()
    assert 'name="postal_address"' in page and 'name="delivery"' not in page
    assert 'name="name"' not in page and 'name="address_detail"' not in page
    assert 'data-line="C23"' in page and 'data-line="photo"' not in page

    refused = resident_client.post(
        _url(application, "fix/"), {"upload": "1", "line": "photo", "file": _file(jpeg())}
    )
    assert refused.status_code == 400
    assert 'data-code="item_not_listed"' in refused.content.decode()
    sneaked = resident_client.post(
        _url(application, "fix/"), {"resubmit": "1", "postal_address": "西湖区曙光路 12 号"}
    )
    assert sneaked.status_code == 400
    assert 'data-code="document_not_replaced"' in sneaked.content.decode()
    # Every link of the error summary leads to something on the page.
    html = sneaked.content.decode()
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    targets = re.findall(r'href="#([^"]+)"', summary)
    assert targets and all(f'id="{target}"' in html for target in targets)

    resident_client.post(
        _url(application, "fix/"), {"upload": "1", "line": "C23", "item": "C23", "file": _file(PDF)}
    )
    response = resident_client.post(
        _url(application, "fix/"), {"resubmit": "1", "postal_address": "西湖区曙光路 12 号"}
    )
    assert response["Location"] == _url(application)
    application.refresh_from_db()
    assert (application.status, application.revision) == ("submitted", 2)
    assert application.postal_address == "西湖区曙光路 12 号"


def test_doc1_a_fetched_item_the_notice_asks_for_must_be_uploaded(resident, resident_client):
    """The station could not fetch the lease's registration (C25) and asks for it: the fix page
    says it must be uploaded, not that the system fetches it."""
    known_to_the_register(resident)
    application = draft(resident, form=RENTED)
    upload(resident, application, "C23", PDF)
    upload(resident, application, "C24", PDF)
    application = permit_application_submit(
        resident=resident, reference=application.reference, consent=True
    )
    permit_application_apply_status(
        message=status(application, "materials_required", problems=[("C25", "未查到备案信息")])
    )
    page = resident_client.get(_url(application, "fix/")).content.decode()
    line = page.split('data-line="C25"')[1].split("</li>")[0]
    assert 'data-state="missing"' in line and 'data-state="fetched"' not in line


def test_hz7_a_verified_item_the_notice_asks_for_shows_its_new_file(resident, resident_client):
    """The housing data verified the lease's registration (C25), so it left her list; the
    station asks for it anyway: on the fix page the file she uploads is shown as uploaded."""
    known_to_the_register(resident)
    application = draft(resident, form=RENTED)
    upload(resident, application, "C23", PDF)
    upload(resident, application, "C24", PDF)
    application = permit_application_submit(
        resident=resident, reference=application.reference, consent=True
    )
    permit_application_apply_proof_checks(
        message=PermitProofsCheckedV1(
            reference=application.reference,
            revision=application.revision,
            checks=[
                ProofCheckV1(requirement="C25", proof_id="C25", source="housing", status="verified")
            ],
            checked_at=timezone.now(),
        )
    )
    permit_application_apply_status(
        message=status(application, "materials_required", problems=[("C25", "未查到备案信息")])
    )
    page = resident_client.get(_url(application, "fix/")).content.decode()
    line = page.split('data-line="C25"')[1].split("</li>")[0]
    assert 'data-state="missing"' in line

    response = resident_client.post(
        _url(application, "fix/"),
        {"upload": "1", "line": "C25", "item": "C25", "file": _file(PDF, "registration.pdf")},
    )
    assert response["Location"] == _url(application, "fix/")
    page = resident_client.get(_url(application, "fix/")).content.decode()
    assert page.count("data-line=") == 1
    line = page.split('data-line="C25"')[1].split("</li>")[0]
    assert 'data-state="provided"' in line and "registration.pdf" in line
    assert 'data-state="missing"' not in line


def test_doc1_the_applications_materials_list_and_its_pdf(resident, resident_client):
    application = draft(resident, form=RENTED)
    html = resident_client.get(_url(application, "materials/")).content.decode()
    photo = html.split('data-line="photo"')[1].split("</li>\n")[0]
    assert 'data-state="provided"' in photo
    lease = html.split('data-line="C23"')[1].split("</li>\n")[0]
    assert 'data-state="missing"' in lease and "permits/samples/C23.svg" in lease
    response = resident_client.get(_url(application, "materials.pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_every_page_of_an_application_is_not_found_for_another_resident(
    resident, resident_client, stranger_client
):
    """An access walk: another resident gets 404 on every page, file and PDF, for reading and
    for writing, and the application is unchanged."""
    known_to_the_register(resident)
    application = draft(resident, form=RENTED)
    document = upload(resident, application, "C23", PDF)
    pages = [
        "",
        "edit/",
        "documents/",
        f"documents/{document.document_id}/",
        "summary/",
        "submitted/",
        "fix/",
        "materials/",
        "materials.pdf",
    ]
    for page in pages:
        assert stranger_client.get(_url(application, page)).status_code == 404, page
    for page, data in (
        ("edit/", {**FORM, "name": "李四"}),
        ("documents/", {"line": "photo", "item": "photo", "file": _file(jpeg())}),
        ("summary/", {"consent": "1"}),
        ("fix/", {"resubmit": "1"}),
    ):
        assert stranger_client.post(_url(application, page), data).status_code == 404, page
    application.refresh_from_db()
    assert (application.status, application.name) == ("draft", "张三")
    assert application.documents.count() == 2
    # The owner's own pages answer.
    for page in pages:
        assert resident_client.get(_url(application, page)).status_code in (200, 302), page


def test_pages_need_a_signed_in_resident(client, resident):
    application = draft(resident)
    client.defaults["HTTP_HOST"] = "portal.testserver"
    response = client.get(_url(application))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_wf2_a_passed_pre_review_leads_on_to_booking_the_visit(resident, resident_client):
    known_to_the_register(resident)
    application = draft(resident)
    application = permit_application_submit(
        resident=resident, reference=application.reference, consent=True
    )
    before = resident_client.get(_url(application)).content.decode()
    assert 'id="book"' not in before
    permit_application_apply_status(message=status(application, "prereview_passed"))
    html = resident_client.get(_url(application)).content.decode()
    assert 'id="book"' in html and 'href="/booking/"' in html

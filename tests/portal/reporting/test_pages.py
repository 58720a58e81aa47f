"""The organisation's pages: sign-up, the dashboard, the template, upload with the progress page,
the error report, members and tokens; a stranger gets "not found" everywhere."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from onetrip.portal.accounts.auth import SESSION_KEY
from onetrip.portal.accounts.models import Resident
from onetrip.portal.accounts.services import phone_hash_of
from onetrip.portal.reporting.models import (
    ApiToken,
    Organisation,
    OrganisationMember,
    ReportImport,
)
from tests.fixtures import BEISHAN_COMMUNITY

from .helpers import CREDIT_CODE, approve, signed_up

pytestmark = pytest.mark.django_db(databases=["default", "police"])

CSV = (
    "事件,姓名,公民身份号码,手机号码,日期,社区,详细地址,房屋编号\n"
    f"入职,张三,33010619900101123X,13800138000,2026-11-20,{BEISHAN_COMMUNITY},曙光路12号201室,\n"
    f"入职,赵六,110105194912310021,,2026-11-22,{BEISHAN_COMMUNITY},曙光路12号204室,\n"
).encode()


@pytest.fixture(autouse=True)
def fixed_today():
    import time_machine

    with time_machine.travel("2026-11-25 10:00:00+08:00", tick=True):
        yield


@pytest.fixture
def organisation(resident):
    return approve(signed_up(resident))


def client_for(resident: Resident) -> Client:
    client = Client(HTTP_HOST="portal.testserver")
    session = client.session
    session[SESSION_KEY] = str(resident.pk)
    session.save()
    return client


def test_signing_up_on_the_page_waits_for_the_district(resident_client):
    response = resident_client.post(
        "/org/signup/",
        {
            "credit_code": CREDIT_CODE,
            "name": "杭州示例科技有限公司",
            "kind": "employer",
            "district_code": "330106",
            "address": "西湖区文三路 1 号",
            "contact_name": "王芳",
        },
    )
    assert response.status_code == 302
    page = resident_client.get(response["Location"]).content.decode()
    assert "待审核" in page
    assert 'id="upload"' not in page


def test_a_bad_credit_code_on_the_page_says_why_and_signs_nothing_up(resident_client):
    response = resident_client.post(
        "/org/signup/",
        {
            "credit_code": "91330106MA27WQ3L3A",
            "name": "杭州示例科技有限公司",
            "kind": "employer",
            "district_code": "330106",
            "address": "西湖区文三路 1 号",
            "contact_name": "王芳",
        },
    )
    assert response.status_code == 400
    assert "统一社会信用代码" in response.content.decode()
    assert not Organisation.objects.exists()


def test_the_template_downloads_as_a_workbook(resident_client, organisation):
    response = resident_client.get(f"/org/{organisation.credit_code}/template.xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert "人员" in workbook.sheetnames


def test_upload_shows_progress_counts_and_the_error_report(
    resident_client, organisation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = resident_client.post(
            f"/org/{organisation.credit_code}/upload/",
            {"file": SimpleUploadedFile("people.csv", CSV, content_type="text/csv")},
        )
    assert response.status_code == 302
    report_import = ReportImport.objects.get()
    from onetrip.portal.reporting.services import import_run

    import_run(reference=report_import.reference)
    page = resident_client.get(response["Location"]).content.decode()
    assert 'id="bar"' in page
    assert 'id="rows-valid">1<' in page
    assert 'id="rows-rejected">1<' in page
    assert "公民身份号码" in page
    dashboard = resident_client.get(f"/org/{organisation.credit_code}/").content.decode()
    assert "在职 1 人" in dashboard and "张*" in dashboard
    assert "33010619900101123X" not in dashboard
    status = resident_client.get(
        f"/org/{organisation.credit_code}/imports/{report_import.reference}/status.json"
    ).json()
    assert status["rows_valid"] == 1
    report = resident_client.get(
        f"/org/{organisation.credit_code}/imports/{report_import.reference}/errors.xlsx"
    )
    assert report.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(report.streaming_content)))
    text = " ".join(
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )
    assert "赵六" in text and "张三" not in text


def test_uploading_the_same_file_again_says_so_and_changes_nothing(resident_client, organisation):
    url = f"/org/{organisation.credit_code}/upload/"
    resident_client.post(url, {"file": SimpleUploadedFile("people.csv", CSV)})
    response = resident_client.post(
        url, {"file": SimpleUploadedFile("again.csv", CSV)}, follow=True
    )
    assert "已经上传过" in response.content.decode()
    assert ReportImport.objects.count() == 1


def test_a_file_of_another_type_is_refused_on_the_page(resident_client, organisation):
    response = resident_client.post(
        f"/org/{organisation.credit_code}/upload/",
        {"file": SimpleUploadedFile("people.pdf", b"%PDF-1.4")},
        follow=True,
    )
    assert ".xlsx" in response.content.decode()
    assert not ReportImport.objects.exists()


def test_a_stranger_finds_nothing_under_the_organisation(organisation):
    stranger = Resident.objects.create(phone="13600136000", phone_hash=phone_hash_of("13600136000"))
    client = client_for(stranger)
    for path in ("", "template.xlsx", "imports/RI26112500000001/"):
        assert client.get(f"/org/{organisation.credit_code}/{path}").status_code == 404
    response = client.post(
        f"/org/{organisation.credit_code}/upload/",
        {"file": SimpleUploadedFile("people.csv", CSV)},
    )
    assert response.status_code == 404
    assert not ReportImport.objects.exists()


def test_the_admin_adds_a_clerk_who_then_sees_the_organisation(resident_client, organisation):
    resident_client.post(
        f"/org/{organisation.credit_code}/members/",
        {"name": "李娜", "phone": "13900139000", "role": "clerk"},
    )
    clerk = Resident.objects.create(phone="13900139000", phone_hash=phone_hash_of("13900139000"))
    page = client_for(clerk).get("/org/").content.decode()
    assert organisation.name in page
    dashboard = client_for(clerk).get(f"/org/{organisation.credit_code}/").content.decode()
    assert 'id="tokens"' not in dashboard
    assert OrganisationMember.objects.filter(removed_at__isnull=True).count() == 2


def test_a_new_token_is_shown_once(resident_client, organisation):
    resident_client.post(
        f"/org/{organisation.credit_code}/tokens/",
        {"name": "HR", "scopes": ["reports:write", "reports:read"], "days": "30"},
    )
    first = resident_client.get(f"/org/{organisation.credit_code}/").content.decode()
    second = resident_client.get(f"/org/{organisation.credit_code}/").content.decode()
    token = ApiToken.objects.get()
    assert f"otr_{token.prefix}_" in first
    assert 'id="new-token"' in first and 'id="new-token"' not in second


def test_a_file_larger_than_other_uploads_is_taken_and_a_file_over_the_limit_refused(
    resident_client, organisation, settings
):
    """The request limit of an organisation's upload is its file limit, not the 1 MB of other
    bodies: a 3 MB file goes through; one over ONETRIP_REPORT_MAX_BYTES is answered 413."""
    filler = "".join(
        f"入职,张三,33010619900101123X,,2026-11-20,{BEISHAN_COMMUNITY},曙光路{n}号,\n"
        for n in range(50_000)
    ).encode()
    big = CSV + filler
    assert len(big) > 3 * 1024 * 1024
    url = f"/org/{organisation.credit_code}/upload/"
    response = resident_client.post(url, {"file": SimpleUploadedFile("big.csv", big)})
    assert response.status_code == 302
    assert ReportImport.objects.count() == 1
    settings.ONETRIP_REPORT_MAX_BYTES = 1024 * 1024
    response = resident_client.post(url, {"file": SimpleUploadedFile("big2.csv", big + b"\n")})
    assert response.status_code == 413
    assert ReportImport.objects.count() == 1

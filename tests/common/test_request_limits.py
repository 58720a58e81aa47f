"""Bodies too large answer 413 and API bodies that are not JSON answer 415, with the documented
error body on the APIs and plain words on pages, before any view reads them (no 5xx)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db(databases=["default", "police"])


@pytest.mark.parametrize("host", ["portal.testserver", "police.testserver"])
def test_a_body_over_the_limit_is_refused_with_413(client, settings, host):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"phone": "1" * 5000})
    response = client.post(
        "/api/v1/auth/sms-code", body, content_type="application/json", HTTP_HOST=host
    )
    assert response.status_code == 413
    data = response.json()
    assert data["code"] == "body_too_large"
    assert "上限为1 KB" in data["message"]


def test_a_ten_megabyte_json_body_is_refused_with_413(client):
    body = json.dumps({"phone": "1" * (10 * 1024 * 1024)})
    response = client.post(
        "/api/v1/auth/sms-code",
        body,
        content_type="application/json",
        HTTP_HOST="portal.testserver",
    )
    assert response.status_code == 413


def test_a_large_form_post_to_a_page_gets_plain_words(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client.post("/login/", {"phone": "1" * 5000}, HTTP_HOST="portal.testserver")
    assert response.status_code == 413
    assert "请求内容过大" in response.content.decode()


def test_multipart_to_the_workbench_api_is_refused_with_415(clerk_client):
    response = clerk_client.post(
        "/api/v1/declarations/JZ26112700000001/return", {"reason": "地址不全，请补充"}
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_json_to_the_api_still_works(client, sms_simulator):
    response = client.post(
        "/api/v1/auth/sms-code",
        {"phone": "13800138000"},
        content_type="application/json",
        HTTP_HOST="portal.testserver",
    )
    assert response.status_code == 202


def test_an_upload_path_takes_a_file_over_the_body_limit_but_not_over_its_own(client, settings):
    """DOC-4: a proof of several MB reaches the upload view; a 30 MB file is refused before any
    view reads it, with the limit in plain words."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    path = "/api/v1/permit/applications/PA26120100000001/documents"
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    settings.ONETRIP_MAX_UPLOAD_BYTES = 4 * 1024 * 1024
    small = SimpleUploadedFile("p.pdf", b"%PDF-" + b"0" * (2 * 1024 * 1024))
    answer = client.post(path, {"item": "C23", "file": small}, HTTP_HOST="portal.testserver")
    assert answer.status_code == 401  # the view ran: it asks for the resident's token
    large = SimpleUploadedFile("p.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024))
    answer = client.post(path, {"item": "C23", "file": large}, HTTP_HOST="portal.testserver")
    assert answer.status_code == 413
    assert answer.json()["code"] == "body_too_large"
    assert "上限为4 MB" in answer.json()["message"]
    page = client.post(
        "/permit/applications/PA26120100000001/documents/",
        {"item": "C23", "file": SimpleUploadedFile("p.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024))},
        HTTP_HOST="portal.testserver",
    )
    assert page.status_code == 413
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert "请求内容过大，上限为4 MB" in html and "请换一个较小的文件" in html

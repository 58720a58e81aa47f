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

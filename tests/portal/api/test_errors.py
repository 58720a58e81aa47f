"""Every error of the channel API answers the one documented body, from one handler: 401, 404,
422 and 429 included, with `Retry-After` on 429."""

from __future__ import annotations

import pytest

from onetrip.portal.api.auth import token_for

pytestmark = pytest.mark.django_db(databases=["default", "police"])

BODY_KEYS = {"code", "message", "message_en", "errors"}


def _get(client, path, **kwargs):
    return client.get(path, HTTP_HOST="portal.testserver", **kwargs)


def test_401_without_a_token_has_the_error_body(client):
    response = client.post(
        "/api/v1/declarations", {}, content_type="application/json", HTTP_HOST="portal.testserver"
    )
    assert response.status_code == 401
    body = response.json()
    assert set(body) >= BODY_KEYS
    assert (body["code"], body["message"]) == ("unauthorized", "请先登录")


def test_404_of_another_residents_reference_has_the_error_body(client, resident):
    response = _get(
        client,
        "/api/v1/declarations/JZ00000000000000",
        HTTP_AUTHORIZATION=f"Bearer {token_for(resident)}",
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_422_for_a_body_of_the_wrong_shape_has_the_error_body(client):
    response = client.post(
        "/api/v1/auth/sms-code",
        {"telephone": "13800138000"},
        content_type="application/json",
        HTTP_HOST="portal.testserver",
    )
    assert response.status_code == 422
    body = response.json()
    assert set(body) >= BODY_KEYS
    assert body["code"] == "invalid_request"
    assert [e["field"] for e in body["errors"]] == ["phone"]


def test_429_on_progress_says_when_to_come_back(client, settings):
    settings.ONETRIP_PROGRESS_LOOKUPS_PER_MINUTE = 2
    answers = [
        _get(client, "/api/v1/progress", data={"reference": "JZ1", "id_last6": "123456"})
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [404, 404, 429]
    body = answers[-1].json()
    assert body["code"] == "rate_limited"
    assert 1 <= int(answers[-1]["Retry-After"]) <= 60
    assert body["retry_after"] == int(answers[-1]["Retry-After"])
    assert f"{body['retry_after']}秒后再试" in body["message"]


def test_429_on_a_second_code_within_a_minute(client, sms_simulator):
    first = client.post(
        "/api/v1/auth/sms-code",
        {"phone": "13800138000"},
        content_type="application/json",
        HTTP_HOST="portal.testserver",
    )
    assert first.status_code == 202
    again = client.post(
        "/api/v1/auth/sms-code",
        {"phone": "13800138000"},
        content_type="application/json",
        HTTP_HOST="portal.testserver",
    )
    assert again.status_code == 429
    assert again.json()["code"] == "code_throttled"
    assert 1 <= int(again["Retry-After"]) <= 60


@pytest.mark.parametrize("api_path", ["/api/v1/openapi.json"])
def test_every_error_response_is_documented_with_the_error_body(client, api_path):
    schema = _get(client, api_path).json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) < 400:
                    continue
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorOut"), (method, path, status)

"""The channel API for declarations: the page's rules, structured errors, nothing stored on
bad input (DOMAIN ID-2, ID-3, ID-5, ID-13, ZJ-4)."""

from __future__ import annotations

import pytest

from onetrip.ferry.registry import get_store
from onetrip.portal.declarations.models import Declaration
from tests.fixtures import valid_declaration
from tests.portal.declarations.test_declaration_check import BAD_INPUTS, nothing_stored

pytestmark = pytest.mark.django_db(databases=["default", "police"])


@pytest.mark.parametrize(("rule", "overrides", "field", "code", "words"), BAD_INPUTS)
def test_bad_input_in_the_api_gets_a_structured_400_and_stores_nothing(
    resident, client, rule, overrides, field, code, words
):
    from onetrip.portal.api.auth import token_for

    body = {
        k: v for k, v in valid_declaration(**overrides).items() if k not in ("district", "street")
    }
    response = client.post(
        "/api/v1/declarations",
        body,
        content_type="application/json",
        HTTP_HOST="portal.testserver",
        HTTP_AUTHORIZATION=f"Bearer {token_for(resident)}",
    )
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid_declaration"
    errors = {e["field"]: e for e in data["errors"]}
    assert errors[field]["code"] == code
    assert words in errors[field]["message"]
    assert errors[field]["message_en"]
    nothing_stored()


def test_valid_declaration_through_the_api_is_stored_with_one_ferry_message(resident, client):
    from onetrip.portal.api.auth import token_for

    body = {k: v for k, v in valid_declaration().items() if k not in ("district", "street")}
    response = client.post(
        "/api/v1/declarations",
        body,
        content_type="application/json",
        HTTP_HOST="portal.testserver",
        HTTP_AUTHORIZATION=f"Bearer {token_for(resident)}",
    )
    assert response.status_code == 201, response.content
    reference = response.json()["reference"]
    declaration = Declaration.objects.get(reference=reference)
    assert declaration.channel == "api"
    outbox = get_store("portal").outbox.objects.get()
    assert outbox.message_type == "declaration.submitted"
    assert outbox.correlation_id == reference


def test_api_without_token_is_refused(client):
    response = client.post(
        "/api/v1/declarations", {}, content_type="application/json", HTTP_HOST="portal.testserver"
    )
    assert response.status_code == 401


def test_openapi_schema_is_published(client):
    response = client.get("/api/v1/openapi.json", HTTP_HOST="portal.testserver")
    assert response.status_code == 200
    assert "/api/v1/declarations" in response.json()["paths"]

"""The channel API answers as its own OpenAPI document says, and the document says what an
integrator needs.

schemathesis generates requests from `/api/v1/openapi.json` (valid and invalid, with the
document's examples) and sends them to the WSGI app in-process, signed in with a resident's
bearer token; every answer must be no server error, a documented status code with the
documented body, headers and content type."""

from __future__ import annotations

import copy
from dataclasses import MISSING, fields
from typing import Any, get_args

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from onetrip.contracts.declarations import (
    HOUSING_TYPE_LABELS,
    RESIDENCE_REASON_LABELS,
    DeclarationSubmittedV1,
)
from onetrip.portal.api.auth import token_for
from onetrip.portal.declarations.models import Declaration, DeclarationStatus
from onetrip.portal.declarations.services import (
    GUARDIAN_RELATIONS,
    DeclarationInput,
    declaration_submit,
)
from tests.api_document import (
    connections_kept_open,
    document_problems,
    enum_of,
    foreign_urls,
    string_branch,
)
from tests.fixtures import valid_declaration

pytestmark = [
    pytest.mark.django_db(databases=["default", "police"]),
    pytest.mark.usefixtures(connections_kept_open.__name__),
]

HOST = "portal.testserver"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    response_headers_conformance,
    content_type_conformance,
]
# Enough to reach every branch of a small API, few enough for two cores.
EXAMPLES_PER_OPERATION = 40

schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", get_wsgi_application(), headers={"Host": HOST}
)


@pytest.fixture
def declared(resident):
    """One declaration of the signed-in resident, so the lists and look-ups have a real row."""
    data = valid_declaration(address_detail="曙光路 8 号 1 幢 101 室")  # not the document's example
    fields = {k: v for k, v in data.items() if k not in ("district", "street")}
    return declaration_submit(resident=resident, data=DeclarationInput(**fields), channel="api")


@pytest.fixture
def auth_headers(resident, declared, sms_simulator):
    return {"Host": HOST, "Authorization": f"Bearer {token_for(resident)}"}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_as_documented(case, auth_headers):
    case.call_and_validate(headers=auth_headers, checks=CHECKS)


def test_a_real_declaration_answers_as_documented(auth_headers, declared):
    """The generated references find nothing; these are the answers with a row behind them."""
    reference = declared.reference
    for path, parameters in (
        ("/api/v1/declarations/{reference}", {"path_parameters": {"reference": reference}}),
        (
            "/api/v1/progress",
            {"query": {"reference": reference, "id_last6": declared.id_number[-6:]}},
        ),
    ):
        case = schema[path]["GET"].Case(**parameters)
        response = case.call_and_validate(headers=auth_headers, checks=CHECKS)
        assert response.status_code == 200
        assert response.json()["reference"] == reference


def test_a_real_permit_application_answers_as_documented(auth_headers, resident):
    """The generated references find nothing; these are a draft's answers, the PDF too."""
    from onetrip.portal.permits.applications import permit_application_start

    reference = permit_application_start(resident=resident, kind="first").reference
    one = "/api/v1/permit/applications/{reference}"
    for path, method, body, expected in (
        (one, "GET", None, 200),
        (one, "PATCH", {"route": "residence", "housing": "owned", "delivery": "pickup"}, 200),
        (one + "/materials", "GET", None, 200),
        (one + "/materials.pdf", "GET", None, 200),
        (one + "/submit", "POST", {"consent": True}, 400),
        (one + "/resubmit", "POST", {}, 409),
    ):
        parameters: dict[str, Any] = {"path_parameters": {"reference": reference}}
        if body is not None:
            parameters["body"] = body
        case = schema[path][method].Case(**parameters)
        response = case.call_and_validate(headers=auth_headers, checks=CHECKS)
        assert response.status_code == expected, (path, method, response.content[:300])
    listed = schema["/api/v1/permit/applications"]["GET"].Case()
    assert listed.call_and_validate(headers=auth_headers, checks=CHECKS).json()[0]["reference"] == (
        reference
    )


def test_null_for_every_optional_field_means_not_given(auth_headers):
    required = {f.name for f in fields(DeclarationInput) if f.default is MISSING}
    body = {k: v for k, v in valid_declaration().items() if k in required}
    body |= {f.name: None for f in fields(DeclarationInput) if f.name not in required}
    body["housing_type"] = "owned"  # rented needs the landlord's name
    case = schema["/api/v1/declarations"]["POST"].Case(body=body)
    response = case.call_and_validate(headers=auth_headers, checks=CHECKS)
    assert response.status_code == 201, response.json()
    stored = Declaration.objects.get(reference=response.json()["reference"])
    assert (stored.sex, stored.landlord_phone, stored.guardian_relation) == ("M", "", "")


# Media that are not JSON: the permit upload takes multipart/form-data and the materials list
# answers a PDF. `document_problems` reads bodies and answers as JSON.
NON_JSON_MEDIA = ("multipart/form-data", "application/pdf")


def _non_json_media_checked(document: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Check that every non-JSON body and answer has its example, then show each to
    `document_problems` under the JSON key so that it checks the rest as for any other."""
    document = copy.deepcopy(document)
    problems: list[str] = []
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            for holder in [op.get("requestBody", {}), *op["responses"].values()]:
                content = holder.get("content", {})
                for media_type in NON_JSON_MEDIA:
                    if media_type in content:
                        media = content.pop(media_type)
                        if "example" not in media:
                            problems.append(f"{method.upper()} {path}: {media_type} no example")
                        content.setdefault("application/json", media)
    return document, problems


def test_the_document_describes_every_operation_field_and_error(client):
    document = client.get("/api/v1/openapi.json", HTTP_HOST=HOST).json()
    document, problems = _non_json_media_checked(document)
    assert problems + document_problems(document) == []


def test_code_lists_come_from_their_sources(client):
    components = client.get("/api/v1/openapi.json", HTTP_HOST=HOST).json()["components"]
    declaration = components["schemas"]["DeclarationIn"]["properties"]
    contract_sex = get_args(DeclarationSubmittedV1.model_fields["sex"].annotation)
    assert enum_of(declaration["sex"]) == list(contract_sex) == ["M", "F"]
    assert "M=男 (Male), F=女 (Female)" in declaration["sex"]["description"]
    assert enum_of(declaration["housing_type"]) == list(HOUSING_TYPE_LABELS)
    assert "rented=租住房屋" in declaration["housing_type"]["description"]
    assert enum_of(declaration["reason"]) == list(RESIDENCE_REASON_LABELS)
    assert enum_of(declaration["guardian_relation"]) == list(GUARDIAN_RELATIONS)
    for status in (components["schemas"]["StatusOut"], components["schemas"]["EventOut"]):
        assert enum_of(status["properties"]["status"]) == list(DeclarationStatus.values)


def test_the_declaration_schema_is_the_service_input_with_its_limits(client):
    schemas = client.get("/api/v1/openapi.json", HTTP_HOST=HOST).json()["components"]["schemas"]
    declaration = schemas["DeclarationIn"]
    assert list(declaration["properties"]) == [f.name for f in fields(DeclarationInput)]
    assert set(declaration["required"]) == {
        f.name for f in fields(DeclarationInput) if f.default is MISSING
    }
    props = {name: string_branch(prop) for name, prop in declaration["properties"].items()}
    assert props["phone"]["pattern"] == "^1[3-9][0-9]{9}$"
    assert props["landlord_phone"]["pattern"] == "^1[3-9][0-9]{9}$"
    assert props["name"]["maxLength"] == 50
    assert props["address_detail"]["maxLength"] == 200
    assert props["birth_date"]["format"] == props["arrival_date"]["format"] == "date"
    for name in set(declaration["properties"]) - set(declaration["required"]):
        types = [b.get("type") for b in declaration["properties"][name]["anyOf"]]
        assert "null" in types, name
    assert schemas["PhoneIn"]["properties"]["phone"]["pattern"] == "^1[3-9][0-9]{9}$"


def test_the_docs_page_loads_nothing_from_another_host(client):
    client.defaults["HTTP_HOST"] = HOST
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert "swagger-ui-bundle.js" in page.content.decode()
    assert foreign_urls(client, "/api/v1/docs") == []
    assert client.get("/api/v1/docs/assets/redoc.standalone.js").status_code == 404

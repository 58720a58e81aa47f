"""The workbench API answers as its own OpenAPI document says, and the document says what an
integrator needs.

schemathesis generates requests from `/api/v1/openapi.json` (valid and invalid, with the
document's examples) and sends them to the WSGI app in-process, as a clerk signed in to the
workbench (session cookie and CSRF token); every answer must be no server error, a documented
status code with the documented body, headers and content type."""

from __future__ import annotations

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
from werkzeug.test import Client

from onetrip.police.register.models import RegistrationStatus
from onetrip.police.register.services import declaration_receive
from tests.api_document import connections_kept_open, document_problems, enum_of, foreign_urls
from tests.fixtures import submitted_declaration

pytestmark = [
    pytest.mark.django_db(databases=["default", "police"]),
    pytest.mark.usefixtures(connections_kept_open.__name__),
]

HOST = "police.testserver"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    response_headers_conformance,
    content_type_conformance,
]
EXAMPLES_PER_OPERATION = 40
# Cookie and header carry the same token, as a browser's double submit does.
CSRF_TOKEN = "schemathesisCsrfToken0123456789a"
REFERENCES = ("JZ26112700000001", "JZ26112700000002", "JZ26112700000003")

APP = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP, headers={"Host": HOST})


@pytest.fixture
def received(beishan):
    """Declarations waiting in the clerk's queue, so lists and decisions have real rows."""
    return [declaration_receive(message=submitted_declaration(ref)) for ref in REFERENCES]


@pytest.fixture
def clerk_session(clerk_client, received):
    """A WSGI client holding the clerk's session and CSRF cookies for the police host."""
    client = Client(APP)
    client.set_cookie("sessionid", clerk_client.cookies["sessionid"].value, domain=HOST)
    client.set_cookie("csrftoken", CSRF_TOKEN, domain=HOST)
    return {"session": client, "headers": {"Host": HOST, "X-CSRFToken": CSRF_TOKEN}}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_as_documented(case, clerk_session):
    case.call_and_validate(**clerk_session, checks=CHECKS)


def _call(method, path, clerk_session, **parameters):
    case = schema[path][method].Case(**parameters)
    return case.call_and_validate(**clerk_session, checks=CHECKS)


def test_real_declarations_answer_as_documented(clerk_session):
    """Generated references find nothing; these are the answers with rows behind them."""
    first, second, _ = REFERENCES
    listed = _call("GET", "/api/v1/declarations", clerk_session, query={"status": "declared"})
    assert [d["reference"] for d in listed.json()] == list(REFERENCES)
    detail = "/api/v1/declarations/{reference}"
    assert _call("GET", detail, clerk_session, path_parameters={"reference": first}).json()[
        "name"
    ] == ("张*")
    verify = "/api/v1/declarations/{reference}/verify"
    verified = _call("POST", verify, clerk_session, path_parameters={"reference": first}, body={})
    assert verified.json()["status"] == "registered"
    again = _call("POST", verify, clerk_session, path_parameters={"reference": first}, body={})
    assert (again.status_code, again.json()["code"]) == (409, "already_decided")
    returned = _call(
        "POST",
        "/api/v1/declarations/{reference}/return",
        clerk_session,
        path_parameters={"reference": second},
        body={"reason": "详细地址缺少门牌号，请补充"},
    )
    assert returned.json()["status"] == "returned"


def test_null_and_empty_status_mean_the_queue_to_verify(clerk_session):
    for query in ({}, {"status": ""}, {"status": "null"}):
        answer = _call("GET", "/api/v1/declarations", clerk_session, query=query)
        assert len(answer.json()) == len(REFERENCES), query
    bad = _call("GET", "/api/v1/declarations", clerk_session, query={"status": "bogus"})
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "status")


def test_a_post_without_the_csrf_token_answers_the_error_body(clerk_session):
    clerk_session["headers"].pop("X-CSRFToken")
    answer = _call(
        "POST",
        "/api/v1/declarations/{reference}/verify",
        clerk_session,
        path_parameters={"reference": REFERENCES[0]},
        body={},
    )
    assert (answer.status_code, answer.json()["code"]) == (403, "csrf_failed")


def test_the_document_describes_every_operation_field_and_error(police_client):
    document = police_client.get("/api/v1/openapi.json").json()
    assert document_problems(document) == []


def test_statuses_come_from_registration_status(police_client):
    document = police_client.get("/api/v1/openapi.json").json()
    out = document["components"]["schemas"]["DeclarationOut"]["properties"]["status"]
    assert enum_of(out) == list(RegistrationStatus.values)
    assert "declared=待核查" in out["description"]
    [status] = document["paths"]["/api/v1/declarations"]["get"]["parameters"]
    assert enum_of(status["schema"]) == list(RegistrationStatus.values)


def test_the_docs_page_loads_nothing_from_another_host(police_client):
    page = police_client.get("/api/v1/docs")
    assert page.status_code == 200
    assert 'data-api-csrf="true"' in page.content.decode()
    assert foreign_urls(police_client, "/api/v1/docs") == []

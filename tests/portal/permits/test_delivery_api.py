"""The card's way to the resident through the channel API (WF-2, PI-2): the application answers
its delivery snapshot without any pickup code, the change of delivery answers as the page does,
and both answer as the OpenAPI document says."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.test import Client
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from onetrip.portal.api.auth import token_for
from onetrip.portal.ferrybox.models import OutboxMessage
from onetrip.portal.permits.delivery import permit_delivery_apply
from onetrip.portal.permits.models import PermitDeliveryChange
from tests.api_document import connections_kept_open

from .delivery_helpers import CODE, approved, shipped, snapshot

pytestmark = [
    pytest.mark.django_db(databases=["default", "police"]),
    pytest.mark.usefixtures("files_dir", connections_kept_open.__name__),
]

HOST = "portal.testserver"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    response_headers_conformance,
    content_type_conformance,
]
BASE = "/api/v1/permit/applications"
NEW_ADDRESS = "杭州市西湖区文三路 90 号 1 幢 302 室"
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", get_wsgi_application(), headers={"Host": HOST}
)


@pytest.fixture
def headers(resident):
    return {"Host": HOST, "Authorization": f"Bearer {token_for(resident)}"}


@pytest.fixture
def api(resident):
    client = Client()
    extra = {"HTTP_AUTHORIZATION": f"Bearer {token_for(resident)}", "HTTP_HOST": HOST}

    def call(method: str, path: str, body=None):
        if method == "get":
            return client.get(path, **extra)
        return client.post(path, body or {}, content_type="application/json", **extra)

    return call


def test_wf2_the_application_answers_its_delivery_snapshot_without_the_code(resident, api):
    application = approved(resident)
    permit_delivery_apply(message=snapshot(application, 1, "ready", "ready_for_pickup", code=CODE))
    response = api("get", f"{BASE}/{application.reference}")
    assert response.status_code == 200
    card = response.json()["card_delivery"]
    assert (card["stage"], card["stage_label"], card["delivery"]) == (
        "ready_for_pickup",
        "待领取",
        "pickup",
    )
    assert (card["change"], card["sequence"], card["can_change"]) == ("ready", 1, True)
    assert CODE not in json.dumps(response.json(), ensure_ascii=False)
    assert "pickup_code" not in json.dumps(response.json())


def test_wf2_a_posted_card_answers_courier_tracking_and_events_newest_first(resident, api):
    application = approved(resident, delivery="post")
    permit_delivery_apply(message=shipped(application))
    card = api("get", f"{BASE}/{application.reference}").json()["card_delivery"]
    assert (card["courier"], card["tracking_number"], card["can_change"]) == (
        "EMS",
        "EM123456789CN",
        False,
    )
    assert [e["status"] for e in card["events"]] == ["in_transit", "picked_up"]


def test_pi2_the_api_changes_the_delivery_and_writes_the_outbox_message(resident, api):
    application = approved(resident)
    response = api(
        "post",
        f"{BASE}/{application.reference}/delivery",
        {"delivery": "post", "postal_address": NEW_ADDRESS},
    )
    assert response.status_code == 202, response.content
    pending = response.json()["pending_change"]
    assert (pending["delivery"], pending["postal_address"]) == ("post", NEW_ADDRESS)
    row = OutboxMessage.objects.get(message_type="permit.delivery_address_changed")
    assert row.payload["request_id"] == pending["request_id"]
    assert PermitDeliveryChange.objects.get().channel == "api"


def test_pi2_the_api_refuses_bad_input_and_a_card_that_has_left(resident, api):
    application = approved(resident, delivery="post")
    bad = api("post", f"{BASE}/{application.reference}/delivery", {"delivery": "post"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_delivery_change"
    assert [(e["field"], e["code"]) for e in bad.json()["errors"]] == [
        ("postal_address", "required")
    ]
    permit_delivery_apply(message=shipped(application))
    late = api("post", f"{BASE}/{application.reference}/delivery", {"delivery": "pickup"})
    assert (late.status_code, late.json()["code"]) == (409, "delivery_not_changeable")
    assert PermitDeliveryChange.objects.count() == 0


def test_pi2_a_real_delivery_answers_as_documented(resident, headers):
    """The generated references find nothing; these answers have an approved card behind them."""
    application = approved(resident, delivery="post")
    permit_delivery_apply(
        message=snapshot(application, 1, "production_started", "in_production", method="post")
    )
    one = "/api/v1/permit/applications/{reference}"
    path = {"reference": application.reference}
    for route, method, body, expected in (
        (one, "GET", None, 200),
        (one + "/delivery", "POST", {"delivery": "pickup"}, 202),
        (one + "/delivery", "POST", {"delivery": "post", "postal_address": "😀"}, 400),
        (one, "GET", None, 200),
    ):
        parameters = {"path_parameters": path, **({"body": body} if body else {})}
        case = schema[route][method].Case(**parameters)
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        assert response.status_code == expected, (route, method, response.content[:300])
    permit_delivery_apply(message=shipped(application, 2))
    case = schema[one + "/delivery"]["POST"].Case(path_parameters=path, body={"delivery": "pickup"})
    assert case.call_and_validate(headers=headers, checks=CHECKS).status_code == 409
    case = schema[one]["GET"].Case(path_parameters=path)
    answer = case.call_and_validate(headers=headers, checks=CHECKS).json()
    assert answer["card_delivery"]["tracking_number"] == "EM123456789CN"

"""The channel API's change (ZJ-11) and cancel (WF-1) endpoints on a real registration answer as
the OpenAPI document says, with the one error body, and a repeat is not a second change."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from onetrip.portal.api.auth import token_for
from onetrip.portal.declarations.models import RegistrationRequest
from tests.api_document import connections_kept_open
from tests.portal.api.test_schema import CHECKS, HOST, schema
from tests.portal.declarations.test_changes import _at, other_beishan_community, registered

__all__ = ["connections_kept_open", "registered"]

pytestmark = [
    pytest.mark.django_db(databases=["default", "police"], transaction=True),
    pytest.mark.usefixtures(connections_kept_open.__name__),
]

CHANGES = "/api/v1/declarations/{reference}/changes"
CANCEL = "/api/v1/declarations/{reference}/cancel"


def _call(path: str, reference: str, body: dict, headers: dict):
    case = schema[path]["POST"].Case(path_parameters={"reference": reference}, body=body)
    return case.call_and_validate(headers=headers, checks=CHECKS)


def test_zj_11_api_change_is_created_once_and_answers_as_documented(registered, resident):
    headers = {"Host": HOST, "Authorization": f"Bearer {token_for(resident)}"}
    body = {
        "changed_on": "2026-11-20",
        "community_code": other_beishan_community(),
        "address_detail": "文三路 100 号 2 幢 301 室",
        "housing_type": "owned",
        "employer_name": None,
    }
    with time_machine.travel(_at(dt.date(2026, 11, 25)), tick=False):
        first = _call(CHANGES, registered.reference, body, headers)
        again = _call(CHANGES, registered.reference, body, headers)
    assert (first.status_code, again.status_code) == (201, 200)
    requests = again.json()["requests"]
    assert len(requests) == 1 and requests[0]["state"] == "pending"
    assert again.json()["history"][-1]["step"] == "change_submitted"
    assert RegistrationRequest.objects.count() == 1


def test_zj_11_api_bad_change_answers_400_with_every_problem(registered, resident):
    headers = {"Host": HOST, "Authorization": f"Bearer {token_for(resident)}"}
    with time_machine.travel(_at(dt.date(2026, 11, 25)), tick=False):
        response = _call(
            CHANGES,
            registered.reference,
            {"changed_on": "2026-11-30", "employer_name": "杭州示例科技有限公司"},
            headers,
        )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_change"
    assert response.json()["errors"][0]["message"] == "变更日期不能晚于今天"
    assert not RegistrationRequest.objects.exists()


def test_wf1_api_cancel_then_change_answers_409(registered, resident):
    headers = {"Host": HOST, "Authorization": f"Bearer {token_for(resident)}"}
    with time_machine.travel(_at(dt.date(2026, 11, 25)), tick=False):
        cancelled = _call(CANCEL, registered.reference, {"left_on": "2026-11-24"}, headers)
        assert cancelled.status_code == 201
        waiting = _call(
            CHANGES,
            registered.reference,
            {"changed_on": "2026-11-24", "employer_name": "新单位"},
            headers,
        )
    assert waiting.status_code == 409
    assert waiting.json()["code"] == "request_pending"


def test_wf2_progress_without_sign_in_shows_the_change_but_not_the_new_address(
    registered, resident
):
    headers = {"Host": HOST, "Authorization": f"Bearer {token_for(resident)}"}
    body = {
        "changed_on": "2026-11-20",
        "community_code": other_beishan_community(),
        "address_detail": "文三路 100 号 2 幢 301 室",
        "housing_type": "owned",
    }
    with time_machine.travel(_at(dt.date(2026, 11, 25)), tick=False):
        _call(CHANGES, registered.reference, body, headers)
        case = schema["/api/v1/progress"]["GET"].Case(
            query={"reference": registered.reference, "id_last6": registered.id_number[-6:]}
        )
        answer = case.call_and_validate(headers={"Host": HOST}, checks=CHECKS).json()
    request = answer["requests"][0]
    assert (request["state"], request["effective_on"]) == ("pending", "2026-11-20")
    assert request["address_detail"] == request["community_code"] == ""

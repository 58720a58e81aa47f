"""The workbench API of the pre-review: the same scope, rules and audit as the pages (WF-2,
WF-6, DOC-1), and every answer as the OpenAPI document says (checked with schemathesis against
real cases, as a reviewer of the station)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from werkzeug.test import Client

from onetrip.police.audit.models import AuditEvent
from onetrip.police.permits.models import PermitCase
from tests.api_document import connections_kept_open
from tests.police.workbench.test_api_schema import CHECKS, CSRF_TOKEN, HOST

from .conftest import ID_NUMBER, REF, document, receive, resubmit

pytestmark = pytest.mark.django_db(databases=["default", "police"])

APP = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP, headers={"Host": HOST})


def _reads(object_type: str = "permit_case", **filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=f"{object_type}.view_personal_data", **filters))


def test_wf6_the_queue_answers_masked_and_audited(case, reviewer_client):
    response = reviewer_client.get("/api/v1/permits")
    assert response.status_code == 200
    [row] = response.json()
    assert (row["reference"], row["status"], row["id_number"]) == (
        REF,
        "prelim_review",
        "3301**********123X",
    )
    [audit] = _reads(object_id="queue:prelim_review")
    assert audit.purpose == "api_permit_list"


def test_wf6_the_queue_searches_by_number_through_the_keyed_hash(case, reviewer_client):
    response = reviewer_client.get("/api/v1/permits", {"q": ID_NUMBER})
    assert [r["reference"] for r in response.json()] == [REF]
    assert _reads(object_id="search:id_number")


def test_wf6_a_role_without_permit_work_gets_403_and_is_audited(case, field_client):
    response = field_client.get("/api/v1/permits")
    assert (response.status_code, response.json()["code"]) == (403, "role_cannot_read")
    [audit] = _reads(actor="field_beishan")
    assert audit.success is False


def test_wf6_one_case_lists_its_files_and_what_a_notice_may_name(case, reviewer_client, photo):
    body = reviewer_client.get(f"/api/v1/permits/{REF.lower()}").json()
    assert body["name"] == "张*"
    assert body["notice_items"] is None
    files = {d["document_id"]: d for d in body["documents"]}
    assert files[photo.document_id]["url"] == f"/permits/{REF}/documents/{photo.document_id}"
    assert files[photo.document_id]["media_type"] == "image/jpeg"
    [audit] = _reads(object_id=REF)
    assert audit.purpose == "api_permit_read"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", f"/api/v1/permits/{REF}", None),
        ("post", f"/api/v1/permits/{REF}/pass", {}),
        ("post", f"/api/v1/permits/{REF}/return", {"problems": [{"item": "B11", "text": "缺"}]}),
        ("post", f"/api/v1/permits/{REF}/reject", {"reason": "居住登记未满半年"}),
    ],
)
def test_wf6_another_stations_reviewer_gets_404(case, other_reviewer_client, method, path, body):
    kwargs = {"content_type": "application/json", "data": body} if body is not None else {}
    response = getattr(other_reviewer_client, method)(path, **kwargs)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert PermitCase.objects.get().status == "prelim_review"
    if method == "get":
        [audit] = _reads(object_id=REF)
        assert (audit.actor, audit.success) == ("reviewer_hubin", False)


def test_nat11_return_through_the_api_sends_the_whole_notice(case, reviewer_client):
    problems = [
        {"item": "B11", "text": "劳动合同缺少盖章页"},
        {"item": "address_detail", "text": "缺少门牌号"},
    ]
    response = reviewer_client.post(
        f"/api/v1/permits/{REF}/return",
        {"problems": problems, "revision": 1},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "materials_required"
    assert [(p["item"], p["text"]) for p in body["problems"]] == [
        (p["item"], p["text"]) for p in problems
    ]
    assert body["problems"][0]["label"] == "B11 劳动（聘用）合同"


def test_doc1_the_api_refuses_what_was_checkable_before(case, reviewer, reviewer_client, photo):
    from onetrip.police.permits.services import permit_return

    permit_return(user=reviewer, reference=REF, problems=[{"item": "B11", "text": "缺盖章页"}])
    resubmit([photo], new=[document("B11")])
    body = reviewer_client.get(f"/api/v1/permits/{REF}").json()
    assert body["notice_items"] == ["B11"]
    response = reviewer_client.post(
        f"/api/v1/permits/{REF}/return",
        {"problems": [{"item": "photo", "text": "照片模糊"}]},
        content_type="application/json",
    )
    assert (response.status_code, response.json()["code"]) == (400, "checkable_before")


def test_wf2_decisions_answer_403_409_as_documented(case, reviewer_client, beishan):
    from tests.fixtures import staff

    from .conftest import client_of

    admin = staff("district_xihu", "district_admin", None, district_code="330106")
    refused = client_of(admin).post(
        f"/api/v1/permits/{REF}/pass", {}, content_type="application/json"
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "role_cannot_decide")
    stale = reviewer_client.post(
        f"/api/v1/permits/{REF}/pass", {"revision": 2}, content_type="application/json"
    )
    assert (stale.status_code, stale.json()["code"]) == (409, "revision_changed")
    passed = reviewer_client.post(
        f"/api/v1/permits/{REF}/pass", {}, content_type="application/json"
    )
    assert passed.json()["status"] == "prereview_passed"
    assert passed.json()["prereview_seconds"] >= 7200 - 5
    again = reviewer_client.post(
        f"/api/v1/permits/{REF}/reject",
        {"reason": "居住登记未满半年"},
        content_type="application/json",
    )
    assert (again.status_code, again.json()["code"]) == (409, "already_decided")


# -- the answers against the document --------------------------------------------------------


@pytest.fixture
def reviewer_session(reviewer_client, beishan):
    client = Client(APP)
    client.set_cookie("sessionid", reviewer_client.cookies["sessionid"].value, domain=HOST)
    client.set_cookie("csrftoken", CSRF_TOKEN, domain=HOST)
    return {"session": client, "headers": {"Host": HOST, "X-CSRFToken": CSRF_TOKEN}}


def _call(method, path, session, **parameters):
    return schema[path][method].Case(**parameters).call_and_validate(**session, checks=CHECKS)


@pytest.mark.usefixtures(connections_kept_open.__name__)
def test_real_cases_answer_as_documented(reviewer_session, beishan):
    references = [f"PA2611270000030{n}" for n in range(3)]
    for reference in references:
        receive(
            document("photo", reference=reference),
            document("B11", reference=reference),
            reference=reference,
        )
    first, second, third = references
    listed = _call("GET", "/api/v1/permits", reviewer_session, query={"status": "prelim_review"})
    assert [c["reference"] for c in listed.json()] == references
    one = "/api/v1/permits/{reference}"
    assert (
        len(
            _call("GET", one, reviewer_session, path_parameters={"reference": first}).json()[
                "documents"
            ]
        )
        == 2
    )
    passed = _call(
        "POST",
        "/api/v1/permits/{reference}/pass",
        reviewer_session,
        path_parameters={"reference": first},
        body={"revision": 1},
    )
    assert passed.json()["status"] == "prereview_passed"
    returned = _call(
        "POST",
        "/api/v1/permits/{reference}/return",
        reviewer_session,
        path_parameters={"reference": second},
        body={"problems": [{"item": "B11", "text": "劳动合同缺少盖章页"}]},
    )
    assert returned.json()["status"] == "materials_required"
    invalid = _call(
        "POST",
        "/api/v1/permits/{reference}/return",
        reviewer_session,
        path_parameters={"reference": third},
        body={"problems": [{"item": "nope", "text": ""}]},
    )
    assert (invalid.status_code, invalid.json()["code"]) == (400, "problems_invalid")
    rejected = _call(
        "POST",
        "/api/v1/permits/{reference}/reject",
        reviewer_session,
        path_parameters={"reference": third},
        body={"reason": "居住登记未满半年"},
    )
    assert rejected.json()["status"] == "rejected"
    again = _call(
        "POST",
        "/api/v1/permits/{reference}/reject",
        reviewer_session,
        path_parameters={"reference": third},
        body={"reason": "居住登记未满半年"},
    )
    assert (again.status_code, again.json()["code"]) == (409, "already_decided")
    for status in ("materials_required", "prereview_passed", "rejected"):
        _call("GET", "/api/v1/permits", reviewer_session, query={"status": status})

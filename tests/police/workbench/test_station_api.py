"""The one stop through the workbench API (WF-2): the same services as the pages, so the
four-eyes rule cannot be bypassed by calling the API, and each step answers as documented."""

from __future__ import annotations

import pytest

from onetrip.police.permits.services import permit_prereview_pass
from tests.fixtures import staff
from tests.police.permits.conftest import REF, client_of, document, receive

pytestmark = pytest.mark.django_db(databases=["default", "police"])

ORIGINALS = ["A1", "A8", "A9", "B10", "B11/B12/B13/B14/B15/B16/B17"]
ACCEPT = {"originals": ORIGINALS, "ethnicity": "汉族", "hukou_address": "浙江省温州市鹿城区"}


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    settings.ONETRIP_FILES_DIR = tmp_path / "files"


@pytest.fixture
def passed(beishan):
    reviewer = staff("reviewer_beishan", "reviewer", beishan)
    receive(document("photo"), document("B11"))
    permit_prereview_pass(user=reviewer, reference=REF)
    return reviewer


def _post(client, path, body=None):
    return client.post(f"/api/v1{path}", body or {}, content_type="application/json")


def test_wf2_four_eyes_cannot_be_bypassed_through_the_api(passed, beishan):
    admin = client_of(staff("admin_beishan", "station_admin", beishan))
    assert _post(admin, f"/station/cases/{REF}/take").status_code == 200
    accepted = _post(admin, f"/station/cases/{REF}/accept", ACCEPT)
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["task"] == "review" and accepted.json()["receipt_number"]
    for step in ("take", "review", "approve"):
        refused = _post(admin, f"/station/cases/{REF}/{step}", {"note": ""})
        assert refused.status_code in (403, 409), (step, refused.content)
        if step != "approve":
            assert refused.json()["code"] == "four_eyes"
    reviewer = client_of(passed)
    assert _post(reviewer, f"/station/cases/{REF}/take").status_code == 200
    assert _post(reviewer, f"/station/cases/{REF}/review", {"note": "好"}).status_code == 200
    # The reviewer may not approve what they reviewed, even as a station administrator would.
    assert _post(admin, f"/station/cases/{REF}/take").json()["code"] == "four_eyes"
    approver = client_of(staff("approver_beishan", "approver", beishan))
    assert _post(approver, f"/station/cases/{REF}/take").status_code == 200
    approved = _post(approver, f"/station/cases/{REF}/approve", {})
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved" and approved.json()["permit_number"]


def test_the_queue_lists_the_task_for_the_role_and_hides_other_stations(passed, beishan, hubin):
    clerk = client_of(staff("clerk_beishan", "window_clerk", beishan))
    rows = clerk.get("/api/v1/station/cases", {"task": "accept"}).json()
    assert [r["reference"] for r in rows] == [REF]
    assert rows[0]["name"] == "张*"
    assert clerk.get("/api/v1/station/cases", {"task": "approve"}).json() == []
    other = client_of(staff("clerk_hubin", "window_clerk", hubin))
    assert other.get("/api/v1/station/cases", {"task": "accept"}).json() == []
    assert other.get(f"/api/v1/station/cases/{REF}").status_code == 404


def test_accepting_without_every_original_answers_400_and_changes_nothing(passed, beishan):
    clerk = client_of(staff("clerk_beishan", "window_clerk", beishan))
    _post(clerk, f"/station/cases/{REF}/take")
    response = _post(clerk, f"/station/cases/{REF}/accept", {**ACCEPT, "originals": ["A1"]})
    assert (response.status_code, response.json()["code"]) == (400, "originals_not_seen")
    assert clerk.get(f"/api/v1/station/cases/{REF}").json()["status"] == "prereview_passed"

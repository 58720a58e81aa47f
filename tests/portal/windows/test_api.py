"""The channel API of the directory: list and search (district, street, name), nearest first
from a position or a community with the distance, one window with its week; inactive windows
are not there; documented with examples."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.api_document import document_problems

from .helpers import (
    BEISHAN,
    CUIYUAN_CLOSED,
    HUBIN,
    QIANDAOHU,
    XIXI,
    publish,
    publish_all,
    publish_calendar,
)

pytestmark = pytest.mark.django_db(databases=["default", "police"])

HOST = "portal.testserver"


@pytest.fixture
def api(client):
    client.defaults["HTTP_HOST"] = HOST

    def get(url: str, status: int = 200):
        response = client.get(f"/api/v1{url}")
        assert response.status_code == status, response.content[:500]
        return response.json()

    return get


def codes(body) -> list[str]:
    return [item["code"] for item in body["items"]]


def test_the_list_has_every_active_window_in_directory_order(api):
    publish_all()
    body = api("/windows")
    assert body["count"] == 4
    assert codes(body) == [HUBIN, BEISHAN, XIXI, QIANDAOHU]
    beishan = body["items"][1]
    assert beishan["district_name"] == "西湖区" and beishan["street_name"] == "北山街道"
    assert beishan["phone"] == "0571-85601989"
    assert beishan["services"] == ["permit_first", "permit_endorsement"]
    assert beishan["distance_km"] is None and beishan["in_service_circle"] is False
    assert CUIYUAN_CLOSED not in codes(body)


def test_search_by_district_street_and_name(api):
    publish_all()
    assert codes(api("/windows?district=330106")) == [BEISHAN, XIXI]
    assert codes(api("/windows?district=330106&street=330106004")) == [XIXI]
    assert codes(api("/windows?q=%E6%B9%96%E6%BB%A8")) == [HUBIN]  # 湖滨
    assert api("/windows?district=999999") == {"count": 0, "items": []}


def test_nearest_first_with_the_distance(api):
    publish_all()
    body = api("/windows?lat=30.262&lon=120.150")
    assert codes(body) == [BEISHAN, HUBIN, XIXI, QIANDAOHU]
    assert [i["distance_km"] for i in body["items"]] == [0.0, 1.51, 2.4, 129.53]
    assert [i["in_service_circle"] for i in body["items"]] == [True, True, True, False]
    assert body["items"][3]["minutes"] == 519
    body = api("/windows?community=330102003001&limit=2")
    assert body["count"] == 4 and codes(body) == [HUBIN, BEISHAN]
    assert codes(api("/windows?community=330102003001&limit=2&offset=2")) == [XIXI, QIANDAOHU]


def test_a_location_that_cannot_be_used_is_refused(api):
    publish_all()
    assert api("/windows?lat=30.26", status=400)["code"] == "location_incomplete"
    assert api("/windows?community=330106002999", status=400)["code"] == "community_unknown"
    assert api("/windows?lat=95&lon=120", status=422)["code"] == "invalid_request"
    assert api("/windows?limit=0", status=422)["code"] == "invalid_request"


def test_one_window_with_its_week(api):
    publish_all()
    publish_calendar(BEISHAN, holidays=[timezone.localdate()])
    body = api(f"/windows/{BEISHAN}?community=330102003001")
    assert body["name"] == "北山派出所户籍窗口"
    assert body["distance_km"] == 1.51
    assert len(body["week"]) == 7
    today = body["week"][0]
    assert today["date"] == f"{timezone.localdate():%Y-%m-%d}"
    assert (today["is_open"], today["note"], today["opens"]) == (False, "holiday", None)
    open_days = [d for d in body["week"] if d["is_open"]]
    assert open_days and all(d["opens"] == "08:30:00" for d in open_days)
    assert open_days[0]["lunch_starts"] == "12:00:00"
    assert api(f"/windows/{XIXI}")["week"] == []


def test_an_inactive_or_unknown_window_is_not_found(api):
    publish_all()
    assert api(f"/windows/{CUIYUAN_CLOSED}", status=404)["code"] == "window_not_found"
    assert api("/windows/0000", status=404)["code"] == "window_not_found"
    publish(BEISHAN, active=False)
    assert api(f"/windows/{BEISHAN}", status=404)["code"] == "window_not_found"


def test_the_operations_are_documented_with_examples(client):
    document = client.get("/api/v1/openapi.json", HTTP_HOST=HOST).json()
    ours = {p: ops for p, ops in document["paths"].items() if p.startswith("/api/v1/windows")}
    assert set(ours) == {"/api/v1/windows", "/api/v1/windows/{code}"}
    assert document_problems({**document, "paths": ours}) == []
    listing = ours["/api/v1/windows"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {
        "district",
        "street",
        "q",
        "lat",
        "lon",
        "community",
        "limit",
        "offset",
    }
    assert "example" in listing["responses"]["200"]["content"]["application/json"]

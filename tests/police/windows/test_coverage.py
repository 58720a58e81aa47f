"""The 15-minute service circle: haversine distances, the share of communities within the
travel model's radius, and the page only city administrators see."""

from __future__ import annotations

import math

import pytest

from onetrip.police.stations.coverage import (
    CITY_CENTRE,
    Place,
    community_point,
    coverage_of,
    haversine_km,
    radius_km,
)

from .conftest import client_for


def test_haversine_matches_known_distances():
    assert haversine_km((30.0, 120.0), (30.0, 120.0)) == 0
    # One degree of latitude is 111.19 km on the mean Earth radius.
    assert haversine_km((30.0, 120.0), (31.0, 120.0)) == pytest.approx(111.19, abs=0.01)
    # West Lake (Hangzhou) to the Bund (Shanghai): about 170 km.
    assert haversine_km((30.2431, 120.1503), (31.2400, 121.4903)) == pytest.approx(168, abs=5)
    assert haversine_km((0.0, 0.0), (0.0, 180.0)) == pytest.approx(math.pi * 6371.0088)


def test_the_travel_model_reaches_3_75_km_in_15_minutes():
    assert radius_km() == 3.75
    assert radius_km(speed_kmh=5, minutes=15) == 1.25


def test_coverage_counts_communities_within_the_radius_and_lists_the_others_farthest_first():
    window = Place("W1", "窗口", 30.0, 120.0)
    far_window = Place("W2", "远处窗口", 31.0, 120.0)
    near = Place("C1", "近社区", 30.03, 120.0)  # 3.34 km
    edge = Place("C2", "圈外社区", 30.04, 120.0)  # 4.45 km
    farther = Place("C3", "更远社区", 30.2, 120.0)  # 22 km from W1
    result = coverage_of(
        [near, edge, farther], [window, far_window], groups={"C1": "一组", "C": "全部"}
    )
    assert (result.communities, result.covered) == (3, 1)
    assert [(g.name, g.communities, g.covered) for g in result.groups] == [
        ("一组", 1, 1),
        ("全部", 3, 1),
    ]
    assert result.share == pytest.approx(1 / 3)
    assert [o.community.code for o in result.outside] == ["C3", "C2"]
    assert result.outside[1].nearest == window
    assert result.outside[1].distance_km == pytest.approx(4.45, abs=0.01)
    empty = coverage_of([near], [])
    assert empty.covered == 0 and empty.outside[0].nearest is None
    assert coverage_of([], [window]).share == 0.0


@pytest.mark.django_db(databases=["default", "police"])
def test_a_community_stands_where_its_streets_windows_are(reference_data):
    """The rule both zones share (common/geo.py): the street's windows, else the district's
    centre, else the city's."""
    beishan = community_point("330106002001", "330106002", (30.26, 120.13))
    assert beishan == community_point("330106002002", "330106002", (30.26, 120.13))
    assert haversine_km(beishan, (30.26, 120.13)) < 12
    assert community_point("330106999001", "330106999", (30.26, 120.13)) == (30.26, 120.13)
    assert community_point("330106999001", "330106999", None) == CITY_CENTRE


@pytest.mark.django_db(databases=["default", "police"])
def test_city_admin_sees_the_share_the_model_and_the_communities_outside(city_admin):
    page = client_for(city_admin).get("/coverage/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "每小时15公里" in text and "3.75公里" in text
    assert "代表点" in text
    assert "各区县覆盖率" in text and "西湖区" in text
    assert "圈外社区" in text or "所有社区（村）都在15分钟服务圈内" in text


@pytest.mark.django_db(databases=["default", "police"])
def test_other_roles_do_not_see_coverage(district_admin, clerk_client):
    assert client_for(district_admin).get("/coverage/").status_code == 403
    assert clerk_client.get("/coverage/").status_code == 403


@pytest.mark.django_db(databases=["default", "police"])
def test_the_coverage_page_places_every_community_with_a_handful_of_queries(city_admin):
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    client = client_for(city_admin)
    client.get("/coverage/")
    with CaptureQueriesContext(connections["police"]) as police:
        assert client.get("/coverage/").status_code == 200
    assert len(police) < 20  # not one per community (600)

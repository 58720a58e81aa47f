"""Where "nearest to my community" measures from: one derivation, the same answer every time."""

from __future__ import annotations

import pytest

from onetrip.common import divisions
from onetrip.portal.windows.geo import Point
from onetrip.portal.windows.selectors import community_point, windows_origin, windows_search

from .helpers import BEISHAN, HUBIN, publish, publish_all

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def test_a_community_stands_where_its_streets_windows_are():
    publish(BEISHAN)
    assert community_point(community_code="330106002001") == Point(30.262, 120.150)
    # Every community of the street shares the point.
    assert community_point(community_code="330106002003") == Point(30.262, 120.150)


def test_with_two_windows_in_the_street_it_is_their_middle_even_if_one_is_closed():
    publish(BEISHAN)
    publish(
        "33010650002002",
        district_code="330106",
        street_code="330106002",
        latitude=30.270,
        longitude=120.160,
        active=False,
    )
    point = community_point(community_code="330106002001")
    assert point is not None
    assert (point.lat, point.lon) == (pytest.approx(30.266), pytest.approx(120.155))


def test_a_street_without_windows_falls_back_to_the_district_centre():
    publish_all()
    centre = divisions.district("330127")
    assert centre is not None and centre.centroid == (29.61, 119.04)
    # 文昌镇 has no window in the test directory.
    assert community_point(community_code="330127101200") == Point(29.61, 119.04)


def test_a_window_without_coordinates_does_not_place_its_street():
    publish(BEISHAN, latitude=None, longitude=None)
    assert community_point(community_code="330106002001") == Point(30.26, 120.1)  # 西湖区 centre


def test_an_unknown_community_has_no_point():
    assert community_point(community_code="330106002999") is None
    assert community_point(community_code="") is None


def test_the_derivation_is_deterministic_and_ranks_the_streets_window_first():
    publish_all()
    first = community_point(community_code="330102003001")
    assert first == community_point(community_code="330102003001")
    origin = windows_origin(community_code="330102003001")
    hits = windows_search(origin=origin)
    assert hits[0].window.code == HUBIN and hits[0].distance_km == pytest.approx(0)

"""Where a community stands (common/geo.py::community_point): one rule for both zones, so the
portal's "nearest to my community" and the city's coverage figure measure from the same point."""

from __future__ import annotations

from decimal import Decimal

import pytest

from onetrip.common import divisions
from onetrip.common.geo import community_point
from onetrip.police.stations.coverage import community_point as coverage_point
from onetrip.portal.windows.selectors import community_point as portal_point
from tests.ferry.helpers import ferry_env, pump  # noqa: F401  (fixture used by name)


def test_a_community_stands_at_the_middle_of_its_streets_windows():
    point = community_point(
        street_windows=[(30.262, 120.150), (30.270, 120.160)], district_centre=(30.26, 120.1)
    )
    assert point == (30.266, 120.155)


def test_decimal_rows_and_their_order_give_the_same_point():
    """The police zone stores coordinates as decimals, the portal as floats; rows come in any
    order. The point is the same number."""
    floats = [(30.262, 120.150), (30.275, 120.130), (30.258, 120.165)]
    decimals = [(Decimal(f"{lat:.6f}"), Decimal(f"{lon:.6f}")) for lat, lon in reversed(floats)]
    assert community_point(street_windows=floats, district_centre=None) == community_point(
        street_windows=decimals, district_centre=None
    )


def test_without_windows_the_district_centre_else_nothing():
    assert community_point(street_windows=[], district_centre=(29.61, 119.04)) == (29.61, 119.04)
    assert community_point(street_windows=[], district_centre=None) is None


@pytest.mark.django_db(databases=["default", "police"], transaction=True)
def test_both_zones_place_every_community_at_the_same_point(ferry_env, reference_data):  # noqa: F811
    """The police zone's windows reach the portal over the ferry; then, for every community of
    the city, the coverage figure's point is the portal's "nearest to my community" point."""
    pump()
    city = divisions.load()
    compared = 0
    for district in city.districts():
        for street in city.streets_by_district.get(district.code, ()):
            for community in divisions.communities_of(street.code):
                portal = portal_point(community_code=community.code)
                assert portal is not None, community.code
                police = coverage_point(community.code, street.code, district.centroid)
                assert (portal.lat, portal.lon) == police, community.code
                compared += 1
    assert compared == 600

"""Straight-line distances, the stated travel model and the schematic map's projection."""

from __future__ import annotations

import math

import pytest

from onetrip.common import divisions
from onetrip.portal.windows import geo
from onetrip.portal.windows.geo import Point, haversine_km


def test_haversine_gives_known_distances():
    # One degree along a meridian and along the equator is 111.195 km on the mean sphere.
    assert haversine_km(Point(30, 120), Point(31, 120)) == pytest.approx(111.195, abs=0.001)
    assert haversine_km(Point(0, 0), Point(0, 1)) == pytest.approx(111.195, abs=0.001)
    # A degree of longitude shrinks with the cosine of the latitude.
    assert haversine_km(Point(60, 0), Point(60, 1)) == pytest.approx(55.597, abs=0.001)
    # Beijing to Shanghai, about 1067 km as the crow flies.
    beijing, shanghai = Point(39.9042, 116.4074), Point(31.2304, 121.4737)
    assert haversine_km(beijing, shanghai) == pytest.approx(1067.3, abs=0.5)


def test_haversine_is_symmetric_and_zero_at_the_same_place():
    a, b = Point(30.262, 120.150), Point(29.605, 119.040)
    assert haversine_km(a, b) == pytest.approx(haversine_km(b, a))
    assert haversine_km(a, a) == 0
    # Antipodes: half the circumference, no domain error from rounding.
    assert haversine_km(Point(0, 0), Point(0, 180)) == pytest.approx(math.pi * geo.EARTH_RADIUS_KM)


def test_the_travel_model_rounds_minutes_up_and_states_the_circle():
    assert geo.SERVICE_CIRCLE_KM * 4 == geo.TRAVEL_SPEED_KMH
    assert geo.travel_minutes(0) == 1
    assert geo.travel_minutes(geo.SERVICE_CIRCLE_KM) == 15
    assert geo.travel_minutes(geo.SERVICE_CIRCLE_KM + 0.01) == 16


@pytest.mark.parametrize(
    "lat, lon", [(91, 120), (-91, 120), (30, 181), (30, -181), (math.nan, 120), (30, math.inf)]
)
def test_a_position_off_the_globe_is_refused(lat, lon):
    with pytest.raises(ValueError):
        Point.checked(lat, lon)


def test_the_projection_keeps_north_up_east_right_and_every_point_inside():
    points = [Point(30.42, 120.30), Point(29.475, 119.28), Point(30.205, 120.21)]
    projection = geo.Projection.fitting(points)
    xy = [projection.xy(p) for p in points]
    assert all(0 < x < projection.width and 0 < y < projection.height for x, y in xy)
    north, south = xy[0], xy[1]
    assert north[1] < south[1]  # north is up
    assert xy[2][0] > xy[1][0]  # east is right
    # Kilometres are kept equal both ways: 1 km east and 1 km north are as long on the map.
    one_km_lat = 1 / projection.km_per_lat_degree
    one_km_lon = 1 / projection.km_per_lon_degree
    origin = projection.xy(Point(30, 120))
    up = projection.xy(Point(30 + one_km_lat, 120))
    right = projection.xy(Point(30, 120 + one_km_lon))
    assert origin[1] - up[1] == pytest.approx(right[0] - origin[0], abs=0.2)


def test_district_circles_never_overlap():
    centres = {d.code: Point(*d.centroid) for d in divisions.districts() if d.centroid}
    assert len(centres) == 13
    radii = geo.district_radii_km(centres)
    for a in centres:
        assert 0 < radii[a] <= geo.MAX_DISTRICT_RADIUS_KM
        for b in centres:
            if a < b:
                assert radii[a] + radii[b] <= haversine_km(centres[a], centres[b]) + 1e-9

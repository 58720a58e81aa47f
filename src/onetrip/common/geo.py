"""Distances for the "15-minute service circle" (15分钟服务圈), one model for both zones: the
portal's "nearest window" and the city administrator's coverage figure measure the same way.
Straight-line (great-circle) distance between approximate WGS-84 points, travelled at an average
15 km/h — about what a bus or a bicycle makes across town. Both measure from the same place for a
community too (`community_point`)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
SERVICE_CIRCLE_MINUTES = 15
TRAVEL_SPEED_KMH = 15.0
SERVICE_CIRCLE_KM = TRAVEL_SPEED_KMH * SERVICE_CIRCLE_MINUTES / 60


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in kilometres between two points in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


# Coordinates are published to six decimals (about 0.1 m); a derived point keeps that precision,
# so both zones get the same number whichever order their rows come in.
POINT_DECIMALS = 6


def community_point(
    *,
    street_windows: Iterable[tuple[float | Decimal, float | Decimal]],
    district_centre: tuple[float, float] | None,
) -> tuple[float, float] | None:
    """Where a community (社区/村) is taken to stand, one rule for both zones, so the portal's
    "nearest to my community" and the city's coverage figure measure from the same point.

    The city's divisions give no coordinates below the district, so the point is derived from
    what the zones know, always the same way:

    1. the mean position of the windows of the community's street (街道/乡镇) that carry
       coordinates, active or not (a window's position says where the street is, whether or
       not it takes residents today);
    2. else the district's approximate centre (`district_centroids_approx.csv`);
    3. else None.

    Every community of a street therefore shares one point; the pages say distances are
    approximate. Returns (latitude, longitude) in degrees."""
    points = sorted((float(lat), float(lon)) for lat, lon in street_windows)
    if points:
        return (
            round(math.fsum(lat for lat, _ in points) / len(points), POINT_DECIMALS),
            round(math.fsum(lon for _, lon in points) / len(points), POINT_DECIMALS),
        )
    if district_centre is None:
        return None
    return (float(district_centre[0]), float(district_centre[1]))

"""Distances for the "15-minute service circle" (15分钟服务圈), one model for both zones: the
portal's "nearest window" and the city administrator's coverage figure measure the same way.
Straight-line (great-circle) distance between approximate WGS-84 points, travelled at an average
15 km/h — about what a bus or a bicycle makes across town."""

from __future__ import annotations

import math

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

"""Distances and the schematic map of the window directory. Pure Python, no database: the
selectors feed it facts, so the arithmetic is tested without rows.

Distances are straight-line (great circle, haversine) between approximate points: the windows'
published coordinates, the district centres of `district_centroids_approx.csv` and the points
`selectors.community_point` derives from them (by `common/geo.py::community_point`, as the
police zone's coverage figure does). Nothing here is a route or a travel time by road;
the pages say so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# The travel model is common/geo.py's, shared with the police zone's coverage figure; named
# here too, as the directory's pages and API read it from this module.
from onetrip.common.geo import EARTH_RADIUS_KM as EARTH_RADIUS_KM
from onetrip.common.geo import SERVICE_CIRCLE_KM as SERVICE_CIRCLE_KM
from onetrip.common.geo import SERVICE_CIRCLE_MINUTES as SERVICE_CIRCLE_MINUTES
from onetrip.common.geo import TRAVEL_SPEED_KMH as TRAVEL_SPEED_KMH
from onetrip.common.geo import great_circle_km


@dataclass(frozen=True)
class Point:
    """A WGS-84 position in degrees."""

    lat: float
    lon: float

    @classmethod
    def checked(cls, lat: float, lon: float) -> Point:
        """A point from untrusted numbers; `ValueError` if they are no position on Earth."""
        if not (math.isfinite(lat) and math.isfinite(lon)):
            raise ValueError("not a finite coordinate")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError("coordinate out of range")
        return cls(lat, lon)


def haversine_km(a: Point, b: Point) -> float:
    """Great-circle distance in kilometres."""
    return great_circle_km(a.lat, a.lon, b.lat, b.lon)


def travel_minutes(distance_km: float) -> int:
    """Minutes at the stated travel model's speed, rounded up, at least 1."""
    return max(1, math.ceil(distance_km / TRAVEL_SPEED_KMH * 60))


def centre_of(points: Iterable[Point]) -> Point | None:
    """The mean of `points` (fine at a city's scale, far from the antimeridian); None if none."""
    listed = list(points)
    if not listed:
        return None
    return Point(sum(p.lat for p in listed) / len(listed), sum(p.lon for p in listed) / len(listed))


# --- The schematic map ---------------------------------------------------------------------------

MAP_WIDTH = 1000.0  # SVG user units; the height follows the area's shape
MIN_SPAN_KM = 4.0  # a zoomed area is never narrower than this
MAX_DISTRICT_RADIUS_KM = 14.0


@dataclass(frozen=True)
class Projection:
    """Equirectangular projection of a small area onto SVG user units: north up, kilometres
    kept equal in both directions at the area's middle latitude."""

    west: float
    north: float
    km_per_lon_degree: float
    km_per_lat_degree: float
    units_per_km: float
    width: float
    height: float

    @classmethod
    def fitting(cls, points: Sequence[Point], *, margin: float = 0.08) -> Projection:
        """A projection showing every point with a margin around them."""
        if not points:
            raise ValueError("nothing to show")
        south = min(p.lat for p in points)
        north = max(p.lat for p in points)
        west = min(p.lon for p in points)
        east = max(p.lon for p in points)
        km_lat = math.pi * EARTH_RADIUS_KM / 180
        km_lon = km_lat * math.cos(math.radians((north + south) / 2))
        span_x = max((east - west) * km_lon, MIN_SPAN_KM)
        span_y = max((north - south) * km_lat, MIN_SPAN_KM * 0.6)
        pad = max(span_x, span_y) * margin
        centre_x = (west + east) / 2 * km_lon
        centre_y = (north + south) / 2 * km_lat
        width_km, height_km = span_x + 2 * pad, span_y + 2 * pad
        units = MAP_WIDTH / width_km
        return cls(
            west=(centre_x - width_km / 2) / km_lon,
            north=(centre_y + height_km / 2) / km_lat,
            km_per_lon_degree=km_lon,
            km_per_lat_degree=km_lat,
            units_per_km=units,
            width=MAP_WIDTH,
            height=round(height_km * units, 1),
        )

    def xy(self, p: Point) -> tuple[float, float]:
        """The point in SVG user units, rounded to keep the page small."""
        x = (p.lon - self.west) * self.km_per_lon_degree * self.units_per_km
        y = (self.north - p.lat) * self.km_per_lat_degree * self.units_per_km
        return round(x, 1), round(y, 1)


def district_radii_km(centres: dict[str, Point]) -> dict[str, float]:
    """A radius per district for the schematic circles: half the distance to the nearest other
    district centre (so circles never overlap), at most `MAX_DISTRICT_RADIUS_KM`. Districts
    have no outlines in the reference data; the circles only say roughly where each lies."""
    radii: dict[str, float] = {}
    for code, centre in centres.items():
        nearest = min(
            (haversine_km(centre, other) for k, other in centres.items() if k != code),
            default=2 * MAX_DISTRICT_RADIUS_KM,
        )
        radii[code] = min(MAX_DISTRICT_RADIUS_KM, nearest / 2)
    return radii

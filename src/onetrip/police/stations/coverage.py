"""The 15-minute service circle (就近办): which communities have a service window within a
quarter of an hour, by a stated travel model. The figure is pure computation; only placing a
community reads the windows of its street.

**Travel model.** Straight-line (great-circle, haversine) distance travelled at 15 km/h, a
city's door-to-door public-transport speed including walking and waiting, so 15 minutes reach
3.75 km. Roads and rivers make real trips longer; the figure is an upper bound of the true
coverage, good for comparing districts and finding the gaps, not for promising a resident a time.

**Where communities are.** The city's divisions give communities no coordinates, so each
community stands where `common/geo.py::community_point` puts it: at the mean position of its
street's windows, else at its district's approximate centroid; the portal's "nearest to my
community" measures from the same point (`community_point` here feeds it this zone's windows).
A deployment with surveyed community centroids passes those instead; the computation does not
change.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from onetrip.common import geo
from onetrip.common.geo import SERVICE_CIRCLE_MINUTES, TRAVEL_SPEED_KMH, great_circle_km

from .models import Window

SPEED_KMH = TRAVEL_SPEED_KMH
TRAVEL_MINUTES = SERVICE_CIRCLE_MINUTES
# Hangzhou's own centre, for a community with neither a placed window in its street nor a
# district centroid: the figure counts every community, where the portal offers no point.
CITY_CENTRE = (30.274, 120.155)

TRAVEL_MODEL_NOTE = _(
    "出行模型：按直线距离、每小时15公里（公共交通门到门速度，含步行和候车）计算，15分钟可达3.75公里。"
    "实际道路距离更长，本数字是覆盖率的上限，用于比较各区和发现空白。"
)
COMMUNITY_POINTS_NOTE = _(
    "社区没有经纬度数据，以社区所在街道各窗口位置的中心为代表点（街道没有窗口的，以所在区县的近似中心为代表点），"
    "与居民端“离我最近”使用同一个代表点。部署时应换成实测的社区中心点。"
)


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Outside:
    """A community beyond the radius, with its nearest window and the distance to it."""

    community: Place
    nearest: Place | None
    distance_km: float | None


@dataclass(frozen=True)
class GroupShare:
    """The coverage of one group of communities (a district)."""

    code: str
    name: str
    communities: int
    covered: int

    @property
    def share(self) -> float:
        return self.covered / self.communities if self.communities else 0.0


@dataclass(frozen=True)
class Coverage:
    radius_km: float
    speed_kmh: float
    minutes: int
    communities: int
    covered: int
    outside: list[Outside]
    groups: list[GroupShare] = field(default_factory=list)

    @property
    def share(self) -> float:
        """Covered communities over all, 0 when there are none."""
        return self.covered / self.communities if self.communities else 0.0


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in kilometres between two (latitude, longitude) points."""
    return great_circle_km(a[0], a[1], b[0], b[1])


def radius_km(*, speed_kmh: float = SPEED_KMH, minutes: int = TRAVEL_MINUTES) -> float:
    return speed_kmh * minutes / 60


def coverage_of(
    communities: Sequence[Place],
    windows: Sequence[Place],
    *,
    speed_kmh: float = SPEED_KMH,
    minutes: int = TRAVEL_MINUTES,
    groups: Mapping[str, str] | None = None,
) -> Coverage:
    """Which communities have a window within `minutes` at `speed_kmh` in a straight line; the
    others listed farthest first, each with its nearest window (None when there is no window).
    With `groups` ({code prefix: name}, e.g. the districts) the share of each group too, so
    the gaps show where they are."""
    radius = radius_km(speed_kmh=speed_kmh, minutes=minutes)
    covered = 0
    outside: list[Outside] = []
    for community in communities:
        here = (community.latitude, community.longitude)
        nearest: Place | None = None
        best = math.inf
        for window in windows:
            distance = haversine_km(here, (window.latitude, window.longitude))
            if distance < best:
                nearest, best = window, distance
        if best <= radius:
            covered += 1
        else:
            outside.append(Outside(community, nearest, None if nearest is None else best))
    outside.sort(key=lambda o: (-(o.distance_km or math.inf), o.community.code))
    shares = []
    for prefix, name in (groups or {}).items():
        total = sum(c.code.startswith(prefix) for c in communities)
        missed = sum(o.community.code.startswith(prefix) for o in outside)
        shares.append(GroupShare(prefix, name, total, total - missed))
    return Coverage(
        radius_km=radius,
        speed_kmh=speed_kmh,
        minutes=minutes,
        communities=len(communities),
        covered=covered,
        outside=outside,
        groups=shares,
    )


def street_window_points() -> dict[str, list[tuple[float, float]]]:
    """This zone's windows with coordinates, by street: one query for the whole city."""
    points: dict[str, list[tuple[float, float]]] = {}
    rows = (
        Window.objects.exclude(latitude=None)
        .exclude(longitude=None)
        .values_list("street_code", "latitude", "longitude")
    )
    for street, lat, lon in rows:
        points.setdefault(street, []).append((float(lat), float(lon)))
    return points


def community_point(
    community_code: str,
    street_code: str,
    centroid: tuple[float, float] | None,
    *,
    by_street: dict[str, list[tuple[float, float]]] | None = None,
) -> tuple[float, float]:
    """A community's representative point by the rule both zones share
    (`common/geo.py::community_point`), from this zone's windows of its street; the city's
    centre when there is nothing to place it by. `community_code` names the community asked
    about: every community of a street shares the point. `by_street`
    (`street_window_points`) saves a query per community when placing many."""
    del community_code
    windows = (by_street if by_street is not None else street_window_points_of(street_code)).get(
        street_code, []
    )
    point = geo.community_point(street_windows=windows, district_centre=centroid)
    return point if point is not None else CITY_CENTRE


def street_window_points_of(street_code: str) -> dict[str, list[tuple[float, float]]]:
    rows = (
        Window.objects.filter(street_code=street_code)
        .exclude(latitude=None)
        .exclude(longitude=None)
        .values_list("latitude", "longitude")
    )
    return {street_code: [(float(lat), float(lon)) for lat, lon in rows]}

"""Reads for stations and windows: jurisdiction by address, the window directory, the windows
a member of staff may manage, and the 15-minute coverage of the city's communities."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from onetrip.common import divisions
from onetrip.police.accounts.models import Role, StaffProfile
from onetrip.police.accounts.selectors import staff_profile, station_codes_in_scope

from .coverage import (
    SPEED_KMH,
    TRAVEL_MINUTES,
    Coverage,
    Place,
    community_point,
    coverage_of,
    street_window_points,
)
from .errors import WindowError, WindowNotFound
from .models import Station, Window


def station_by_code(code: str) -> Station | None:
    return Station.objects.filter(code=code).first()


def station_for_street(street_code: str) -> Station | None:
    """The station covering a street (街道/镇/乡), or None when no station covers it."""
    return Station.objects.filter(streets__street_code=street_code).first()


def station_for_community(community_code: str) -> Station | None:
    """The station whose jurisdiction holds the community: community → street → station.

    A community code unknown to the city's divisions gives None; the 12-digit code is never cut
    down to guess its street.
    """
    community = divisions.community(community_code)
    if community is None:
        return None
    return station_for_street(community.street_code)


def stations_in_district(district_code: str) -> QuerySet[Station]:
    return Station.objects.filter(district_code=district_code)


def street_codes_of(station: Station) -> list[str]:
    return list(station.streets.values_list("street_code", flat=True))


def windows_of(station: Station, *, active_only: bool = True) -> QuerySet[Window]:
    windows = Window.objects.filter(station=station)
    return windows.filter(active=True) if active_only else windows


def active_windows() -> QuerySet[Window]:
    """The public window directory (the "15-minute service circle"), with their stations."""
    return Window.objects.filter(active=True).select_related("station")


# -- windows as staff manage them -------------------------------------------------------------

# The station admin edits the windows of the station; district and city administrators see
# those of their scope without changing them. Other roles have no window settings to see.
MANAGING_ROLES = frozenset({Role.STATION_ADMIN, Role.DISTRICT_ADMIN, Role.CITY_ADMIN})


def window_may_manage(profile: StaffProfile | None) -> bool:
    """Whether a member of staff sees the window settings at all (the header link asks this)."""
    return profile is not None and profile.role in MANAGING_ROLES


def windows_visible_to(*, user: Any) -> QuerySet[Window]:
    """The windows in the user's scope, for managing roles; none for the others."""
    profile = staff_profile(user)
    if not window_may_manage(profile):
        return Window.objects.none()
    assert profile is not None
    codes = station_codes_in_scope(profile)
    windows = Window.objects.select_related("station", "calendar")
    return windows if codes is None else windows.filter(station__code__in=codes)


def windows_for_staff(*, user: Any) -> list[Window]:
    """The windows the user manages or oversees, by district, station and code; 403 for a role
    without window settings."""
    if not window_may_manage(staff_profile(user)):
        raise WindowError(
            "role_cannot_read",
            "您的岗位无权查看办证窗口设置",
            "Your role may not see the windows' settings",
            status=403,
        )
    return list(windows_visible_to(user=user).order_by("station__district_code", "code"))


def window_get_for_staff(*, user: Any, code: str) -> Window:
    """One window in the user's scope (with its station and calendar), else `WindowNotFound`:
    another station's window is not found, so its settings stay with those who manage it."""
    window = windows_visible_to(user=user).filter(code=code.strip()[:24]).first()
    if window is None:
        raise WindowNotFound(code)
    return window


# -- coverage: the 15-minute service circle ----------------------------------------------------


def coverage_may_view(profile: StaffProfile | None) -> bool:
    """The city's coverage is the city administrator's figure."""
    return profile is not None and profile.role == Role.CITY_ADMIN


def coverage_for_staff(*, user: Any) -> Coverage:
    """The share of the city's communities with an active window within the travel model's
    radius, and those outside with their nearest window. City administrators only (403).

    Communities have no coordinates in the divisions, so each gets the representative demo
    point of `coverage.community_point` (`COMMUNITY_POINTS_NOTE` says so on the page)."""
    if not coverage_may_view(staff_profile(user)):
        raise WindowError(
            "role_cannot_read",
            "只有市局管理员可以查看服务圈覆盖情况",
            "Only city administrators may see the service-circle coverage",
            status=403,
        )
    city = divisions.load()
    by_street = street_window_points()
    communities = []
    for district in city.districts():
        for street in city.streets_by_district.get(district.code, ()):
            for community in divisions.communities_of(street.code):
                lat, lon = community_point(
                    community.code, street.code, district.centroid, by_street=by_street
                )
                communities.append(
                    Place(community.code, f"{district.name}{street.name}{community.name}", lat, lon)
                )
    windows = [
        Place(w.code, w.name, float(w.latitude or 0), float(w.longitude or 0))
        for w in active_windows().exclude(latitude=None).exclude(longitude=None)
    ]
    return coverage_of(
        communities,
        windows,
        speed_kmh=SPEED_KMH,
        minutes=TRAVEL_MINUTES,
        groups={d.code: d.name for d in city.districts()},
    )

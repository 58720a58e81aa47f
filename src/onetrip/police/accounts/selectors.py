"""Reads for staff accounts: a user's profile and the stations their role lets them see."""

from __future__ import annotations

from typing import Any

from onetrip.police.stations.models import Station

from .models import STATION_ROLES, Role, StaffProfile


def staff_profile(user: Any) -> StaffProfile | None:
    """The staff profile of ``user``, or None (anonymous, or a user who is not staff)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return StaffProfile.objects.select_related("station").filter(user_id=user.pk).first()


def station_codes_in_scope(profile: StaffProfile) -> set[str] | None:
    """The station codes a staff member may work on; None means the whole city.

    Station roles see their own station, a district administrator every station of the district,
    a city administrator everything.
    """
    if profile.role == Role.CITY_ADMIN:
        return None
    if profile.role == Role.DISTRICT_ADMIN:
        return set(
            Station.objects.filter(district_code=profile.district_code).values_list(
                "code", flat=True
            )
        )
    if profile.role in STATION_ROLES and profile.station is not None:
        return {profile.station.code}
    return set()


def staff_of_station(station: Station) -> list[StaffProfile]:
    return list(StaffProfile.objects.filter(station=station).select_related("user"))


def staff_may_operate_ferry(profile: StaffProfile | None) -> bool:
    """Whether a member of staff may see the ferry page and act on it: city administrators.

    The ferry carries every station's traffic, and its actions (release, discard, clear an
    alarm) bear on the whole city."""
    return profile is not None and profile.role == Role.CITY_ADMIN

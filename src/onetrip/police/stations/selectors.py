"""Reads for stations and windows: jurisdiction by address, the window directory."""

from __future__ import annotations

from django.db.models import QuerySet

from onetrip.common import divisions

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

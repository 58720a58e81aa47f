"""Reads of the window directory (就近办): search, nearest first, one window, its week, the list
the city publishes and the schematic map. Pages, the CSV and the channel API all read through
these functions, so "which windows a resident sees" and "how far" are decided once.

Only active windows are shown to residents; an inactive one answers "not found" like an unknown
code. Distances are straight-line between approximate points (`geo`)."""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from onetrip.common import divisions
from onetrip.common import geo as common_geo
from onetrip.portal.booking.calendar import Rules

from . import geo
from .errors import WindowNotFound, community_unknown, location_incomplete, location_out_of_range
from .geo import Point
from .models import Window, WindowCalendar

logger = logging.getLogger(__name__)

NAME_QUERY_MAX = 50
WINDOW_CODE_MAX = 24  # Window.code and WindowPublishedV1.code


# --- Where the resident starts from ------------------------------------------------------------


def community_point(*, community_code: str) -> Point | None:
    """The representative point of a community (社区/村), for "nearest to a chosen community":
    `common/geo.py::community_point` fed with the windows of its street, the rule the police
    zone's coverage figure uses too. None for an unknown community (or one whose street has no
    placed window and whose district has no centre)."""
    community = divisions.community(community_code)
    if community is None:
        return None
    rows = Window.objects.filter(
        street_code=community.street_code, latitude__isnull=False, longitude__isnull=False
    ).values_list("latitude", "longitude")
    district = divisions.district(community.district_code)
    point = common_geo.community_point(
        street_windows=[(lat, lon) for lat, lon in rows if lat is not None and lon is not None],
        district_centre=district.centroid if district is not None else None,
    )
    return Point(*point) if point is not None else None


def windows_origin(
    *, lat: float | None = None, lon: float | None = None, community_code: str = ""
) -> Point | None:
    """The point to measure from: the browser's position when given (it is the more precise),
    else the chosen community's point, else None. Raises `LocationInvalid` for half a position,
    one off the globe, or an unknown community.

    A position is kept to three decimals (about 100 m): enough to rank windows, and no more of
    where a resident stands than that travels in links and logs."""
    if (lat is None) != (lon is None):
        raise location_incomplete()
    if lat is not None and lon is not None:
        try:
            checked = Point.checked(lat, lon)
        except ValueError as exc:
            raise location_out_of_range() from exc
        return Point(round(checked.lat, 3), round(checked.lon, 3))
    if community_code:
        point = community_point(community_code=community_code)
        if point is None:
            raise community_unknown()
        return point
    return None


# --- Search ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowHit:
    """A window as a search found it, with its distance from the origin when there is one."""

    window: Window
    distance_km: float | None

    @property
    def minutes(self) -> int | None:
        """About how long the trip takes by the stated model (`geo.TRAVEL_SPEED_KMH`)."""
        return None if self.distance_km is None else geo.travel_minutes(self.distance_km)

    @property
    def in_service_circle(self) -> bool:
        return self.distance_km is not None and self.distance_km <= geo.SERVICE_CIRCLE_KM


def window_point(window: Window) -> Point | None:
    if window.latitude is None or window.longitude is None:
        return None
    return Point(window.latitude, window.longitude)


def distance_km(window: Window, origin: Point | None) -> float | None:
    point = window_point(window)
    if origin is None or point is None:
        return None
    return geo.haversine_km(origin, point)


def windows_active() -> QuerySet[Window]:
    """The windows residents may see and book."""
    return Window.objects.filter(active=True)


def clean_name_query(raw: str) -> str:
    """What a search box may ask for: printable characters only (a NUL would break
    PostgreSQL), trimmed, at most `NAME_QUERY_MAX` characters."""
    return "".join(ch for ch in raw if ch.isprintable()).strip()[:NAME_QUERY_MAX]


def _is_code(value: str) -> bool:
    """Empty (not given) or digits, as every division code is."""
    return not value or (value.isascii() and value.isdigit())


def windows_search(
    *, district: str = "", street: str = "", name: str = "", origin: Point | None = None
) -> list[WindowHit]:
    """Active windows in the district and street (when given) whose name, station or address
    contains `name`; nearest first when there is an origin (windows without a position last),
    else in the directory's order (district, street, code)."""
    if not (_is_code(district) and _is_code(street)):
        return []  # no division has such a code; PostgreSQL would refuse a NUL in it anyway
    windows = windows_active()
    if district:
        windows = windows.filter(district_code=district)
    if street:
        windows = windows.filter(street_code=street)
    name = clean_name_query(name)
    if name:
        windows = windows.filter(
            Q(name__icontains=name) | Q(station_name__icontains=name) | Q(address__icontains=name)
        )
    hits = [WindowHit(w, distance_km(w, origin)) for w in windows]
    if origin is not None:
        hits.sort(
            key=lambda h: (h.distance_km is None, h.distance_km or 0.0, h.window.code),
        )
    return hits


def window_get(*, code: str) -> Window:
    """One active window; `WindowNotFound` for an unknown or inactive code."""
    if not code.isprintable() or len(code) > WINDOW_CODE_MAX:
        raise WindowNotFound()
    window = windows_active().filter(code=code).select_related("calendar").first()
    if window is None:
        raise WindowNotFound()
    return window


def _booking_engine() -> ModuleType | None:
    """The booking engine's selectors, imported when a slot is first asked for: the directory
    keeps working, without slots, where they cannot be imported (a deployment or test that
    leaves the booking app out). Its pure calendar reading (`booking.calendar`) has no such
    dependencies and is imported directly."""
    name = "onetrip.portal.booking.selectors"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name not in ("onetrip.portal.booking", name):
            raise
        return None


def _starts_at(slot: Any) -> dt.datetime | None:
    if slot is None or isinstance(slot, dt.datetime):
        return slot
    value = getattr(slot, "starts_at", None)
    return value if isinstance(value, dt.datetime) else None


def windows_next_free_slots(
    *, windows: Sequence[Window], now: dt.datetime
) -> dict[int, dt.datetime | None]:
    """When each window (by pk) can next take an online booking, from the booking engine; None
    for a window with nothing free, and for all while booking is not installed. Asks the
    engine once for the whole page (`next_free_slots`: a few queries, not a few per window)
    where it offers that."""
    engine = _booking_engine()
    if engine is None:
        return {w.pk: None for w in windows}
    batch = getattr(engine, "next_free_slots", None)
    if batch is not None:
        found = batch(windows=windows, now=now)
        return {w.pk: _starts_at(found.get(w.pk)) for w in windows}
    single = getattr(engine, "next_free_slot", None)
    if single is None:
        return {w.pk: None for w in windows}
    return {w.pk: _starts_at(single(window=w, now=now)) for w in windows}


def window_next_free_slot(*, window: Window, now: dt.datetime) -> dt.datetime | None:
    """When one window can next take an online booking (see `windows_next_free_slots`)."""
    return windows_next_free_slots(windows=[window], now=now)[window.pk]


# --- A window's week ---------------------------------------------------------------------------

# What kind of day it is at a window, for the week on the window page and in the API.
DAY_NOTE_LABELS: dict[str, Promise] = {
    "regular": gettext_lazy("正常办公"),
    "closed": gettext_lazy("休息日"),
    "holiday": gettext_lazy("节假日休息"),
    "workday": gettext_lazy("调休上班"),
    "closure": gettext_lazy("全天暂停办理"),
    "partial_closure": gettext_lazy("部分时段暂停办理"),
}


@dataclass(frozen=True)
class DayHours:
    """One day of a window's calendar as a resident reads it."""

    date: dt.date
    is_open: bool
    opens: dt.time | None = None
    closes: dt.time | None = None
    lunch_starts: dt.time | None = None
    lunch_ends: dt.time | None = None
    note: str = "regular"  # one of DAY_NOTE_LABELS
    closure_starts: dt.time | None = None
    closure_ends: dt.time | None = None
    closure_reason: str = ""


def window_day(*, rules: Rules, calendar: WindowCalendar, day: dt.date) -> DayHours:
    """A day's hours as a resident reads them. Which hours a day is worked with (a holiday
    closed, a make-up working day with its stand-in weekday's hours, closures) is the booking
    engine's reading of the calendar (`booking.calendar.Rules`), so the week shown and the
    slots offered never disagree; this adds only the words (the closure's reason)."""
    weekday = rules.weekday_of(day)
    if weekday is None:
        return DayHours(day, is_open=False, note="holiday")
    closures = rules.closures.get(day, ())
    reasons = [c.get("reason", "") for c in calendar.closures if c.get("date") == day.isoformat()]
    reason = next((r for r in reasons if r), "")
    if any(c.starts is None and c.ends is None for c in closures):
        return DayHours(day, is_open=False, note="closure", closure_reason=reason)
    hours = rules.hours.get(weekday, ())
    if not hours:
        return DayHours(day, is_open=False, note="closed")
    first = hours[0]
    partial = closures[0] if closures else None
    note = "workday" if day in rules.workdays else "regular"
    return DayHours(
        day,
        is_open=True,
        opens=first.opens,
        closes=first.closes,
        lunch_starts=first.lunch_starts,
        lunch_ends=first.lunch_ends,
        note="partial_closure" if partial else note,
        closure_starts=partial.starts if partial else None,
        closure_ends=partial.ends if partial else None,
        closure_reason=reason if partial else "",
    )


def window_week(*, window: Window, today: dt.date) -> list[DayHours]:
    """The seven days from `today`; empty when the window has no published calendar yet."""
    calendar = getattr(window, "calendar", None)
    if calendar is None:
        return []
    rules = Rules.of(calendar)
    return [
        window_day(rules=rules, calendar=calendar, day=today + dt.timedelta(days=n))
        for n in range(7)
    ]


# --- Names and the published list ---------------------------------------------------------------


def district_name(code: str) -> str:
    found = divisions.district(code)
    return found.name if found else code


def street_name(code: str) -> str:
    found = divisions.street(code) if code else None
    return found.name if found else code


def windows_published() -> QuerySet[Window]:
    """Every active window in the directory's order, for the list the city publishes."""
    return windows_active().order_by("district_code", "street_code", "code")


# --- The schematic map ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MapDistrict:
    code: str
    name: str
    x: float
    y: float
    r: float
    windows: int  # active windows in the whole district, drawn or not
    labelled: bool = True  # False where the label would sit among its neighbours' labels


@dataclass(frozen=True)
class MapDot:
    code: str
    name: str
    address: str
    x: float
    y: float


@dataclass(frozen=True)
class DirectoryMap:
    width: float
    height: float
    districts: Sequence[MapDistrict]
    dots: Sequence[MapDot]
    here: tuple[float, float] | None
    unplaced: int  # active windows without coordinates, not drawn
    dot_r: float
    # On the whole city's map, the frame (x, y, width, height) around the city centre's
    # crowded districts, a link that zooms to them.
    core_box: tuple[float, float, float, float] | None = None


# Areas the map can zoom to besides one district: the city centre's four districts, whose windows
# crowd into a few pixels on the whole city's map.
MAP_AREAS: dict[str, tuple[str, ...]] = {"core": ("330102", "330105", "330106", "330108")}
MAP_AREA_LABELS: dict[str, Promise] = {"core": gettext_lazy("城区中心（上城、拱墅、西湖、滨江）")}


def directory_map(*, area: str = "", origin: Point | None = None) -> DirectoryMap:
    """The city's 13 districts as labelled circles at their approximate centres and every active
    window as a dot, with "you are here". `area` (a district code or a key of `MAP_AREAS`)
    zooms to its districts' windows; empty shows the whole city."""
    centres = {d.code: Point(*d.centroid) for d in divisions.districts() if d.centroid is not None}
    zoomed = MAP_AREAS.get(area, (area,) if area else ())
    windows = windows_active()
    if zoomed:
        windows = windows.filter(district_code__in=zoomed)
    placed: list[tuple[Window, Point]] = []
    unplaced = 0
    for w in windows.only("code", "name", "address", "district_code", "latitude", "longitude"):
        point = window_point(w)
        if point is None:
            unplaced += 1
        else:
            placed.append((w, point))
    shown: list[Point] = [p for _, p in placed]
    shown.extend(c for code, c in centres.items() if not zoomed or code in zoomed)
    if origin is not None:
        shown.append(origin)
    if not shown:
        shown = list(centres.values()) or [Point(30.27, 120.15)]
    projection = geo.Projection.fitting(shown)
    counts = dict(
        windows_active()
        .order_by()
        .values_list("district_code")
        .annotate(n=Count("id"))
        .values_list("district_code", "n")
    )
    radii = geo.district_radii_km(centres)
    districts_drawn = []
    for code, centre in centres.items():
        x, y = projection.xy(centre)
        districts_drawn.append(
            MapDistrict(
                code=code,
                name=district_name(code),
                x=x,
                y=y,
                r=round(radii[code] * projection.units_per_km, 1),
                windows=counts.get(code, 0),
            )
        )
    dots = [MapDot(w.code, w.name, w.address, *projection.xy(p)) for w, p in placed]
    core_box = None
    if not zoomed:
        core = MAP_AREAS["core"]
        corners = [projection.xy(c) for code, c in centres.items() if code in core]
        corners += [projection.xy(p) for w, p in placed if w.district_code in core]
        if corners:
            pad = 12.0
            left = min(x for x, _ in corners) - pad
            top = min(y for _, y in corners) - pad
            width = max(x for x, _ in corners) + pad - left
            height = max(y for _, y in corners) + pad - top
            core_box = (round(left, 1), round(top, 1), round(width, 1), round(height, 1))
            districts_drawn = [replace(d, labelled=d.code not in core) for d in districts_drawn]
    return DirectoryMap(
        width=projection.width,
        height=projection.height,
        districts=districts_drawn,
        dots=dots,
        here=projection.xy(origin) if origin is not None else None,
        unplaced=unplaced,
        # Big enough to tap when zoomed in; small enough not to cover each other city-wide.
        dot_r=12.0 if zoomed else 6.0,
        core_box=core_box,
    )

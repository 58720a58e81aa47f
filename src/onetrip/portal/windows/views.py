"""Pages of the window directory (就近办): find a window by district, street or name, or the
nearest to the browser's position or a chosen community; one window with its week; a map drawn
here as SVG (no tile service); the list the city publishes, as a page and a CSV file.

Mobile-first and without JavaScript: every form is GET, so a result is a link that can be
shared and reloaded; the only script fills the browser's position into the "nearest" form.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from onetrip.common import divisions
from onetrip.contracts.booking import BOOKING_SERVICE_LABELS

from . import geo
from .errors import LocationInvalid, WindowNotFound, location_out_of_range
from .geo import Point
from .models import Window
from .selectors import (
    MAP_AREA_LABELS,
    MAP_AREAS,
    WindowHit,
    directory_map,
    distance_km,
    district_name,
    street_name,
    window_get,
    window_next_free_slot,
    window_week,
    windows_next_free_slots,
    windows_origin,
    windows_published,
    windows_search,
)

PAGE_SIZE = 20
COORDINATE = re.compile(r"[+-]?[0-9]{1,3}(\.[0-9]{1,8})?", re.ASCII)
PHONE_NUMBER = re.compile(r"\+?[0-9][0-9\- ]{4,}[0-9]")
APPLICATION_REFERENCE = re.compile(r"[A-Za-z0-9]{1,32}", re.ASCII)


# --- Reading the query string ------------------------------------------------------------------


Params = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Origin:
    """Where distances are measured from, as the query string gives it, and what every link
    of the directory carries on: the starting point (so a window's page says how far it is)
    and the permit application being booked for (booking's "选择窗口" link sends it, and the
    window's booking page reads it)."""

    point: Point | None = None
    label: str = ""
    params: Params = ()  # the starting point again
    carried: Params = ()  # the application reference, when given
    error: str = ""
    error_field: str = ""

    @property
    def query(self) -> str:
        """For links: the starting point and what is carried on."""
        return urlencode([*self.params, *self.carried])

    @property
    def from_community(self) -> bool:
        return any(key == "community" for key, _ in self.params)

    @property
    def application(self) -> str:
        return dict(self.carried).get("application", "")


def _coordinate(raw: str) -> float | None:
    raw = raw.strip()
    if not raw:
        return None
    if not COORDINATE.fullmatch(raw):
        raise location_out_of_range()
    return float(raw)


def _origin(get: QueryDict) -> Origin:
    application = get.get("application", "").strip()
    carried: Params = (
        (("application", application),) if APPLICATION_REFERENCE.fullmatch(application) else ()
    )
    community = get.get("community", "").strip()
    near_district = get.get("near_district", "")
    if community and near_district and not community.startswith(near_district):
        # The district was changed in the "nearest" form: the community chosen before is stale.
        community = ""
    try:
        lat = _coordinate(get.get("lat", ""))
        lon = _coordinate(get.get("lon", ""))
        point = windows_origin(lat=lat, lon=lon, community_code=community)
    except LocationInvalid as exc:
        return Origin(carried=carried, error=exc.message, error_field=exc.field)
    if point is None:
        return Origin(carried=carried)
    if lat is not None:
        params = (("lat", f"{point.lat:.3f}"), ("lon", f"{point.lon:.3f}"))
        return Origin(point=point, label=_("您的位置"), params=params, carried=carried)
    return Origin(
        point=point,
        label=divisions.community_label(community),
        params=(("community", community),),
        carried=carried,
    )


def _district(raw: str) -> str:
    found = divisions.district(raw) if raw else None
    return found.code if found is not None and found.current else ""


def _filters(get: QueryDict) -> tuple[str, str, str]:
    """District, street and name as asked; a street outside the chosen district is dropped,
    and a street alone implies its district."""
    district = _district(get.get("district", ""))
    street = divisions.street(get.get("street", "")) if get.get("street") else None
    if street is not None and district and street.district_code != district:
        street = None
    if street is not None and not district:
        district = street.district_code
    return district, street.code if street is not None else "", get.get("name", "")[:100]


# --- What a page shows of a window ----------------------------------------------------------------


def tel_uri(phone: str) -> str:
    """`tel:` link of the first number in a published phone field ("" when there is none)."""
    found = PHONE_NUMBER.search(phone)
    return "tel:" + re.sub(r"[^0-9+]", "", found.group()) if found else ""


def booking_url(window: Window, *, carried: Params = ()) -> str:
    """The booking page of the window (with the application being booked for), once the
    booking pages are installed."""
    try:
        url = reverse("booking:window", args=[window.code])
    except NoReverseMatch:
        return ""
    return f"{url}?{urlencode(carried)}" if carried else url


@dataclass(frozen=True)
class WindowRow:
    """One window as the directory, the map's list and the window page show it."""

    hit: WindowHit
    district_name: str
    street_name: str
    tel: str
    detail_url: str
    booking_url: str
    next_free: Any  # an aware datetime, or None
    next_free_today: bool
    services: list[str]

    @property
    def window(self) -> Window:
        return self.hit.window


def _row(hit: WindowHit, *, origin: Origin, now: Any, next_free: Any) -> WindowRow:
    window = hit.window
    detail = reverse("windows:detail", args=[window.code])
    return WindowRow(
        hit=hit,
        district_name=district_name(window.district_code),
        street_name=street_name(window.street_code),
        tel=tel_uri(window.phone),
        detail_url=f"{detail}?{origin.query}" if origin.query else detail,
        booking_url=booking_url(window, carried=origin.carried),
        next_free=next_free,
        next_free_today=bool(
            next_free and timezone.localdate(next_free) == timezone.localdate(now)
        ),
        services=[str(BOOKING_SERVICE_LABELS.get(s, s)) for s in window.services],
    )


def _common_context(origin: Origin) -> dict[str, Any]:
    return {
        "origin": origin,
        "circle_minutes": geo.SERVICE_CIRCLE_MINUTES,
        "circle_km": geo.SERVICE_CIRCLE_KM,
        "speed_kmh": geo.TRAVEL_SPEED_KMH,
    }


# --- Pages ---------------------------------------------------------------------------------------


@require_safe
def directory(request: HttpRequest) -> HttpResponse:
    """Search (district, street, name) and "nearest" (the browser's position or a community)
    in one list: with a starting point the list is nearest first and each window says how far."""
    get = request.GET
    district, street, name = _filters(get)
    origin = _origin(get)
    hits = windows_search(district=district, street=street, name=name, origin=origin.point)
    page = Paginator(hits, PAGE_SIZE).get_page(get.get("page"))
    now = timezone.now()
    others = get.copy()
    others.pop("page", None)
    slots = windows_next_free_slots(windows=[hit.window for hit in page], now=now)
    near_district = _district(get.get("near_district", ""))
    community = divisions.community(get.get("community", "")) if get.get("community") else None
    if community is not None and near_district and community.district_code != near_district:
        community = None
    if not near_district and community is not None:
        near_district = community.district_code
    context = {
        **_common_context(origin),
        "districts": [d for d in divisions.districts() if d.current],
        "streets": divisions.streets_of(district) if district else [],
        "district": district,
        "street": street,
        "name": name,
        "near_district": near_district,
        "community": community.code if community is not None else "",
        "community_groups": [
            (s, divisions.communities_of(s.code)) for s in divisions.streets_of(near_district)
        ]
        if near_district
        else [],
        "rows": [_row(hit, origin=origin, now=now, next_free=slots[hit.window.pk]) for hit in page],
        "page": page,
        "count": len(hits),
        "page_query": others.urlencode(),
        "map_query": "&".join(
            q for q in (urlencode({"district": district}) if district else "", origin.query) if q
        ),
        "searched": bool(district or street or name.strip()),
    }
    return render(request, "windows/directory.html", context, status=400 if origin.error else 200)


@require_safe
def detail(request: HttpRequest, code: str) -> HttpResponse:
    """One window: where, how to call, when it is open this week, how far, and booking."""
    try:
        window = window_get(code=code)
    except WindowNotFound as exc:
        raise Http404(exc.code) from exc
    origin = _origin(request.GET)
    hit = WindowHit(window, distance_km(window, origin.point))
    now = timezone.now()
    context = {
        **_common_context(origin),
        "row": _row(
            hit, origin=origin, now=now, next_free=window_next_free_slot(window=window, now=now)
        ),
        "week": window_week(window=window, today=timezone.localdate(now)),
        "today": timezone.localdate(now),
        "map_query": "&".join(
            q
            for q in (
                urlencode({"district": window.district_code, "window": window.code}),
                origin.query,
            )
            if q
        ),
    }
    return render(request, "windows/detail.html", context)


@require_safe
def city_map(request: HttpRequest) -> HttpResponse:
    """The schematic map: districts as labelled circles, windows as dots that link to their
    pages, "you are here" when a starting point is known; a district zooms in."""
    area = request.GET.get("district", "")
    if area not in MAP_AREAS:
        area = _district(area)
    origin = _origin(request.GET)
    drawn = directory_map(area=area, origin=origin.point)
    if area in MAP_AREAS:
        area_name = str(MAP_AREA_LABELS[area])
    else:
        area_name = district_name(area) if area else ""
    # Each dot links to its window; the URL is split around the code once, not reversed 199 times.
    detail_prefix, detail_rest = reverse("windows:detail", args=["CODE"]).split("CODE")
    context = {
        **_common_context(origin),
        "map": drawn,
        "district": area,
        # The window whose page led here, drawn apart from the others.
        "current": request.GET.get("window", "")[:24],
        "district_name": area_name,
        "areas": list(MAP_AREA_LABELS.items()),
        "list_query": "" if area in MAP_AREAS else area,
        "districts": [d for d in divisions.districts() if d.current],
        "detail_prefix": detail_prefix,
        "detail_suffix": detail_rest + (f"?{origin.query}" if origin.query else ""),
        "zoom_suffix": f"&{origin.query}" if origin.query else "",
    }
    return render(request, "windows/map.html", context, status=400 if origin.error else 200)


def _published_rows() -> list[dict[str, str]]:
    return [
        {
            "code": w.code,
            "district": district_name(w.district_code),
            "street": street_name(w.street_code),
            "station": w.station_name,
            "name": w.name,
            "address": w.address,
            "phone": w.phone,
            "tel": tel_uri(w.phone),
            "hours": w.opening_hours_text,
        }
        for w in windows_published()
    ]


@require_safe
def published(request: HttpRequest) -> HttpResponse:
    """The list the city publishes: every active window with its station, address, phone and
    hours, grouped by district."""
    rows = _published_rows()
    groups: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        groups.setdefault(row["district"], []).append(row)
    return render(
        request, "windows/published.html", {"groups": list(groups.items()), "count": len(rows)}
    )


CSV_COLUMNS = ("code", "district", "street", "station", "name", "address", "phone", "hours")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PHONE_LIKE = re.compile(r"[+-]?[0-9 ()\-]+")


def csv_cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection); phone numbers such as
    +86… stay as they are."""
    if value.startswith(FORMULA_START) and not PHONE_LIKE.fullmatch(value):
        return "'" + value
    return value


@require_safe
def published_csv(request: HttpRequest) -> HttpResponse:
    """The published list as CSV, UTF-8 with a byte-order mark so spreadsheet programs read
    the Chinese correctly."""
    headers = {
        "code": _("窗口编号"),
        "district": _("区县"),
        "street": _("街道（乡镇）"),
        "station": _("所属派出所"),
        "name": _("窗口名称"),
        "address": _("地址"),
        "phone": _("联系电话"),
        "hours": _("办公时间"),
    }
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([headers[c] for c in CSV_COLUMNS])
    for row in _published_rows():
        writer.writerow([csv_cell(row[c]) for c in CSV_COLUMNS])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        content_disposition_header(
            as_attachment=True, filename=f"hangzhou-windows-{timezone.localdate():%Y%m%d}.csv"
        )
        or "attachment"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response

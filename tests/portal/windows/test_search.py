"""Searching the directory: by district, street and name, only active windows, nearest first
by straight-line distance from a position or a community."""

from __future__ import annotations

import pytest

from onetrip.common.errors import ApplicationError
from onetrip.portal.windows.geo import Point, haversine_km
from onetrip.portal.windows.selectors import WindowHit, window_get, windows_origin, windows_search

from .helpers import BEISHAN, CUIYUAN_CLOSED, HUBIN, QIANDAOHU, XIXI, publish, publish_all

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def codes(hits: list[WindowHit]) -> list[str]:
    return [h.window.code for h in hits]


def test_without_filters_every_active_window_in_directory_order():
    publish_all()
    assert codes(windows_search()) == [HUBIN, BEISHAN, XIXI, QIANDAOHU]


def test_an_inactive_window_is_neither_found_nor_shown():
    publish_all()
    assert CUIYUAN_CLOSED not in codes(windows_search(district="330106"))
    assert CUIYUAN_CLOSED not in codes(windows_search(name="翠苑"))
    with pytest.raises(ApplicationError) as raised:
        window_get(code=CUIYUAN_CLOSED)
    assert raised.value.status == 404
    with pytest.raises(ApplicationError):
        window_get(code="no-such-window")


def test_a_window_that_closes_disappears_and_one_that_reopens_comes_back():
    publish_all()
    publish(BEISHAN, active=False)
    assert BEISHAN not in codes(windows_search())
    publish(BEISHAN, active=True)
    assert BEISHAN in codes(windows_search())


def test_search_by_district_street_and_name():
    publish_all()
    assert codes(windows_search(district="330106")) == [BEISHAN, XIXI]
    assert codes(windows_search(district="330106", street="330106004")) == [XIXI]
    assert codes(windows_search(street="330102003")) == [HUBIN]
    # The name matches the window's name, the station or the address.
    assert codes(windows_search(name="北山")) == [BEISHAN]
    assert codes(windows_search(name="湖滨派出所")) == [HUBIN]
    assert codes(windows_search(name="文三路")) == [XIXI]
    assert codes(windows_search(district="330102", name="北山")) == []
    assert codes(windows_search(district="999999")) == []


def test_the_name_query_is_trimmed_and_control_characters_dropped():
    publish_all()
    assert codes(windows_search(name="  北山\x00 ")) == [BEISHAN]
    assert codes(windows_search(name="\x00")) == codes(windows_search())


def test_nearest_first_with_straight_line_distances():
    windows = publish_all()
    origin = Point(30.262, 120.150)  # at the 北山 window
    hits = windows_search(origin=origin)
    assert codes(hits) == [BEISHAN, HUBIN, XIXI, QIANDAOHU]
    assert [round(h.distance_km or 0, 2) for h in hits] == [0.0, 1.51, 2.4, 129.53]
    for hit in hits:
        w = windows[hit.window.code]
        assert hit.distance_km == pytest.approx(
            haversine_km(origin, Point(w.latitude, w.longitude))  # type: ignore[arg-type]
        )
    assert [h.in_service_circle for h in hits] == [True, True, True, False]
    assert hits[-1].minutes == 519  # 129.5 km at 15 km/h, rounded up


def test_nearest_within_a_filter_and_windows_without_a_position_last():
    publish_all()
    publish("33010650009001", district_code="330106", street_code="330106002", name="北山临时窗口")
    hits = windows_search(district="330106", origin=Point(30.275, 120.130))
    assert codes(hits) == [XIXI, BEISHAN, "33010650009001"]
    assert hits[-1].distance_km is None and hits[-1].minutes is None


def test_the_origin_is_a_whole_position_a_community_or_nothing():
    publish_all()
    assert windows_origin() is None
    assert windows_origin(lat=30.2621234, lon=120.1504321) == Point(30.262, 120.150)
    with pytest.raises(ApplicationError) as half:
        windows_origin(lat=30.26)
    assert half.value.code == "location_incomplete"
    with pytest.raises(ApplicationError) as off:
        windows_origin(lat=95, lon=120)
    assert off.value.code == "location_invalid"
    with pytest.raises(ApplicationError) as unknown:
        windows_origin(community_code="330106002999")
    assert (unknown.value.code, unknown.value.field) == ("community_unknown", "community")
    # A position wins over a community: it is the more precise.
    assert windows_origin(lat=30.0, lon=120.0, community_code="330106002001") == Point(30, 120)


def test_codes_no_division_or_window_has_find_nothing_without_asking_the_database():
    publish_all()
    assert windows_search(district="33\x00106") == []
    assert windows_search(street="abc") == []
    for code in (f"{BEISHAN}\x00", "9" * 25):
        with pytest.raises(ApplicationError):
            window_get(code=code)

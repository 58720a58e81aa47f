"""The directory pages work without JavaScript: every form is GET (a result is a link), the
search filters, "nearest" from a position or a community, each window with its address, phone,
hours, distance, next free slot and booking link, and the window page with its week."""

from __future__ import annotations

import datetime as dt
import re
import sys
import types

import pytest
from django.urls import reverse
from django.utils import timezone

from onetrip.contracts.booking import ClosureV1, WorkdayV1
from onetrip.portal.windows.views import PAGE_SIZE, tel_uri

from .helpers import (
    BEISHAN,
    CUIYUAN_CLOSED,
    HUBIN,
    QIANDAOHU,
    XIXI,
    publish,
    publish_all,
    publish_calendar,
)

pytestmark = pytest.mark.django_db(databases=["default", "police"])

BOOKING_SELECTORS = "onetrip.portal.booking.selectors"


def listed(html: str) -> list[str]:
    """The window codes of the result list, in order."""
    return re.findall(r'<li class="window" id="window-[^"]+" data-code="([^"]+)"', html)


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.content[:500]
    return response.content.decode()


@pytest.fixture
def no_booking(monkeypatch):
    """Booking is not installed: its selectors cannot be imported."""
    monkeypatch.setitem(sys.modules, BOOKING_SELECTORS, None)


@pytest.fixture
def booking_engine(monkeypatch):
    """A stand-in for the booking engine's `next_free_slot`: 北山 has a slot now, 西溪 none,
    the others in three days."""
    module = types.ModuleType(BOOKING_SELECTORS)

    def next_free_slot(window, now):
        if window.code == XIXI:
            return None
        return now if window.code == BEISHAN else now + dt.timedelta(days=3)

    module.next_free_slot = next_free_slot  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, BOOKING_SELECTORS, module)


def test_the_home_page_and_the_navigation_lead_to_the_directory(client):
    html = page(client, "/")
    nav = html[html.index('<nav class="site-nav"') : html.index("</nav>")]
    assert '<a href="/windows/">就近办</a>' in nav
    assert '<h2 class="service__title"><a href="/windows/">' in html
    assert 'aria-current="page">就近办' in page(client, "/windows/")


def test_every_form_is_get_and_the_page_needs_no_script(client):
    publish_all()
    for url in ("/windows/", "/windows/map/"):
        html = page(client, url)
        forms = re.findall(r"<form [^>]*>", html)
        ours = [f for f in forms if "lang-switch" not in f]
        assert ours and all('method="get"' in f for f in ours), ours
    html = page(client, "/windows/")
    # The position button appears only when the script runs; the community choice does not
    # need it.
    assert 'id="locate-block" hidden' in html
    assert re.search(r'<script src="[^"]*windows/directory\.js" defer></script>', html)
    assert '<select id="community" name="community">' in html


def test_all_active_windows_are_listed_without_a_search(client):
    publish_all()
    html = page(client, "/windows/")
    assert listed(html) == [HUBIN, BEISHAN, XIXI, QIANDAOHU]
    assert CUIYUAN_CLOSED not in html


def test_search_by_district_street_and_name(client):
    publish_all()
    html = page(client, "/windows/?district=330106")
    assert listed(html) == [BEISHAN, XIXI]
    assert '<option value="330106004">西溪街道</option>' in html  # the district's streets
    assert listed(page(client, "/windows/?district=330106&street=330106004")) == [XIXI]
    assert listed(page(client, "/windows/?name=%E6%B9%96%E6%BB%A8")) == [HUBIN]  # 湖滨
    # A street alone implies its district; a street outside the chosen district is dropped.
    html = page(client, "/windows/?street=330102003")
    assert listed(html) == [HUBIN] and '<option value="330102" selected>' in html
    assert listed(page(client, "/windows/?district=330106&street=330102003")) == [BEISHAN, XIXI]
    assert 'id="no-results"' in page(client, "/windows/?name=nowhere")


def test_nearest_to_the_browsers_position(client):
    publish_all()
    html = page(client, "/windows/?lat=30.262&lon=120.150&community=")
    assert listed(html) == [BEISHAN, HUBIN, XIXI, QIANDAOHU]
    assert re.findall(r'data-km="([0-9.]+)"', html) == ["0.00", "1.51", "2.40", "129.53"]
    assert "离您的位置最近的窗口" in html
    assert html.count("15分钟服务圈内</span>") == 3
    assert "直线约 129.5 公里，约 519 分钟" in html
    # The link to a window keeps the position, so its page says how far it is.
    assert f'href="/windows/{HUBIN}/?lat=30.262&amp;lon=120.150"' in html
    assert 'id="approximate-note"' in html


def test_nearest_to_a_chosen_community(client):
    publish_all()
    # Without a script: choose the district, list its communities, then choose one.
    html = page(client, "/windows/?near_district=330102&list=1&lat=&lon=")
    assert '<optgroup label="湖滨街道">' in html
    assert '<option value="330102003001">湖滨社区</option>' in html
    html = page(client, "/windows/?lat=&lon=&near_district=330102&community=330102003001")
    assert listed(html)[:2] == [HUBIN, BEISHAN]
    assert "离上城区 湖滨街道 湖滨社区最近的窗口" in html
    assert '<option value="330102003001" selected>' in html


def test_listing_the_communities_comes_back_to_the_form_not_to_the_results(client):
    """The searches land on their results (#results); listing a district's communities lands
    where the resident chooses one of them next."""
    html = page(client, "/windows/")
    button = re.search(r'<button[^>]*id="list-communities"[^>]*>', html).group(0)
    assert 'formaction="/windows/#near-form"' in button
    assert 'id="near-form"' in html and 'id="community"' in html
    assert 'action="/windows/#results" class="card" id="near-form"' in html


def test_a_community_of_another_district_than_the_one_now_chosen_is_ignored(client):
    publish_all()
    html = page(client, "/windows/?near_district=330106&community=330102003001&list=1")
    assert 'id="results-title">全部窗口</h2>' in html
    assert listed(html) == [HUBIN, BEISHAN, XIXI, QIANDAOHU]


@pytest.mark.parametrize(
    "query", ["lat=30.26&lon=", "lat=abc&lon=120", "lat=95&lon=120", "community=330106002999"]
)
def test_a_location_that_cannot_be_used_is_explained(client, query):
    publish_all()
    html = page(client, f"/windows/?{query}", status=400)
    assert 'id="location-error"' in html
    assert listed(html) == [HUBIN, BEISHAN, XIXI, QIANDAOHU]  # the list still shows


@pytest.mark.urls("tests.portal.windows.urls_without_booking")
def test_each_window_shows_address_phone_and_hours(client, no_booking):
    publish_all()
    html = page(client, "/windows/?district=330106&street=330106002")
    assert "杭州市西湖区北山路262号" in html
    assert '<a href="tel:057185601989">0571-85601989</a>' in html
    assert "周一至周五 08:30-12:00, 13:30-17:00" in html
    # No starting point: no distance; no booking engine: no slot and no booking link.
    assert "data-km" not in html
    assert "最早可约" not in html and "预约办理" not in html


def test_the_next_free_slot_and_the_booking_link_come_from_booking(client, booking_engine):
    publish_all()
    html = page(client, "/windows/?district=330106")
    beishan, xixi = html.split(f'data-code="{XIXI}"')
    assert re.search(r'<dd class="window__slot">今天 [0-2][0-9]:[0-5][0-9]</dd>', beishan)
    assert f'href="{reverse("booking:window", args=[BEISHAN])}">预约办理</a>' in beishan
    assert "近期暂无可预约时段" in xixi
    later = timezone.localdate() + dt.timedelta(days=3)
    assert f"{later:%Y-%m-%d}" in page(client, f"/windows/{HUBIN}/")


def test_the_booking_engines_own_next_free_slot_is_shown(client):
    """With the real engine: a window with a published calendar has a slot within its
    horizon; one without a calendar has none."""
    publish_all()
    publish_calendar(BEISHAN)
    html = page(client, "/windows/?district=330106")
    beishan, xixi = html.split(f'data-code="{XIXI}"')
    slot = r'<dd class="window__slot">(今天|[0-9]{4}-[0-9]{2}-[0-9]{2} \S+) [0-2][0-9]:[0-5][0-9]<'
    assert re.search(slot, beishan)
    assert "近期暂无可预约时段" in xixi


@pytest.mark.urls("tests.portal.windows.urls_without_booking")
def test_without_booking_pages_there_is_no_booking_link(client, booking_engine):
    publish_all()
    html = page(client, "/windows/")
    assert "预约办理" not in html
    assert 'class="window__slot">今天 ' in html  # the slot still shows


def test_the_list_is_paged_and_the_pages_keep_the_search(client):
    for n in range(PAGE_SIZE + 5):
        publish(f"3301065000{n:04d}", district_code="330106", street_code="330106002")
    publish(HUBIN)
    html = page(client, "/windows/?district=330106")
    assert len(listed(html)) == PAGE_SIZE
    assert 'href="?district=330106&amp;page=2#results"' in html
    html = page(client, "/windows/?district=330106&page=2")
    assert len(listed(html)) == 5 and HUBIN not in listed(html)
    assert '<ol class="window-list" start="21">' in html


def test_the_window_page_shows_everything_and_the_week(client):
    publish_all()
    today = timezone.localdate()
    days = [today + dt.timedelta(days=n) for n in range(7)]
    weekdays = [d for d in days[1:] if d.weekday() < 5]
    saturday = next(d for d in days if d.weekday() == 5)
    publish_calendar(
        BEISHAN,
        holidays=[weekdays[0]],
        workdays=[WorkdayV1(date=saturday, as_weekday=0)],
        closures=[
            ClosureV1(date=weekdays[1], reason="系统升级"),
            ClosureV1(date=weekdays[2], starts=dt.time(14, 0), ends=dt.time(16, 0)),
        ],
    )
    html = page(client, f"/windows/{BEISHAN}/?community=330102003001")
    assert "北山派出所户籍窗口" in html and "杭州市西湖区北山路262号" in html
    assert 'href="tel:057185601989"' in html
    assert "居住证首次申领、居住证签注" in html
    assert 'id="distance" data-km="1.51"' in html and "距上城区 湖滨街道 湖滨社区" in html
    rows = dict(re.findall(r'<tr[^>]*data-date="([0-9-]+)" data-open="([01])"', html))
    assert list(rows) == [f"{d:%Y-%m-%d}" for d in days]
    assert rows[f"{weekdays[0]:%Y-%m-%d}"] == "0"
    assert rows[f"{weekdays[1]:%Y-%m-%d}"] == "0"
    assert rows[f"{weekdays[2]:%Y-%m-%d}"] == "1"
    assert rows[f"{saturday:%Y-%m-%d}"] == "1"
    assert "节假日休息" in html and "暂停办理（系统升级）" in html
    assert "14:00–16:00 暂停办理" in html and "调休上班" in html
    assert "午休 12:00–13:30" in html
    assert 'class="week__today"' in html
    map_link = f"/windows/map/?district=330106&amp;window={BEISHAN}&amp;community=330102003001"
    assert map_link in html


def test_a_window_without_a_calendar_says_so(client):
    publish(BEISHAN)
    assert 'id="no-calendar"' in page(client, f"/windows/{BEISHAN}/")


def test_an_inactive_or_unknown_window_page_is_not_found(client):
    publish_all()
    assert client.get(f"/windows/{CUIYUAN_CLOSED}/").status_code == 404
    assert client.get("/windows/nothing-here/").status_code == 404


@pytest.mark.parametrize(
    "phone, uri",
    [
        ("0571-85601989", "tel:057185601989"),
        ("0571-85601989、0571-85601990", "tel:057185601989"),
        ("+86 571 8560 1989", "tel:+8657185601989"),
        ("请到窗口咨询", ""),
        ("", ""),
    ],
)
def test_the_phone_link_dials_the_first_number(phone, uri):
    assert tel_uri(phone) == uri


def test_the_application_being_booked_for_is_carried_to_the_booking_page(client):
    """Booking's "选择窗口" link opens the directory with the application; every form and link
    of the directory keeps it, up to the window's booking page, which reads it."""
    publish_all()
    reference = "JZ26112012345678"
    html = page(client, f"/windows/?application={reference}&district=330106")
    assert 'id="booking-for"' in html and reference in html
    hidden = f'<input type="hidden" name="application" value="{reference}">'
    assert html.count(hidden) == 2  # the "nearest" form and the search form
    booking = reverse("booking:window", args=[BEISHAN])
    assert f'href="{booking}?application={reference}"' in html
    assert f'href="/windows/{BEISHAN}/?application={reference}"' in html
    html = page(client, f"/windows/{BEISHAN}/?lat=30.262&lon=120.150&application={reference}")
    assert f'href="{booking}?application={reference}"' in html
    map_html = page(client, f"/windows/map/?application={reference}")
    assert f'href="/windows/{BEISHAN}/?application={reference}"' in map_html
    # Anything that cannot be a reference is not carried.
    assert 'name="application"' not in page(client, "/windows/?application=%3Cscript%3E")

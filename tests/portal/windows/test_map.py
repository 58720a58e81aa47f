"""The map is drawn here, as one inline SVG: the 13 districts labelled at their approximate
centres, a dot per active window (a link with a title), "you are here" when a starting point
is known, and nothing fetched from another host."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from onetrip.portal.windows import selectors
from tests.api_document import URL

from .helpers import BEISHAN, CUIYUAN_CLOSED, HUBIN, QIANDAOHU, XIXI, publish, publish_all

pytestmark = pytest.mark.django_db(databases=["default", "police"])

CSS = Path(selectors.__file__).parent / "static" / "windows" / "windows.css"


def svg_of(html: str) -> str:
    found = re.search(r"<svg .*?</svg>", html, re.S)
    assert found, "no inline SVG"
    return found.group()


def dots(svg: str) -> list[str]:
    return re.findall(r'<a href="[^"]+" class="map-dot" data-code="([^"]+)">', svg)


def test_a_dot_per_active_window_and_a_circle_per_district(client):
    publish_all()
    publish("33010650007001", latitude=None, longitude=None)  # no position: not drawn
    html = client.get("/windows/map/").content.decode()
    svg = svg_of(html)
    assert sorted(dots(svg)) == sorted([BEISHAN, XIXI, HUBIN, QIANDAOHU])
    assert CUIYUAN_CLOSED not in svg
    assert len(re.findall(r"<a href=\"\?district=[0-9]{6}\" data-district=", svg)) == 13
    for name in ("临平区", "萧山区", "淳安县", "建德市"):
        assert f">{name}</text>" in svg
    assert "另有 1 个窗口暂无位置信息" in html


def test_each_dot_is_a_link_with_a_title(client):
    publish_all()
    svg = svg_of(client.get("/windows/map/").content.decode())
    link = re.search(
        rf'<a href="([^"]+)" class="map-dot" data-code="{BEISHAN}"><title>([^<]+)', svg
    )
    assert link is not None
    assert link.group(1) == f"/windows/{BEISHAN}/"
    assert link.group(2) == "北山派出所户籍窗口，杭州市西湖区北山路262号"
    assert 'aria-labelledby="map-title map-desc"' in svg


def test_nothing_comes_from_another_host(client):
    publish_all()
    html = client.get("/windows/map/?lat=30.262&lon=120.15").content.decode()
    assert URL.findall(html) == []
    svg = svg_of(html)
    assert "<image" not in svg and "<script" not in svg and "xlink" not in svg
    assert "url(" not in CSS.read_text()


def test_you_are_here_when_a_position_or_community_is_known(client):
    publish_all()
    assert 'id="map-here"' not in client.get("/windows/map/").content.decode()
    html = client.get("/windows/map/?lat=30.262&lon=120.150").content.decode()
    assert 'id="map-here"' in svg_of(html) and "您在这里" in html
    # The dots link to the window pages with the distance kept.
    assert f'href="/windows/{BEISHAN}/?lat=30.262&amp;lon=120.150"' in html
    html = client.get("/windows/map/?community=330102003001").content.decode()
    assert 'id="map-here"' in svg_of(html)


def test_a_district_zooms_in_to_its_windows(client):
    publish_all()
    html = client.get("/windows/map/?district=330106").content.decode()
    assert sorted(dots(svg_of(html))) == sorted([BEISHAN, XIXI])
    assert "西湖区办理窗口分布图" in html and 'id="whole-city"' in html


def test_199_windows_make_one_light_svg(client):
    for n in range(199):
        publish(
            f"3301065001{n:04d}",
            latitude=30.0 + (n % 20) * 0.02,
            longitude=119.5 + (n // 20) * 0.09,
        )
    svg = svg_of(client.get("/windows/map/").content.decode())
    assert len(dots(svg)) == 199
    assert len(svg.encode()) < 60_000
    coordinates = re.findall(r'<circle cx="([0-9.]+)" cy="([0-9.]+)"', svg)
    viewbox = re.search(r'viewBox="0 0 ([0-9.]+) ([0-9.]+)"', svg)
    assert viewbox is not None
    width, height = float(viewbox.group(1)), float(viewbox.group(2))
    assert all(0 <= float(x) <= width and 0 <= float(y) <= height for x, y in coordinates)


def test_the_city_centre_zooms_in_to_its_four_districts(client):
    publish_all()
    # On the whole city's map a frame around the crowded centre links to its zoom.
    svg = svg_of(client.get("/windows/map/").content.decode())
    assert '<a href="?district=core" class="map-core" id="map-core">' in svg
    assert ">上城区</text>" not in svg  # its label would sit among its neighbours'
    html = client.get("/windows/map/?district=core").content.decode()
    assert sorted(dots(svg_of(html))) == sorted([BEISHAN, XIXI, HUBIN])
    assert '<option value="core" selected>' in html
    assert 'id="map-core"' not in html and ">上城区</text>" in html
    # An unknown area is the whole city.
    html = client.get("/windows/map/?district=nowhere").content.decode()
    assert len(dots(svg_of(html))) == 4


def test_the_window_whose_page_led_here_stands_out(client):
    publish_all()
    svg = svg_of(client.get(f"/windows/map/?district=330106&window={XIXI}").content.decode())
    assert f'class="map-dot map-dot--current" data-code="{XIXI}" aria-current="location">' in svg
    assert dots(svg) == [BEISHAN]  # the others as usual

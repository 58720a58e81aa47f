"""The list the city publishes: every active window with its station, address, phone and
hours, as a page and as a CSV file a spreadsheet opens."""

from __future__ import annotations

import csv
import io

import pytest

from onetrip.portal.windows.views import csv_cell

from .helpers import BEISHAN, CUIYUAN_CLOSED, HUBIN, QIANDAOHU, XIXI, publish, publish_all

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def test_the_page_lists_every_active_window_by_district(client):
    publish_all()
    html = client.get("/windows/list/").content.decode()
    assert "全市共 4 个居住证办理窗口" in html
    for code in (BEISHAN, XIXI, HUBIN, QIANDAOHU):
        assert f'data-code="{code}"' in html
    assert CUIYUAN_CLOSED not in html
    assert html.index(">上城区</h2>") < html.index(">西湖区</h2>") < html.index(">淳安县</h2>")
    assert "北山派出所" in html and "杭州市西湖区北山路262号" in html
    assert '<a href="tel:057185601989">0571-85601989</a>' in html
    assert "办公时间：周一至周五 08:30-12:00, 13:30-17:00" in html
    assert 'href="/windows/list.csv"' in html


def test_the_csv_has_a_row_per_active_window(client):
    publish_all()
    response = client.get("/windows/list.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="hangzhou-windows-')
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")  # spreadsheet programs then read it as UTF-8
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0] == [
        "窗口编号",
        "区县",
        "街道（乡镇）",
        "所属派出所",
        "窗口名称",
        "地址",
        "联系电话",
        "办公时间",
    ]
    assert [r[0] for r in rows[1:]] == [HUBIN, BEISHAN, XIXI, QIANDAOHU]
    assert rows[2] == [
        BEISHAN,
        "西湖区",
        "北山街道",
        "北山派出所",
        "北山派出所户籍窗口",
        "杭州市西湖区北山路262号",
        "0571-85601989",
        "周一至周五 08:30-12:00, 13:30-17:00",
    ]


def test_the_csv_runs_no_formula_in_a_spreadsheet(client):
    publish(BEISHAN, name='=HYPERLINK("x")', address="@SUM(1)", phone="+86 571 8560 1989")
    rows = list(csv.reader(io.StringIO(client.get("/windows/list.csv").content.decode()[1:])))
    assert rows[1][4] == '\'=HYPERLINK("x")'
    assert rows[1][5] == "'@SUM(1)"
    assert rows[1][6] == "+86 571 8560 1989"
    assert csv_cell("-") == "-" and csv_cell("-1+2") == "'-1+2"
    assert csv_cell("=1+2") == "'=1+2" and csv_cell("\tx") == "'\tx"

"""Where the cards are: a station's board by stage with the uncollected and alarmed marked, the
city's delivery figures per district on known data, scoped by role, in a fixed number of
queries however many cards there are."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onetrip.police.delivery.models import Shipment
from onetrip.police.permits.models import PermitCase, ResidencePermit
from onetrip.police.permits.production import operations_city_figures, operations_station_board
from tests.fixtures import staff
from tests.police.permits.conftest import client_of
from tests.police.permits.production_helpers import HUBIN_COMMUNITY, Team, approve

pytestmark = pytest.mark.django_db(databases=["default", "police"])


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    settings.ONETRIP_FILES_DIR = tmp_path / "files"
    settings.ONETRIP_CARD_UNCOLLECTED_DAYS = 30


@pytest.fixture
def team(beishan):
    return Team(beishan, "bs")


def _set(case: PermitCase, **fields) -> None:
    PermitCase.objects.filter(pk=case.pk).update(**fields)


def _ship(case: PermitCase, status: str, **fields) -> Shipment:
    return Shipment.objects.create(
        case=case,
        client_ref=secrets.token_hex(8),
        tracking_number=f"EMS{secrets.token_hex(5)}" if status != "pending" else None,
        status=status,
        **fields,
    )


def _delivered(case: PermitCase, *, approved_days_ago: float, took_days: float) -> None:
    now = timezone.now()
    approved = now - dt.timedelta(days=approved_days_ago)
    _set(case, status="delivered", task="", task_since=None, approved_at=approved)
    ResidencePermit.objects.filter(case=case).update(
        handed_over_at=approved + dt.timedelta(days=took_days)
    )


@pytest.fixture
def board_cards(team):
    """One card in each stage at 北山, two of them to be marked."""
    now = timezone.now()
    cards = {
        name: approve(team, serial)
        for serial, name in enumerate(
            ["waiting", "producing", "uncollected", "awaiting", "shipped", "delivered", "returned"],
            start=1,
        )
    }
    _set(cards["producing"], status="in_production", task_since=now - dt.timedelta(days=3))
    _set(
        cards["uncollected"],
        status="ready",
        task="hand_over",
        task_since=now - dt.timedelta(days=40),
    )
    _set(cards["awaiting"], status="ready", task="hand_over", delivery="post", task_since=now)
    _ship(cards["awaiting"], "pending", alarmed_at=now)
    _set(cards["shipped"], status="ready", task="hand_over", delivery="post", task_since=now)
    _ship(cards["shipped"], "in_transit")
    _delivered(cards["delivered"], approved_days_ago=5, took_days=4)
    _set(cards["returned"], status="ready", task="hand_over", task_since=now - dt.timedelta(days=2))
    _ship(cards["returned"], "returned")
    return cards


def test_the_station_board_shows_each_card_in_its_stage_with_its_age(board_cards, beishan):
    board = operations_station_board(station=beishan)
    assert board.counts == {
        "waiting_production": 1,
        "in_production": 1,
        "ready_for_pickup": 1,
        "awaiting_courier": 1,
        "shipped": 1,
        "returned": 1,
        "delivered": 1,
    }
    by_reference = {row.reference: row for row in board.rows}
    stage_of = {name: by_reference[case.reference] for name, case in board_cards.items()}
    assert stage_of["producing"].days == 3
    assert (stage_of["uncollected"].days, stage_of["uncollected"].uncollected) == (40, True)
    assert stage_of["returned"].uncollected is False and stage_of["returned"].days == 2
    assert stage_of["awaiting"].alarmed and not stage_of["shipped"].alarmed
    assert stage_of["shipped"].tracking_number.startswith("EMS")
    assert (board.uncollected, board.alarmed) == (1, 1)


def test_the_board_page_marks_the_uncollected_and_the_alarmed(board_cards, team):
    page = client_of(team.clerk).get("/operations/cards/").content.decode()
    uncollected = board_cards["uncollected"].reference
    assert f'id="ready_for_pickup-{uncollected}" class="ready_for_pickup overdue"' in page
    awaiting = board_cards["awaiting"].reference
    assert f'id="awaiting_courier-{awaiting}" class="awaiting_courier overdue"' in page
    assert 'id="uncollected-count"' in page and 'id="alarmed-count"' in page


def test_the_board_costs_the_same_queries_however_many_cards(team, beishan):
    for serial in range(1, 3):
        approve(team, serial)

    def count() -> int:
        with CaptureQueriesContext(connections["police"]) as queries:
            operations_station_board(station=beishan)
        return len(queries)

    few = count()
    for serial in range(3, 9):
        case = approve(team, serial)
        _set(case, status="ready", task="hand_over", delivery="post")
        _ship(case, "in_transit")
    assert count() == few <= 3


def test_board_scope_by_role_and_station(board_cards, team, beishan, hubin):
    reference = board_cards["waiting"].reference
    other_clerk = client_of(staff("clerk_hubin", "window_clerk", hubin))
    assert reference not in other_clerk.get("/operations/cards/").content.decode()
    assert other_clerk.get("/operations/cards/", {"station": beishan.code}).status_code == 404
    assert client_of(team.reviewer).get("/operations/cards/").status_code == 403
    district = client_of(staff("dist_xh", "district_admin", None, beishan.district_code))
    page = district.get("/operations/cards/", {"station": beishan.code})
    assert page.status_code == 200 and reference in page.content.decode()
    assert district.get("/operations/cards/", {"station": hubin.code}).status_code == 404
    city = client_of(staff("city", "city_admin", None))
    assert city.get("/operations/cards/", {"station": beishan.code}).status_code == 200
    assert city.get("/operations/cards/", {"station": "nope"}).status_code == 404


@pytest.fixture
def delivered_figures(team, hubin):
    """西湖区 (北山): delivered after 2, 4, 6 and 10 days, one returned; 上城区 (湖滨): one
    delivered after 3 days."""
    for serial, took in enumerate([2, 4, 6, 10], start=1):
        _delivered(approve(team, serial), approved_days_ago=12, took_days=took)
    returned = approve(team, 5)
    _set(returned, status="ready", task="hand_over")
    _ship(returned, "returned")
    old = approve(team, 6)
    _delivered(old, approved_days_ago=200, took_days=3)  # outside the period
    hubin_team = Team(hubin, "hb")
    _delivered(approve(hubin_team, 7, community=HUBIN_COMMUNITY), approved_days_ago=5, took_days=3)


def test_city_figures_per_district_on_known_data(delivered_figures, beishan, hubin):
    city = staff("city", "city_admin", None)
    today = timezone.localdate()
    figures = {
        f.district_code: f
        for f in operations_city_figures(user=city, start=today - dt.timedelta(days=29), end=today)
    }
    xihu = figures[beishan.district_code]
    assert (xihu.delivered, xihu.returned, xihu.success_rate) == (4, 1, 0.8)
    assert (xihu.median_days, xihu.p90_days) == (5.0, 10.0)
    shangcheng = figures[hubin.district_code]
    assert (shangcheng.delivered, shangcheng.returned, shangcheng.success_rate) == (1, 0, 1.0)
    assert shangcheng.median_days == shangcheng.p90_days == 3.0


def test_city_figures_cost_the_same_queries_however_many_cards(delivered_figures, team):
    city = staff("city", "city_admin", None)
    today = timezone.localdate()

    def count() -> int:
        with CaptureQueriesContext(connections["police"]) as queries:
            operations_city_figures(user=city, start=today - dt.timedelta(days=29), end=today)
        return len(queries)

    few = count()
    for serial in range(10, 14):
        _delivered(approve(team, serial), approved_days_ago=3, took_days=1)
    assert count() == few


def test_the_city_page_by_role(delivered_figures, team, beishan, hubin):
    city = client_of(staff("city", "city_admin", None)).get("/operations/delivery/")
    page = city.content.decode()
    assert f'id="district-{beishan.district_code}"' in page
    assert f'id="district-{hubin.district_code}"' in page and "80%" in page
    district = client_of(staff("dist_xh", "district_admin", None, beishan.district_code))
    page = district.get("/operations/delivery/").content.decode()
    assert f'id="district-{beishan.district_code}"' in page
    assert f'id="district-{hubin.district_code}"' not in page
    assert client_of(team.clerk).get("/operations/delivery/").status_code == 403
    refused = district.get("/operations/delivery/", {"start": "2026-12-01", "end": "2026-01-01"})
    assert refused.status_code == 400 and "统计期间" in refused.content.decode()

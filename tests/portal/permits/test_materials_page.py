"""The one-time materials page (DOC-1…DOC-3, HZ-7): every item for the case at once, fetched
items marked, in Chinese first."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def _get(client, **params):
    return client.get("/permit/materials/", params, HTTP_HOST="portal.testserver")


def test_doc3_employment_lists_insurance_as_fetched_and_one_employment_proof(client):
    page = _get(client, route="employment")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="item-B10"' in html and 'id="item-B11/B12/B13/B14/B15/B16/B17"' in html
    b10 = html.split('id="item-B10"')[1].split("</li>")[0]
    assert "系统自动获取" in b10
    assert "劳动（聘用）合同 或 农业承包合同" in html


def test_hz3_residence_needs_the_housing(client):
    page = _get(client, route="residence", housing="")
    assert page.status_code == 400
    assert "请选择住所类型" in page.content.decode()
    html = _get(client, route="residence", housing="rented_state_land").content.decode()
    assert "杭州市居住房屋租赁登记备案证明" in html


def test_the_eligibility_answers_link_asks_for_the_housing_without_an_error(client):
    """The eligibility answer links to `?route=residence`: the form comes with the route chosen
    and the housing still to choose, not with an error for a choice not made yet."""
    page = _get(client, route="residence")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<option value="residence" selected>' in html
    assert "field__error" not in html and 'id="materials"' not in html


def test_the_list_leads_on_to_the_application(client):
    html = _get(client, route="employment").content.decode()
    assert '<a class="button" href="/permit/" id="apply">' in html


def test_nat9_a_minor_with_a_guardian_who_is_not_a_parent(client):
    html = _get(client, route="study", minor="1", guardian="other").content.decode()
    assert 'id="item-A5"' in html and 'id="item-A7"' in html


def test_the_page_in_english(client):
    html = client.get(
        "/permit/materials/",
        {"route": "employment"},
        HTTP_HOST="portal.testserver",
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "Social-insurance record" in html


def test_an_unknown_route_shows_the_form(client):
    page = _get(client, route="<script>")
    assert page.status_code == 200
    assert "<script>" not in page.content.decode().split("<main")[-1]

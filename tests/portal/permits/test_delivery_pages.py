"""The card's way to the resident on the progress page and the change form (WF-2, PI-2):
mobile-first, no JavaScript; the stage, the courier and the tracking events newest first, or the
station and how to collect; the change form refuses bad input beside its field and says the
request waits for the station until the answer arrives."""

from __future__ import annotations

import re

import pytest

from onetrip.portal.permits.delivery import permit_delivery_apply
from onetrip.portal.permits.models import PermitApplication, PermitDeliveryChange

from .delivery_helpers import CODE, STATION, approved, shipped, snapshot
from .permit_helpers import draft, known_to_the_register

pytestmark = [
    pytest.mark.django_db(databases=["default", "police"]),
    pytest.mark.usefixtures("files_dir"),
]

NEW_ADDRESS = "杭州市西湖区文三路 90 号 1 幢 302 室"


def _url(application: PermitApplication, page: str = "") -> str:
    return f"/permit/applications/{application.reference}/{page}"


def _section(html: str, element_id: str, tag: str = "strong|span|p") -> str:
    """The content of the element with `element_id` (up to the first closing `tag`)."""
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:{tag})>', html, re.S)
    assert match, element_id
    return match[1]


def test_wf2_the_page_shows_the_stage_the_tracking_number_and_events_newest_first(
    resident, resident_client
):
    application = approved(resident, delivery="post")
    permit_delivery_apply(message=shipped(application))
    html = resident_client.get(_url(application)).content.decode()
    assert 'id="delivery"' in html and "证件制作与配送" in html
    assert _section(html, "delivery-stage") == "运输中"
    assert _section(html, "tracking-number") == "EM123456789CN"
    events = _section(html, "tracking-events", "ol")
    assert events.index("已到达杭州转运中心") < events.index("北山派出所已交寄")
    assert "EMS" in html
    assert 'id="change-delivery"' not in html  # the card has left
    assert "<script" not in html


def test_wf2_a_card_for_pickup_shows_the_station_and_how_to_collect_never_the_code(
    resident, resident_client
):
    application = approved(resident)
    permit_delivery_apply(message=snapshot(application, 1, "ready", "ready_for_pickup", code=CODE))
    html = resident_client.get(_url(application)).content.decode()
    assert _section(html, "delivery-stage") == "待领取"
    assert STATION in _section(html, "pickup-station")
    assert "凭身份证或短信取件码领取" in html
    assert CODE not in html
    assert 'id="change-delivery"' in html


def test_wf2_no_delivery_section_before_approval(resident, resident_client):
    known_to_the_register(resident)
    application = draft(resident)
    html = resident_client.get(_url(application)).content.decode()
    assert 'id="delivery"' not in html
    assert resident_client.get(_url(application, "delivery/")).status_code == 302


def test_wf2_approved_before_any_snapshot_the_card_waits_for_production(resident, resident_client):
    application = approved(resident)
    html = resident_client.get(_url(application)).content.decode()
    assert _section(html, "delivery-stage") == "待制证"
    assert 'id="change-delivery"' in html


def test_pi2_a_change_waits_for_the_station_then_shows_its_answer(resident, resident_client):
    application = approved(resident)
    form = resident_client.get(_url(application, "delivery/")).content.decode()
    assert 'name="delivery"' in form and 'name="postal_address"' in form
    response = resident_client.post(
        _url(application, "delivery/"), {"delivery": "post", "postal_address": NEW_ADDRESS}
    )
    assert response.status_code == 302
    assert response["Location"] == _url(application) + "#delivery"
    html = resident_client.get(_url(application)).content.decode()
    assert "已提交，等待派出所确认" in _section(html, "delivery-pending")
    assert NEW_ADDRESS in html
    permit_delivery_apply(
        message=snapshot(application, 1, "address_changed", "waiting_production", method="post")
    )
    html = resident_client.get(_url(application)).content.decode()
    assert 'id="delivery-pending"' not in html and 'id="delivery-applied"' in html
    assert _section(html, "delivery-method") == "邮寄到家"


def test_pi2_bad_input_is_shown_beside_its_field_and_changes_nothing(resident, resident_client):
    application = approved(resident)
    response = resident_client.post(
        _url(application, "delivery/"), {"delivery": "post", "postal_address": "路😀"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="postal_address-error"' in html and "表情符号" in html
    assert 'value="路😀"' in html  # what was typed stays in the form
    assert PermitDeliveryChange.objects.count() == 0


def test_pi2_once_the_card_has_left_the_form_says_so(resident, resident_client):
    application = approved(resident, delivery="post")
    permit_delivery_apply(message=shipped(application))
    page = resident_client.get(_url(application, "delivery/")).content.decode()
    assert 'id="not-changeable"' in page and 'id="delivery-form"' not in page
    response = resident_client.post(_url(application, "delivery/"), {"delivery": "pickup"})
    assert response.status_code == 409
    assert "不能变更" in response.content.decode()
    assert PermitDeliveryChange.objects.count() == 0


def test_pi2_another_residents_delivery_page_is_not_found(resident, client):
    from onetrip.portal.accounts.auth import SESSION_KEY
    from onetrip.portal.accounts.models import Resident
    from onetrip.portal.accounts.services import phone_hash_of

    application = approved(resident)
    other = Resident.objects.create(phone="13900139000", phone_hash=phone_hash_of("13900139000"))
    client.defaults["HTTP_HOST"] = "portal.testserver"
    session = client.session
    session[SESSION_KEY] = str(other.pk)
    session.save()
    assert client.get(_url(application, "delivery/")).status_code == 404
    response = client.post(_url(application, "delivery/"), {"delivery": "post"})
    assert response.status_code == 404
    assert PermitDeliveryChange.objects.count() == 0

"""Pickup by code at the window, and the resident's change of address or method (WF-2 after
READY, PI-2): applied while the courier does not have the card, refused once it has, once per
request."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from onetrip.contracts.delivery import PermitDeliveryAddressChangeV1
from onetrip.ferry.agent.handlers import BusinessReject
from onetrip.police.audit.models import AuditEvent
from onetrip.police.delivery.models import CaseDelivery, Shipment
from onetrip.police.delivery.services import delivery_address_change
from onetrip.police.permits import casework
from onetrip.police.permits.errors import PermitError
from onetrip.police.permits.models import PermitCase

from .conftest import ADDRESS, REF, changes, delivery_messages, in_production
from .helpers import arrive, fail_next, shipment

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def change(method: str, address: str = "", request_id: str = "") -> PermitDeliveryAddressChangeV1:
    return PermitDeliveryAddressChangeV1(
        reference=REF,
        request_id=request_id or uuid.uuid4().hex,
        method=method,
        postal_address=address,
        requested_at=timezone.now(),
    )


def test_wf2_a_card_for_pickup_gets_a_code_and_is_collected_with_it(beishan, clerk):
    in_production()
    arrive(clerk)
    ready = delivery_messages()[-1]
    assert (ready["change"], ready["stage"]) == ("ready", "ready_for_pickup")
    code = ready["pickup_code"]
    assert len(code) == 6 and code.isdigit()
    assert code not in CaseDelivery.objects.get().pickup_code_hash
    casework.permit_take(user=clerk, reference=REF)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with pytest.raises(PermitError) as refused:
        casework.permit_hand_over(user=clerk, reference=REF, pickup_code=wrong)
    assert (refused.value.code, refused.value.field) == ("pickup_code_mismatch", "pickup_code")
    refusal = AuditEvent.objects.get(action="permit.hand_over", success=False)
    assert refusal.detail["refused"] == "pickup_code"
    with pytest.raises(PermitError) as nothing:
        casework.permit_hand_over(user=clerk, reference=REF)
    assert nothing.value.code == "identity_required"
    collected = casework.permit_hand_over(user=clerk, reference=REF, pickup_code=code)
    assert (collected.status, collected.task) == ("collected", "")
    assert changes() == ["ready", "collected"]
    assert delivery_messages()[-1]["stage"] == "collected"


def test_wf2_a_switch_to_post_at_the_station_opens_the_courier_order(
    courier, trap, clerk, django_capture_on_commit_callbacks
):
    in_production()
    arrive(clerk)
    with django_capture_on_commit_callbacks(using="police", execute=True):
        assert delivery_address_change(message=change("post", ADDRESS)) == "applied"
    case = PermitCase.objects.get()
    assert (case.delivery, case.postal_address) == ("post", ADDRESS)
    assert shipment().status == "created"
    assert changes() == ["ready", "address_changed", "shipped"]


def test_wf2_a_switch_to_pickup_before_the_courier_has_it_cancels_the_order(
    courier, trap, clerk, django_capture_on_commit_callbacks
):
    in_production(delivery="post")
    fail_next(courier, 3)
    with django_capture_on_commit_callbacks(using="police", execute=True):
        arrive(clerk)
    assert shipment().status == "pending"
    request = change("pickup")
    assert delivery_address_change(message=request) == "applied"
    assert delivery_address_change(message=request) == "duplicate"
    assert shipment().status == "cancelled"
    assert PermitCase.objects.get().delivery == "pickup"
    assert changes() == ["courier_update", "address_changed", "ready"]
    assert len(delivery_messages()[-1]["pickup_code"]) == 6
    assert courier.shipment_count() == 0


def test_wf2_a_new_address_before_production_is_applied(beishan):
    in_production(delivery="post")
    assert delivery_address_change(message=change("post", "杭州市西湖区文三路1号")) == "applied"
    assert PermitCase.objects.get().postal_address == "杭州市西湖区文三路1号"
    assert changes() == ["address_changed"]
    assert not Shipment.objects.exists()


def test_wf2_a_change_once_the_courier_has_the_card_is_refused(
    courier, trap, clerk, django_capture_on_commit_callbacks
):
    in_production(delivery="post")
    with django_capture_on_commit_callbacks(using="police", execute=True):
        arrive(clerk)
    assert shipment().status == "created"
    request = change("post", "杭州市西湖区文三路1号")
    assert delivery_address_change(message=request) == "refused"
    assert delivery_address_change(message=request) == "duplicate"
    case = PermitCase.objects.get()
    assert (case.delivery, case.postal_address) == ("post", ADDRESS)
    refused = delivery_messages()[-1]
    assert refused["change"] == "address_change_refused" and refused["reason"]
    assert changes().count("address_change_refused") == 1


def test_an_address_change_for_an_unknown_case_is_a_business_reject(beishan):
    with pytest.raises(BusinessReject):
        delivery_address_change(message=change("pickup"))

"""A posted card end to end against the courier simulator over real HTTP (WF-2 after READY):
the order placed from a pending row, the courier's signed callbacks applied once each, never
backwards, and each resident-visible change told once."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest

from onetrip.ferry.registry import get_store
from onetrip.police.audit.models import AuditEvent
from onetrip.police.courier.callbacks import signature_for
from onetrip.police.delivery.models import Shipment, ShipmentEvent
from onetrip.police.permits import casework
from onetrip.police.permits.errors import PermitError
from onetrip.police.permits.models import PermitCase

from .conftest import REF, changes, delivery_messages, in_production
from .helpers import advance, arrive, deliver_callbacks, post_callback, shipment

pytestmark = pytest.mark.django_db(databases=["default", "police"])


@pytest.fixture
def shipped(courier, trap, clerk, django_capture_on_commit_callbacks):
    """A card for posting reaches its station; the courier order is placed after the commit."""
    in_production(delivery="post")
    with django_capture_on_commit_callbacks(using="police", execute=True):
        arrive(clerk)
    placed = shipment()
    assert placed.status == "created" and placed.tracking_number
    return placed


def _status_messages() -> list[str]:
    outbox = get_store("police").outbox.objects.filter(message_type="permit.status_changed")
    return [m.payload["status"] for m in outbox.order_by("id")]


def test_wf2_a_posted_card_is_ordered_once_shipped_and_delivered(courier, trap, shipped):
    assert changes() == ["courier_update", "shipped"]
    told = delivery_messages()[-1]
    assert (told["stage"], told["tracking_number"]) == ("shipped", shipped.tracking_number)
    assert told["pickup_code"] == ""
    assert courier.shipment_count() == 1
    advance(courier, shipped.tracking_number, "picked_up", "in_transit", "out_for_delivery")
    advance(courier, shipped.tracking_number, "delivered")
    deliver_callbacks(trap)
    case = PermitCase.objects.get()
    assert (case.status, case.task) == ("delivered", "")
    assert shipment().status == "delivered"
    assert Counter(changes()) == {"courier_update": 4, "shipped": 1, "delivered": 1}
    last = delivery_messages()[-1]
    assert last["stage"] == "delivered"
    assert [e["status"] for e in last["events"]] == [
        "picked_up",
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]
    assert _status_messages()[-1] == "delivered"
    assert case.events.filter(status="delivered", actor="courier").count() == 1


def test_wf2_a_failed_attempt_is_told_and_the_card_still_delivered(courier, trap, shipped):
    advance(courier, shipped.tracking_number, "picked_up", "out_for_delivery", "failed_attempt")
    deliver_callbacks(trap)
    assert shipment().status == "failed_attempt"
    assert delivery_messages()[-1]["stage"] == "failed_attempt"
    advance(courier, shipped.tracking_number, "out_for_delivery", "delivered")
    deliver_callbacks(trap)
    assert PermitCase.objects.get().status == "delivered"
    assert Counter(changes())["delivered"] == 1


def test_wf2_a_returned_card_waits_at_the_station_for_pickup_with_a_code(
    courier, trap, shipped, clerk
):
    advance(courier, shipped.tracking_number, "picked_up", "in_transit", "returned_to_sender")
    deliver_callbacks(trap)
    case = PermitCase.objects.get()
    assert (case.status, case.task, case.delivery) == ("ready", "hand_over", "pickup")
    assert shipment().status == "returned"
    returned = delivery_messages()[-1]
    assert returned["change"] == "returned" and returned["stage"] == "ready_for_pickup"
    assert len(returned["pickup_code"]) == 6
    assert Counter(changes())["returned"] == 1
    casework.permit_take(user=clerk, reference=case.reference)
    collected = casework.permit_hand_over(
        user=clerk, reference=case.reference, pickup_code=returned["pickup_code"]
    )
    assert collected.status == "collected"


def test_wf2_duplicated_and_reordered_callbacks_apply_once_and_never_go_back(
    courier, trap, shipped
):
    script = ("picked_up", "in_transit", "out_for_delivery", "delivered")
    advance(courier, shipped.tracking_number, *script, duplicate=True, reorder=True)
    sent = trap.take()
    assert len(sent) == 8
    answers = [post_callback(h, b).json()["result"] for h, b in sent]
    assert answers.count("duplicate") == 4
    assert answers[0] == "applied"  # delivered came first and closed the shipment
    assert PermitCase.objects.get().status == "delivered"
    assert shipment().status == "delivered"
    assert ShipmentEvent.objects.count() == 4
    told = Counter(changes())
    assert (told["shipped"], told["delivered"]) == (1, 1)
    # The late ones moved nothing and brought no SMS-worthy change, but each reached the
    # resident's tracking list (a courier_update beside the one of the card at the station).
    assert told["courier_update"] == 1 + 3
    last = delivery_messages(REF)[-1]
    assert last["stage"] == "delivered" and len(last["events"]) == 4
    # The same again, all of it: acknowledged, nothing new.
    again = [post_callback(h, b).json()["result"] for h, b in sent]
    assert set(again) == {"duplicate"}
    assert Counter(changes()) == told


def test_wf2_a_late_callback_is_kept_on_the_list_and_moves_nothing(courier, trap, shipped):
    advance(courier, shipped.tracking_number, "in_transit", "out_for_delivery", reorder=True)
    answers = [r.json()["result"] for r in deliver_callbacks(trap)]
    assert answers == ["applied", "recorded"]
    assert shipment().status == "out_for_delivery"
    last = delivery_messages(REF)[-1]
    assert last["stage"] == "out_for_delivery"
    assert {e["status"] for e in last["events"]} == {"in_transit", "out_for_delivery"}


def test_mlps_a_forged_or_malformed_callback_is_refused_and_changes_nothing(courier, trap, shipped):
    body = json.dumps(
        {
            "tracking_number": shipped.tracking_number,
            "event_id": "ev-forged",
            "status": "delivered",
            "at": "2026-01-01T00:00:00+00:00",
            "detail": "已签收",
        }
    ).encode()
    now = int(time.time())
    forged = post_callback({"X-Courier-Signature": f"t={now},v1={'0' * 64}"}, body)
    assert forged.status_code == 401
    assert forged.json()["code"] == "courier.callback_signature" and forged.json()["message_en"]
    wrong_key = signature_for("not-the-secret", body, now)
    assert (
        post_callback({"X-Courier-Signature": f"t={now},v1={wrong_key}"}, body).status_code == 401
    )
    assert post_callback({}, body).status_code == 401
    good = signature_for("test-courier-secret", b"\xff\x00not json", now)
    garbage = post_callback({"X-Courier-Signature": f"t={now},v1={good}"}, b"\xff\x00not json")
    assert garbage.status_code == 400 and garbage.json()["code"] == "courier.callback_invalid"
    assert PermitCase.objects.get().status == "ready"
    assert shipment().status == "created" and not ShipmentEvent.objects.exists()
    assert AuditEvent.objects.filter(action="delivery.callback_refused", success=False).count() == 4
    assert changes() == ["courier_update", "shipped"]


def test_a_callback_is_only_ever_a_post(courier):
    from django.test import Client

    assert Client(HTTP_HOST="police.testserver").get("/courier/callbacks/").status_code == 405


def test_wf2_a_card_being_posted_is_not_handed_over_at_the_window(shipped, clerk):
    from .conftest import ID_NUMBER

    casework.permit_take(user=clerk, reference=shipped.case.reference)
    with pytest.raises(PermitError) as refused:
        casework.permit_hand_over(user=clerk, reference=shipped.case.reference, id_number=ID_NUMBER)
    assert refused.value.code == "shipment_exists"
    assert PermitCase.objects.get().status == "ready"


def test_wf2_one_open_shipment_per_case_is_a_database_rule(shipped):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic(using="police"):
        Shipment.objects.create(case=shipped.case, client_ref="another")

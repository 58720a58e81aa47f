"""The delivery track by the clock (WF-2 after READY): a courier that does not answer leaves
the card waiting and the order retried by the sweep, with the alarm raised after the set time;
uncollected cards remind their resident with a fresh code, once per period."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from onetrip.police.audit.models import AuditEvent
from onetrip.police.delivery.models import CaseDelivery
from onetrip.police.delivery.services import delivery_sweep, shipment_place
from onetrip.police.permits.models import PermitCase

from .conftest import changes, delivery_messages, in_production
from .helpers import arrive, fail_next, shipment

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def test_wf2_a_courier_down_leaves_the_card_waiting_retried_by_the_sweep_then_alarmed(
    settings, courier, trap, clerk, django_capture_on_commit_callbacks, caplog
):
    settings.ONETRIP_COURIER_ALARM_SECONDS = 1800
    start = timezone.now()
    in_production(delivery="post")
    fail_next(courier, 3)  # every attempt of the client's own retries
    with django_capture_on_commit_callbacks(using="police", execute=True):
        arrive(clerk)
    waiting = shipment()
    assert (waiting.status, waiting.attempts, waiting.tracking_number) == ("pending", 1, None)
    assert "unavailable" in waiting.last_error and waiting.next_attempt_at > start
    assert PermitCase.objects.get().status == "ready"
    assert changes() == ["courier_update"]
    assert delivery_messages()[-1]["stage"] == "awaiting_courier"
    assert courier.shipment_count() == 0
    # Not due yet: the sweep leaves it alone.
    assert delivery_sweep()["retry"] == 0 and shipment().attempts == 1
    with time_machine.travel(start + dt.timedelta(minutes=5), tick=True):
        fail_next(courier, 3)
        assert delivery_sweep()["retry"] == 1
    assert shipment().attempts == 2 and shipment().alarmed_at is None
    with time_machine.travel(start + dt.timedelta(minutes=31), tick=True):
        fail_next(courier, 3)
        with caplog.at_level(logging.ERROR, logger="onetrip.police.delivery.services"):
            done = delivery_sweep()
        assert done["alarmed"] + done["retry"] >= 1
        alarmed = shipment()
        assert alarmed.alarmed_at is not None and alarmed.status == "pending"
        assert any("courier order alarm" in r.getMessage() for r in caplog.records)
        assert AuditEvent.objects.filter(action="delivery.courier_alarm").count() == 1
        assert delivery_sweep()["alarmed"] == 0  # once
    with time_machine.travel(start + dt.timedelta(hours=3), tick=True):
        call_command("delivery_sweep")
    placed = shipment()
    assert placed.status == "created" and placed.tracking_number
    assert courier.shipment_count() == 1
    assert changes() == ["courier_update", "shipped"]
    # A replayed task finds the row no longer pending and books nothing.
    assert shipment_place(shipment_id=placed.pk) == "not_pending"
    assert courier.shipment_count() == 1


def test_wf2_a_rejected_order_is_alarmed_at_once_and_not_retried(
    courier, trap, clerk, django_capture_on_commit_callbacks
):
    in_production(delivery="post")
    fail_next(courier, 1, status=400)
    with django_capture_on_commit_callbacks(using="police", execute=True):
        arrive(clerk)
    rejected = shipment()
    assert rejected.status == "pending" and rejected.alarmed_at is not None
    assert rejected.next_attempt_at is None and "refused" in rejected.last_error


def test_wf2_an_uncollected_card_is_reminded_once_per_period_with_a_fresh_code(
    settings, beishan, clerk
):
    settings.ONETRIP_CARD_UNCOLLECTED_DAYS = 30
    start = timezone.now()
    in_production()
    arrive(clerk)
    first_code = delivery_messages()[-1]["pickup_code"]
    assert delivery_sweep(now=start + dt.timedelta(days=29))["reminded"] == 0
    assert delivery_sweep(now=start + dt.timedelta(days=30, minutes=1))["reminded"] == 1
    reminder = delivery_messages()[-1]
    assert reminder["change"] == "pickup_reminder" and reminder["stage"] == "ready_for_pickup"
    assert len(reminder["pickup_code"]) == 6 and len(first_code) == 6
    assert delivery_sweep(now=start + dt.timedelta(days=45))["reminded"] == 0
    assert delivery_sweep(now=start + dt.timedelta(days=60, minutes=2))["reminded"] == 1
    assert CaseDelivery.objects.get().reminder_count == 2
    assert changes().count("pickup_reminder") == 2

"""Reported rows cross the ferry in bulk and keep every ferry guarantee: applied once, answered
once in the same transaction, a delivered-again batch skipped (DESIGN §3; ZJ-6…ZJ-10)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from onetrip.ferry.agent.loop import run_once
from onetrip.ferry.agent.outbox import emit
from onetrip.ferry.registry import get_store
from onetrip.police.reporting.models import ReportedPerson, ReportedStay, ReportingOrganisation

from .helpers import approved, arrival, chunk, departure, registered

pytestmark = pytest.mark.django_db(databases=["default", "police"], transaction=True)


def send_from_portal(message, aggregate_id: str) -> None:
    with transaction.atomic(using=get_store("portal").db):
        emit(
            zone="portal",
            message=message,
            aggregate_id=aggregate_id,
            correlation_id=aggregate_id,
            actor="organisation",
            purpose="organisation_reporting",
        )


def answers() -> list[dict]:
    rows = get_store("police").outbox.objects.filter(message_type="report.rows_applied")
    return [m.payload for m in rows.order_by("id")]


def test_a_sign_up_and_a_chunk_of_rows_cross_the_ferry_and_are_answered_once(ferry_env, beishan):
    send_from_portal(registered(), "91330106MA2B00001X")
    run_once("portal")
    run_once("police")
    assert ReportingOrganisation.objects.get().status == "pending"
    approved()
    day = timezone.localdate() - dt.timedelta(days=1)
    rows = [arrival(i + 1, i, day) for i in range(300)] + [departure(301, 7, day)]
    send_from_portal(chunk(rows), "IMP0001")
    run_once("portal")
    batches = ferry_env.pending_batches("portal_to_police")
    assert len(batches) == 1
    run_once("police")
    assert ReportedPerson.objects.count() == 300
    assert ReportedStay.objects.filter(ended_on__isnull=True).count() == 299
    [answer] = answers()
    assert (answer["applied"], answer["unchanged"], answer["refused"]) == (301, 0, [])
    inbox = get_store("police").inbox.objects.filter(message_type="report.rows_submitted")
    assert [m.status for m in inbox] == ["applied"]
    # The gateway delivers the same batch again: skipped, nothing applied or answered twice.
    name, body = batches[0]
    ferry_env.deliver("portal_to_police", name, body)
    run_once("police")
    assert ReportedStay.objects.count() == 300
    assert len(answers()) == 1

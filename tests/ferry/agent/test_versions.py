"""Schema versions (DESIGN §3 "Receive"): a message of a version the receiver has not deployed is
parked and alarmed, never dropped or quarantined, and applies once the version is deployed; the
previous version is upcast so the handler always gets the newest model. Test-only contracts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction

from onetrip.contracts.base import (
    Contract,
    contract_for,
    latest_version,
    register,
    register_upcaster,
    unregister,
    upcast,
)
from onetrip.ferry.agent.handlers import Envelope, register_handler
from onetrip.ferry.agent.loop import run_once
from onetrip.ferry.agent.outbox import emit
from onetrip.ferry.operations.status import zone_status
from onetrip.ferry.protocol.channels import PORTAL_TO_POLICE
from onetrip.ferry.registry import get_store
from onetrip.police.ferrybox import models as police_box

from ..helpers import FerryEnv, pump

DB = pytest.mark.django_db(databases=["default", "police"], transaction=True)


@register
class ThingV1(Contract):
    message_type = "test.thing"
    version = 1
    aggregate_type = "test"

    n: int


@register
class ThingV2(Contract):
    message_type = "test.thing"
    version = 2
    aggregate_type = "test"

    n: int
    label: str

    @classmethod
    def upgrade_from_v1(cls, old: ThingV1) -> ThingV2:
        return cls(n=old.n, label="from v1")


RECEIVED: list[tuple[int, str, int, str]] = []


@register_handler(zone="police", message_type="test.thing")
def on_thing(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, ThingV2)  # always the newest model
    RECEIVED.append((envelope.version, type(message).__name__, message.n, message.label))


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    RECEIVED.clear()
    yield
    register(ThingV2)  # whatever a test undeployed


def send(message: Contract) -> None:
    with transaction.atomic(using=get_store("portal").db):
        emit(
            zone="portal",
            message=message,
            aggregate_id="thing",
            correlation_id="T1",
            actor="test",
            purpose="test",
        )


def test_upcast_walks_the_chain() -> None:
    assert latest_version("test.thing") == 2
    upgraded = upcast(ThingV1(n=4))
    assert upgraded == ThingV2(n=4, label="from v1")
    assert upcast(upgraded) is upgraded
    with pytest.raises(ValueError):
        register_upcaster("test.thing", 1, lambda old: old)  # one per version step


def test_an_upcaster_must_return_the_next_version() -> None:
    @register
    class WidgetV1(Contract):
        message_type = "test.widget"
        version = 1
        aggregate_type = "test"

    @register
    class WidgetV2(Contract):
        message_type = "test.widget"
        version = 2
        aggregate_type = "test"

    register_upcaster("test.widget", 1, lambda old: old)
    try:
        with pytest.raises(TypeError):
            upcast(WidgetV1())
    finally:
        unregister("test.widget", 2)
        unregister("test.widget", 1)


@DB
def test_previous_version_reaches_the_handler_as_the_newest(ferry_env: FerryEnv) -> None:
    send(ThingV1(n=1))
    send(ThingV2(n=2, label="native"))
    pump()
    assert RECEIVED == [(1, "ThingV2", 1, "from v1"), (2, "ThingV2", 2, "native")]
    inbox = police_box.InboxMessage.objects.filter(message_type="test.thing").order_by("sequence")
    assert [m.version for m in inbox] == [1, 2]  # the inbox records the version sent


@DB
def test_unknown_version_is_parked_and_alarmed_until_deployed(
    ferry_env: FerryEnv, settings
) -> None:
    settings.FERRY_BATCH_MAX_MESSAGES = 1
    send(ThingV2(n=1, label="new"))
    send(ThingV1(n=2))
    run_once("portal")
    unregister("test.thing", 2)  # the police zone has not deployed v2 yet
    assert contract_for("test.thing", 2) is None

    for attempt in (1, 2):
        report = run_once("police")
        assert (report.batches_applied, report.quarantined) == (0, 0)
        assert report.resend_requests_sent == 0  # nothing is missing: it is all here
        assert len(ferry_env.batches(PORTAL_TO_POLICE)) == 2  # never dropped
        alarm = police_box.Alarm.objects.get()
        assert (alarm.kind, alarm.key, alarm.count) == ("unknown_version", "test.thing v2", attempt)
    parked = {p.first_seq: p.reason for p in police_box.ParkedBatch.objects.all()}
    assert parked == {1: "unknown_version", 2: "gap"}
    status = zone_status("police")
    assert [(p.first_seq, p.reason) for p in status.parked_batches] == [
        (1, "unknown_version"),
        (2, "gap"),
    ]
    assert "test.thing v2" in status.parked_batches[0].detail
    assert not police_box.QuarantinedBatch.objects.exists()
    assert RECEIVED == []

    register(ThingV2)  # deployed: the next pass applies both, in order
    assert run_once("police").batches_applied == 2
    assert RECEIVED == [(2, "ThingV2", 1, "new"), (1, "ThingV2", 2, "from v1")]
    assert police_box.Alarm.objects.get().cleared_at is not None
    assert not police_box.ParkedBatch.objects.exists()
    pump()

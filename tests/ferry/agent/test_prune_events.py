"""Pruning the ferry audit trail (`FerryEvent`): only the zone asked for, only rows past the
retention, in chunks, and the pruning itself leaves a row and a log line."""

from __future__ import annotations

import datetime as dt
import logging
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onetrip.ferry.agent import events
from onetrip.ferry.protocol.channels import PORTAL_TO_POLICE
from onetrip.police.ferrybox import models as police_box
from onetrip.portal.ferrybox import models as portal_box

from ..helpers import FerryEnv, pump
from ..pingpong import send_pings

DB = pytest.mark.django_db(databases=["default", "police"], transaction=True)


def add_events(model: type, *ages_in_days: float) -> None:
    now = timezone.now()
    for age in ages_in_days:
        model.objects.create(
            at=now - dt.timedelta(days=age),
            channel=PORTAL_TO_POLICE,
            step=events.APPLIED,
            count=1,
            detail=f"age {age}",
        )


def details(model: type) -> list[str]:
    return list(model.objects.order_by("at", "pk").values_list("detail", flat=True))


@DB
def test_prunes_only_old_rows_of_the_given_zone(caplog) -> None:
    add_events(portal_box.FerryEvent, 200, 181, 179, 1, 0)
    add_events(police_box.FerryEvent, 200, 181)
    with caplog.at_level(logging.INFO, logger="onetrip.ferry"):
        assert events.prune_events("portal", dt.timedelta(days=180)) == 2
    remaining = details(portal_box.FerryEvent)
    assert remaining[:3] == ["age 179", "age 1", "age 0"]
    assert len(remaining) == 4
    pruned = portal_box.FerryEvent.objects.get(step=events.PRUNED)
    assert (pruned.count, pruned.channel) == (2, "")
    assert pruned.detail.startswith("deleted 2 events before ")
    assert details(police_box.FerryEvent) == ["age 200", "age 181"]  # the other zone is untouched
    assert "event=events_pruned zone=portal deleted=2" in caplog.text


@DB
def test_deletes_in_chunks() -> None:
    add_events(police_box.FerryEvent, *range(30, 37), 2)
    with CaptureQueriesContext(connections["police"]) as queries:
        assert events.prune_events("police", dt.timedelta(days=10), chunk_size=3) == 7
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 3  # 3 + 3 + 1 rows
    assert details(police_box.FerryEvent)[0] == "age 2"
    assert police_box.FerryEvent.objects.count() == 2  # the young row and the `pruned` row


@DB
def test_nothing_to_prune_is_still_recorded() -> None:
    add_events(portal_box.FerryEvent, 3)
    assert events.prune_events("portal", dt.timedelta(days=180)) == 0
    pruned = portal_box.FerryEvent.objects.get(step=events.PRUNED)
    assert pruned.count == 0
    assert portal_box.FerryEvent.objects.count() == 2


def test_refuses_a_negative_age_or_chunk() -> None:
    with pytest.raises(ValueError):
        events.prune_events("portal", dt.timedelta(days=-1))
    with pytest.raises(ValueError):
        events.prune_events("portal", dt.timedelta(days=1), chunk_size=0)


@DB
def test_prunes_the_trail_of_a_real_round_trip(ferry_env: FerryEnv) -> None:
    send_pings("portal", 2)
    pump()
    steps = set(portal_box.FerryEvent.objects.values_list("step", flat=True))
    assert {events.BUILT, events.EXPORTED, events.APPLIED} <= steps
    written = portal_box.FerryEvent.objects.count()
    assert events.prune_events("portal", dt.timedelta(0)) == written
    assert list(portal_box.FerryEvent.objects.values_list("step", flat=True)) == [events.PRUNED]
    assert police_box.FerryEvent.objects.exists()


@DB
def test_command_uses_the_option_or_the_setting(settings) -> None:
    add_events(police_box.FerryEvent, 40, 20, 5)
    out = StringIO()
    call_command(
        "ferry", "prune-events", "--zone-name", "police", "--older-than-days", "30", stdout=out
    )
    assert out.getvalue().strip() == (
        "已删除 deleted 1 ferry events older than 30 days (zone police)"
    )
    settings.FERRY_EVENT_RETENTION_DAYS = 10
    out = StringIO()
    call_command("ferry", "prune-events", "--zone-name", "police", stdout=out)
    assert "已删除 deleted 1 ferry events older than 10 days" in out.getvalue()
    assert details(police_box.FerryEvent)[0] == "age 5"
    assert police_box.FerryEvent.objects.filter(step=events.PRUNED).count() == 2


@DB
def test_command_refuses_less_than_a_day_and_needs_a_zone(settings) -> None:
    add_events(portal_box.FerryEvent, 0.5)
    with pytest.raises(CommandError):
        call_command("ferry", "prune-events", "--zone-name", "portal", "--older-than-days", "0")
    settings.FERRY_EVENT_RETENTION_DAYS = -3
    with pytest.raises(CommandError):
        call_command("ferry", "prune-events", "--zone-name", "portal")
    with pytest.raises(CommandError):
        call_command("ferry", "prune-events")  # the test settings hold both zones
    assert details(portal_box.FerryEvent) == ["age 0.5"]

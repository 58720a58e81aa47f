"""The acceptance race (DESIGN §7, "never overbooked"): 64 clients in separate processes race
for one slot with three counters; exactly three are booked and every other one reads
"该时段已约满". Then the same while the three seats are held by holds that expire in the middle
of the race. Each is run 20 times.

PostgreSQL only: SQLite lets one writer in at a time, so there is no race to lose there. The
clients are forked from the test process once (a pool of 64), each with its own connection to
the test database, and every round starts them together at a set instant."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time
from collections import Counter
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connections, router

from onetrip.common.errors import ApplicationError
from onetrip.portal.booking.models import Booking, SlotCounter

from .booking_helpers import make_residents, put_window

ON_POSTGRES = "postgresql" in django_settings.DATABASES[router.db_for_write(Booking)]["ENGINE"]

CLIENTS = 64
ROUNDS = 20
COUNTERS = 3
FULL = "该时段已约满"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not ON_POSTGRES,
        reason="SQLite admits one writer at a time, so there is no race; this runs on "
        "PostgreSQL (ONETRIP_TEST_POSTGRES)",
    ),
    pytest.mark.django_db(databases=["default", "police"], transaction=True),
]


def _client(args: tuple[str, str, str, float]) -> str:
    """One resident, in its own process: hold the slot at `start_at`, then confirm."""
    from onetrip.portal.accounts.models import Resident
    from onetrip.portal.booking.services import booking_confirm, booking_hold

    window_code, starts_at, resident_id, start_at = args
    resident = Resident.objects.get(pk=resident_id)
    time.sleep(max(0.0, start_at - time.time()))
    try:
        held = booking_hold(
            resident=resident,
            window_code=window_code,
            service="permit_first",
            starts_at=dt.datetime.fromisoformat(starts_at),
        )
        booking_confirm(resident=resident, reference=held.reference, name="张三")
    except ApplicationError as exc:
        return f"{exc.code}:{exc.message_zh}"
    return "booked"


@pytest.fixture
def pool(settings, sms_simulator):
    """64 client processes forked once, with the test's settings (the SMS simulator as the
    gateway, limits and the challenge out of the way: each client holds once a round)."""
    settings.ONETRIP_BOOKING_HOLDS_PER_RESIDENT_PER_HOUR = 10_000
    settings.ONETRIP_BOOKING_CAPTCHA_AFTER_HOLDS = 10_000
    connections.close_all()  # no socket may be shared with the children
    with multiprocessing.get_context("fork").Pool(CLIENTS) as workers:
        yield workers
    connections.close_all()


def _slot(window: Any) -> dt.datetime:
    from django.utils import timezone

    from onetrip.portal.booking.selectors import next_free_slot

    slot = next_free_slot(window, timezone.now())
    assert slot is not None
    return slot.starts_at


def _round(
    pool,
    window_code: str,
    starts_at: dt.datetime,
    people: list[Any],
    lead: float,
    late: float = 0.0,
) -> list[str]:
    """Every client starts `lead` seconds from now; with `late`, every other one that much
    later still."""
    start_at = time.time() + lead
    connections.close_all()
    args = [
        (window_code, starts_at.isoformat(), str(r.pk), start_at + (late if i % 2 else 0.0))
        for i, r in enumerate(people)
    ]
    return pool.map(_client, args, chunksize=1)


def _ghost_holds(window: Any, starts_at: dt.datetime, ghosts: list[Any], expires_in: float) -> None:
    """Three other residents' holds on every seat, ending `expires_in` seconds from now."""
    from django.utils import timezone

    from onetrip.portal.booking.services import booking_hold

    for g in ghosts:
        booking_hold(
            resident=g, window_code=window.code, service="permit_first", starts_at=starts_at
        )
    Booking.objects.filter(resident__in=ghosts, status="held").update(
        hold_expires_at=timezone.now() + dt.timedelta(seconds=expires_in)
    )


def _check(outcomes: list[str], window: Any, starts_at: dt.datetime) -> None:
    counted = Counter(outcomes)
    assert counted["booked"] == COUNTERS, counted
    assert counted[f"slot_full:{FULL}"] == CLIENTS - COUNTERS, counted
    assert (
        Booking.objects.filter(window=window, starts_at=starts_at, status="booked").count()
        == COUNTERS
    )
    assert SlotCounter.objects.get(window=window, starts_at=starts_at).taken == COUNTERS


def test_64_clients_race_for_one_slot_with_three_counters(pool):
    people = make_residents(CLIENTS)
    timings = []
    for n in range(ROUNDS):
        window = put_window(
            f"3301065000{n:04d}", counters_per_slot=COUNTERS, min_notice_minutes=120
        )
        starts_at = _slot(window)
        began = time.monotonic()
        outcomes = _round(pool, window.code, starts_at, people, lead=0.3)
        timings.append(time.monotonic() - began)
        _check(outcomes, window, starts_at)
        Booking.objects.filter(status="booked").update(status="cancelled")
    print(f"race rounds={ROUNDS} clients={CLIENTS} slowest={max(timings):.2f}s")


def test_the_same_race_while_the_seats_are_held_by_holds_expiring_mid_race(pool):
    people = make_residents(CLIENTS)
    ghosts = make_residents(COUNTERS, start=CLIENTS)
    timings = []
    for n in range(ROUNDS):
        window = put_window(
            f"3301065001{n:04d}", counters_per_slot=COUNTERS, min_notice_minutes=120
        )
        starts_at = _slot(window)
        # The ghosts' holds end between the two waves: the first wave finds the slot full,
        # the second races for the three seats their expiry frees.
        _ghost_holds(window, starts_at, ghosts, expires_in=0.6)
        began = time.monotonic()
        outcomes = _round(pool, window.code, starts_at, people, lead=0.3, late=0.6)
        timings.append(time.monotonic() - began)
        _check(outcomes, window, starts_at)
        assert set(
            Booking.objects.filter(resident__in=ghosts, window=window).values_list(
                "status", flat=True
            )
        ) == {"expired"}
        Booking.objects.filter(status__in=["booked", "held"]).update(status="cancelled")
    print(f"expiring-race rounds={ROUNDS} clients={CLIENTS} slowest={max(timings):.2f}s")

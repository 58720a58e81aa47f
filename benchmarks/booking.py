"""Booking under load: residents listing a window's free slots and booking them, all racing for
the same few slots, beside a bare Django view as the ceiling; then the count of overbooked slots.

    .venv/bin/python benchmarks/booking.py [--stack postgres|sqlite|all] [--clients 32]
                                           [--seconds 20] [--windows 2] [--spread N]
                                           [--profile [--profile-holds 60]] [--keep]

Per stack, against `make up`'s own process tree (`onetrip up`, started by `benchmarks/portal.py`'s
`Stack` on spare ports with a temporary var dir and, for PostgreSQL, fresh databases):

1. Wait until the police zone's window directory and capacity calendars have crossed the ferry
   (`load_reference` publishes all 199 windows and their calendars).
2. Seed (`booking_seed.py`): --clients × 40 residents with API tokens.
3. Three phases of --seconds, --clients clients in a closed loop on keep-alive connections:
   the ceiling (`portal_ceiling/`: the portal's gunicorn, settings and middleware, one bare view
   doing one indexed query), listing a window's free slots (GET /api/v1/booking/windows/{code}/
   slots, no sign-in), and booking: each client takes its next resident, lists the first of
   --windows windows' slots, holds the earliest free slot (POST /holds) and confirms it
   (POST /bookings/{ref}/confirm). All clients chase the same earliest slots, so every seat is
   raced for; "该时段已约满" (409 slot_full) and a day's quota used up (409 day_full) are
   expected answers, counted apart.
   With --spread N the booking phase is residents spread out instead: client i books at the
   (i mod N)-th of the first N windows and takes a slot drawn at random (seeded by i) from that
   window's free ones, so clients seldom meet on a counter row; what is left is the cost of a
   hold and a confirm themselves.
4. Overbooked slots: booked bookings per (window, start) above the calendar's counters per
   slot, and slot counters above it, read straight from the portal's database (must be 0).
5. With --profile: --profile-holds holds and confirms one after another, in a process of their
   own with the stack's settings and database (Django's WSGI handler, no network, no other
   client), under cProfile: CPU and wall time and SQL statements per request, and the
   functions that take the time, written to <var dir>/profile-{hold,confirm}.txt and summed up
   here. Beside the loaded phase's p50/p99 this tells the request's own cost from the time it
   spends waiting for others.

Goal (issue 11): p99 ≤ 150 ms for listing and booking, listing ≥ 50 % of the ceiling's req/s.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from portal import (
    BENCH_DIR,
    PG_BASE,
    PY,
    REPO,
    Connection,
    Stack,
    Step,
    call,
    closed_loop,
    count_in_log,
    log,
    percentile,
)

RESIDENTS_PER_CLIENT = 40
# What a hold may answer when the race is lost: the slot, or the day's online quota, is taken.
FULL = ("slot_full", "day_full")
# Raised for the run: every simulated resident comes from 127.0.0.1 and books as fast as it can.
RAISED = {
    "ONETRIP_BOOKING_HOLDS_PER_RESIDENT_PER_HOUR": "1000000",
    "ONETRIP_BOOKING_HOLDS_PER_ADDRESS_PER_HOUR": "1000000",
    "ONETRIP_BOOKING_CAPTCHA_AFTER": "1000000",
}
OVERBOOKED_SQL = """
SELECT
  (SELECT count(*) FROM (
     SELECT b.window_id, b.starts_at, count(*) AS n, max(c.counters_per_slot) AS cap
     FROM portal_booking_booking b
     JOIN portal_windows_windowcalendar c ON c.window_id = b.window_id
     WHERE b.status IN ('held', 'booked')
     GROUP BY b.window_id, b.starts_at) AS per_slot WHERE n > cap)
  + (SELECT count(*) FROM portal_booking_slotcounter s
     JOIN portal_windows_windowcalendar c ON c.window_id = s.window_id
     WHERE s.taken > c.counters_per_slot)
"""
BOOKED_SQL = "SELECT count(*) FROM portal_booking_booking WHERE status = 'booked'"
CALENDARS_SQL = "SELECT count(*) FROM portal_windows_windowcalendar"


class BookingStack(Stack):
    def env(self) -> dict[str, str]:
        return {**super().env(), **RAISED}

    def portal_rows(self, sql: str) -> list[str]:
        """The first column of every row, read from the portal's database outside the servers."""
        if self.name == "postgres":
            import psycopg

            with psycopg.connect(f"{PG_BASE}/{self.dbs['portal']}", autocommit=True) as db:
                return [str(row[0]) for row in db.execute(sql).fetchall()]
        import sqlite3

        db = sqlite3.connect(self.root / "var" / "portal.sqlite3", timeout=20)
        try:
            return [str(row[0]) for row in db.execute(sql).fetchall()]
        finally:
            db.close()


def seed(stack: Stack, count: int) -> list[str]:
    env = {**stack.env(), "DJANGO_SETTINGS_MODULE": "onetrip.settings.portal"}
    env["ONETRIP_LOG_LEVEL"] = "WARNING"
    done = subprocess.run(
        [PY, str(BENCH_DIR / "booking_seed.py"), str(count)],
        cwd=REPO, env=env, check=True, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    return [json.loads(line)["token"] for line in done.stdout.splitlines() if line.startswith("{")]


def window_codes(stack: BookingStack, how_many: int) -> list[str]:
    """The first windows (by code) that have a calendar with seats, read from the database."""
    sql = (
        "SELECT w.code FROM portal_windows_window w JOIN portal_windows_windowcalendar c "
        "ON c.window_id = w.id WHERE w.active AND c.counters_per_slot > 0 ORDER BY w.code"
    )
    return stack.portal_rows(sql)[:how_many]


POLICE_SENT_SQL = (
    "SELECT count(*) FROM police_ferrybox_outboxmessage WHERE channel = 'police_to_portal'"
)
PORTAL_RECEIVED_SQL = "SELECT count(*) FROM portal_ferrybox_inboxmessage"


async def wait_for_directory(stack: Stack, timeout: float) -> None:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if stack.portal_scalar(CALENDARS_SQL) >= 199:
            log(f"  199 calendars on the portal ({time.monotonic() - began:.1f}s)")
            break
        await asyncio.sleep(0.5)
    else:
        raise SystemExit("the window directory did not reach the portal")
    # What `make up` publishes at start (the directory, the demo guidance with its pictures, …)
    # is still being applied and indexed on the portal for a while: measure the settled stack.
    while time.monotonic() - began < timeout:
        sent = stack.portal_scalar(POLICE_SENT_SQL, zone="police")
        received = stack.portal_scalar(PORTAL_RECEIVED_SQL)
        if received >= sent:
            log(f"  all {sent} messages of the police zone applied on the portal "
                f"({time.monotonic() - began:.1f}s)")  # fmt: skip
            await asyncio.sleep(5)
            return
        await asyncio.sleep(1)
    raise SystemExit("the police zone's messages were not all applied on the portal")


async def run_phases(
    portal: str,
    ceiling: str,
    windows: list[str],
    tokens: list[str],
    clients: int,
    seconds: float,
    spread: list[str] | None = None,
) -> tuple[dict[str, Step], int]:
    """The three phases; with `spread` (window codes) the booking phase spreads its clients
    over those windows and over their free slots instead of racing for the earliest."""
    steps = {name: Step(name) for name in ("ceiling", "slots", "hold", "confirm")}
    full = 0

    async def phase(name: str, base: str, make_loop) -> None:  # type: ignore[no-untyped-def]
        log(f"  {name}: {clients} clients in a closed loop for {seconds:.0f}s")
        connections = [Connection(base) for _ in range(clients)]
        warm = Step("warm")
        await asyncio.gather(*(call(c, warm, "GET", "/") for c in connections[:4]))
        await closed_loop(
            steps[name], seconds, [make_loop(i, c) for i, c in enumerate(connections)]
        )
        for connection in connections:
            await connection.close()
        await asyncio.sleep(1)

    def ceiling_loop(i: int, c: Connection):  # type: ignore[no-untyped-def]
        async def one() -> None:
            await call(c, steps["ceiling"], "GET", f"/ceiling?phone=1380000{i:04d}")

        return one

    def slots_loop(i: int, c: Connection):  # type: ignore[no-untyped-def]
        path = f"/api/v1/booking/windows/{windows[i % len(windows)]}/slots"

        async def one() -> None:
            await call(c, steps["slots"], "GET", path)

        return one

    def booking_loop(i: int, c: Connection):  # type: ignore[no-untyped-def]
        mine = iter(tokens[i * RESIDENTS_PER_CLIENT : (i + 1) * RESIDENTS_PER_CLIENT])
        window = spread[i % len(spread)] if spread else windows[i % len(windows)]
        draw = random.Random(i)

        async def one() -> None:
            nonlocal full
            token = next(mine, None)
            if token is None:
                await asyncio.sleep(0.05)
                return
            auth = {"Authorization": f"Bearer {token}"}
            listing = await call(c, Step("list"), "GET", f"/api/v1/booking/windows/{window}/slots")
            if listing is None:
                return
            free = [s for d in listing.json()["days"] for s in d["slots"] if s["free"] > 0]
            if spread:
                free = draw.sample(free, len(free))
            for slot in free[:5]:
                body = {
                    "window_code": window,
                    "service": "permit_first",
                    "starts_at": slot["starts_at"],
                }
                began = time.perf_counter()
                try:
                    answer = await c.request(
                        "POST", "/api/v1/booking/holds", body=body, headers=auth
                    )
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    await c.close()
                    steps["hold"].record(began, None, 201, str(exc))
                    return
                if answer.status == 409 and answer.json().get("code") in FULL:
                    steps["hold"].latencies.append(time.perf_counter() - began)
                    full += 1
                    continue
                if not steps["hold"].record(began, answer.status, 201, answer.body.decode()):
                    return
                reference = answer.json()["reference"]
                await call(
                    c, steps["confirm"], "POST", f"/api/v1/booking/bookings/{reference}/confirm",
                    body={"name": "王伟"}, headers=auth,
                )  # fmt: skip
                return

        return one

    await phase("ceiling", ceiling, ceiling_loop)
    await phase("slots", portal, slots_loop)
    await phase("hold", portal, booking_loop)
    steps["confirm"].seconds = steps["hold"].seconds
    steps["confirm"].cpu_busy, steps["confirm"].cpu_total = (
        steps["hold"].cpu_busy,
        steps["hold"].cpu_total,
    )
    return steps, full


def report(
    stack: Stack, steps: dict[str, Step], full: int, overbooked: int, booked: int, mode: str
) -> None:
    print(f"\n  {stack.name}: closed loop, one phase at a time (hold and confirm share a phase)")
    print(f"  booking phase: {mode}")
    print(
        f"  {'step':<8} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
        f" {'5xx':>4} {'other':>5} {'CPUs busy':>9}"
    )
    for step in steps.values():
        print(
            f"  {step.name:<8} {len(step.latencies):>8} {step.rate:>7.1f} "
            f"{percentile(step.latencies, 0.50) * 1000:>7.0f} "
            f"{percentile(step.latencies, 0.99) * 1000:>7.0f} "
            f"{max(step.latencies, default=float('nan')) * 1000:>7.0f} "
            f"{step.server_errors:>4} {step.failures:>5} {step.busy:>9.0%}"
        )
        for example in step.examples:
            print(f"      e.g. {example}")
    share = steps["slots"].rate / steps["ceiling"].rate
    print(f"  slots    {share:.0%} of the ceiling's req/s (goal ≥ 50 %, p99 ≤ 150 ms)")
    print(f"  holds answered full (slot_full or day_full): {full}; bookings made: {booked}")
    print(f"  OVERBOOKED SLOTS: {overbooked}")
    logs = stack.root / "up.log"
    print(
        f"  5xx in total: {sum(s.server_errors for s in steps.values())}; in the servers' log: "
        f"'database is locked' {count_in_log(logs, 'database is locked')}, "
        f"tracebacks {count_in_log(logs, 'Traceback')}",
        flush=True,
    )


def run_stack(name: str, args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix=f"onetrip-bench-booking-{name}-"))
    stack = BookingStack(name=name, root=root)
    print(f"\n== {name}: onetrip up in {root}", flush=True)
    try:
        log("starting onetrip up (keys, migrations, reference and demo data, then the servers)")
        urls = stack.start()
        asyncio.run(wait_for_directory(stack, 180))
        windows = window_codes(stack, args.windows)
        spread = window_codes(stack, args.spread) if args.spread else None
        mode = (
            f"spread over {len(spread)} windows, a random free slot each"
            if spread
            else f"same-seat race: the earliest free slot of {len(windows)} windows"
        )
        log(f"seeding {args.clients * RESIDENTS_PER_CLIENT} residents; windows {windows}")
        tokens = seed(stack, args.clients * RESIDENTS_PER_CLIENT)
        log(f"load average {load_average()}")
        steps, full = asyncio.run(
            run_phases(
                urls.portal, urls.ceiling, windows, tokens, args.clients, args.seconds, spread
            )
        )
        report(
            stack,
            steps,
            full,
            stack.portal_scalar(OVERBOOKED_SQL),
            stack.portal_scalar(BOOKED_SQL),
            mode,
        )
        log(f"load average {load_average()}")
        if args.profile:
            run_profile(stack, (spread or windows)[-1], args.profile_holds)
    finally:
        stack.stop()
        stack.teardown(args.keep)


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages, as `uptime` shows them: other work runs
    on the machine, and the figures mean little without it."""
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


# --- --profile: hold and confirm alone, in one process, under cProfile -----------------------


def run_profile(stack: Stack, window: str, holds: int) -> None:
    """Run this script's profile worker with the stack's settings and database."""
    env = {**stack.env(), "DJANGO_SETTINGS_MODULE": "onetrip.settings.portal"}
    env["ONETRIP_LOG_LEVEL"] = "WARNING"
    out = stack.root / "var"
    log(f"profiling {holds} holds and confirms at {window}, one at a time")
    subprocess.run(
        [PY, __file__, "--profile-worker", window, str(holds), str(out)],
        cwd=REPO, env=env, check=True,
    )  # fmt: skip


def profile_worker(window: str, holds: int, out_dir: Path) -> None:
    """Hold and confirm `holds` times through Django's WSGI handler (the API, as the clients
    call it), each resident once; print the cost per request and the top of the profile."""
    import django

    django.setup()
    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from onetrip.portal.accounts.models import Resident
    from onetrip.portal.accounts.services import phone_hash_of
    from onetrip.portal.api.auth import token_for

    client = Client(HTTP_HOST="127.0.0.1")
    auth = []
    for index in range(holds + 1):
        phone = f"1371{index:07d}"
        resident, _ = Resident.objects.get_or_create(
            phone_hash=phone_hash_of(phone), defaults={"phone": phone}
        )
        auth.append(f"Bearer {token_for(resident)}")
    listing = client.get(f"/api/v1/booking/windows/{window}/slots").json()
    free = [s["starts_at"] for d in listing["days"] for s in d["slots"] if s["free"] > 0]
    free = free[len(free) // 2 :]  # away from what the loaded phase took

    def hold(i: int) -> str:
        answer = client.post(
            "/api/v1/booking/holds",
            {"window_code": window, "service": "permit_first", "starts_at": free[i % len(free)]},
            content_type="application/json", HTTP_AUTHORIZATION=auth[i],
        )  # fmt: skip
        assert answer.status_code == 201, answer.content
        return str(answer.json()["reference"])

    def confirm(i: int, reference: str) -> None:
        answer = client.post(
            f"/api/v1/booking/bookings/{reference}/confirm", {"name": "王伟"},
            content_type="application/json", HTTP_AUTHORIZATION=auth[i],
        )  # fmt: skip
        assert answer.status_code == 200, answer.content

    confirm(0, hold(0))  # warm
    profilers = {"hold": cProfile.Profile(), "confirm": cProfile.Profile()}
    cpu = {"hold": 0.0, "confirm": 0.0}
    wall = {"hold": 0.0, "confirm": 0.0}
    queries = {"hold": 0, "confirm": 0}
    db = connections["default"]
    for i in range(1, holds + 1):
        for name in ("hold", "confirm"):
            c0, w0 = time.process_time(), time.perf_counter()
            with CaptureQueriesContext(db) as captured:
                profilers[name].enable()
                if name == "hold":
                    reference = hold(i)
                else:
                    confirm(i, reference)
                profilers[name].disable()
            cpu[name] += time.process_time() - c0
            wall[name] += time.perf_counter() - w0
            queries[name] += len(captured)
    print(f"\n  alone, in process ({holds} each; the profiler's own cost included):")
    for name in ("hold", "confirm"):
        print(
            f"  {name:<8} {cpu[name] / holds * 1000:6.1f} ms CPU  "
            f"{wall[name] / holds * 1000:6.1f} ms wall  {queries[name] / holds:5.1f} SQL"
        )
        text = io.StringIO()
        stats = pstats.Stats(profilers[name], stream=text)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(20)
        (out_dir / f"profile-{name}.txt").write_text(text.getvalue())
        top = io.StringIO()
        pstats.Stats(profilers[name], stream=top).sort_stats("tottime").print_stats(8)
        lines = [line for line in top.getvalue().splitlines() if line.strip()]
        print("\n".join("      " + line for line in lines[-9:]))
    print(f"  listings: {out_dir}/profile-hold.txt, profile-confirm.txt", flush=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--profile-worker":
        profile_worker(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", choices=["postgres", "sqlite", "all"], default="postgres")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--windows", type=int, default=2)
    parser.add_argument(
        "--spread",
        type=int,
        default=0,
        metavar="N",
        help="book across the first N windows at random free slots instead of racing",
    )
    parser.add_argument(
        "--profile", action="store_true", help="then profile holds and confirms alone"
    )
    parser.add_argument("--profile-holds", type=int, default=60)
    parser.add_argument("--keep", action="store_true", help="keep temporary data for a look")
    args = parser.parse_args()
    print(
        f"booking benchmark: {args.clients} clients, {args.seconds:.0f}s per phase, "
        f"{args.windows} windows, spread {args.spread or 'off'}; {os.cpu_count()} CPUs; "
        f"load average {load_average()} at start; raised: {RAISED}",
        flush=True,
    )
    for name in ["postgres", "sqlite"] if args.stack == "all" else [args.stack]:
        run_stack(name, args)


if __name__ == "__main__":
    main()

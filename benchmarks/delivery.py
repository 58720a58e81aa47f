"""Card delivery under load: the courier's signed status callbacks arriving 50 at once, then
residents reading their application with its delivery tracking; then the count of cards not
delivered and of `delivered` messages lost or doubled.

    .venv/bin/python benchmarks/delivery.py [--stack sqlite|postgres|all] [--clients 50]
                                            [--shipments 400] [--seconds 15] [--keep]

Per stack, against `make up`'s own process tree (`onetrip up`, started by `benchmarks/portal.py`'s
`Stack` on spare ports, the courier simulator's too, with a temporary var dir and, for
PostgreSQL, fresh databases; the callbacks' secret is `make up`'s,
`onetrip.simulators.courier.DEV_SECRET`):

1. Seed (`delivery_seed.py`), the same --shipments applications on both sides: on the portal,
   residents with API tokens, each with an approved application to be posted; on the police
   side, each one's case with its card at the station and a courier order the courier has
   accepted (status `created`, a tracking number), and the `shipped` snapshot that step emits.
   Wait until the ferry has carried every `shipped` snapshot to the portal.
2. Callbacks: for each shipment the courier's four events (picked_up, in_transit,
   out_for_delivery, delivered, each with its own event id and time), signed as the courier
   signs them (`X-Courier-Signature: t=<unix>,v1=<HMAC-SHA256 hex>`, signed when sent); every
   third shipment has one event sent twice (the same event id: a courier retry), every third
   another has its events sent in a shuffled order (delivered may come first). All callbacks go
   in one queue, shipment after shipment, and --clients clients take the next one as soon as
   they have their answer: a client's neighbours in the queue are the same shipment's other
   events, so callbacks of one card race for its row lock. Each answer must be 200 ("applied",
   "recorded" or "duplicate"); anything else is counted by status and code.
3. Afterwards, in the police database: every shipment `delivered`, every case `delivered`, each
   case with exactly one `delivered` permit.delivery_changed in the outbox (0 lost, 0 doubled)
   and no snapshot sequence number used twice; then, once the ferry has carried them, every
   portal snapshot at stage `delivered`.
4. Reads: --clients residents in a closed loop for --seconds, each reading their application
   with its delivery tracking (GET /api/v1/permit/applications/{reference}, `card_delivery`
   with four tracking events).

Each client keeps one HTTP/1.1 keep-alive connection (portal.py's client). Prints requests,
req/s, p50, p99, max, 5xx and other failures, how busy the machine's CPUs were, the load average
(other work may run on the machine), and "database is locked" and tracebacks in the servers' log.

The bar: no 5xx, no "database is locked", 0 lost, 0 doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from onetrip.police.courier.callbacks import SIGNATURE_HEADER, signature_for
from onetrip.simulators.courier import DEV_SECRET
from portal import (
    BENCH_DIR,
    PY,
    REPO,
    Connection,
    Stack,
    Step,
    call,
    closed_loop,
    count_in_log,
    free_port,
    log,
    percentile,
)

CALLBACK_PATH = "/courier/callbacks/"
SCRIPT = ("picked_up", "in_transit", "out_for_delivery", "delivered")
DETAIL = {
    "picked_up": "北山派出所已交寄",
    "in_transit": "已到达杭州转运中心",
    "out_for_delivery": "快递员正在派送",
    "delivered": "已签收，签收人：本人",
}
SNAPSHOTS_SQL = (
    "SELECT count(*) FROM portal_permits_permitdelivery d "
    "JOIN portal_permits_permitapplication a ON a.id = d.application_id "
    "WHERE a.reference LIKE 'PA{tag}%' AND d.stage IN ({stages})"
)


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages, as `uptime` shows them."""
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


class DeliveryStack(Stack):
    """`onetrip up` with its courier simulator on a spare port too."""

    courier_port: int = 0

    def env(self) -> dict[str, str]:
        if not self.courier_port:
            self.courier_port = free_port()
        return {**super().env(), "ONETRIP_COURIER_PORT": str(self.courier_port)}

    def zone_run(self, zone: str, *args: str) -> list[dict[str, Any]]:
        """`delivery_seed.py` with the zone's settings and the stack's database; its JSON lines."""
        env = {**self.env(), "DJANGO_SETTINGS_MODULE": f"onetrip.settings.{zone}"}
        env["ONETRIP_LOG_LEVEL"] = "WARNING"
        done = subprocess.run(
            [PY, str(BENCH_DIR / "delivery_seed.py"), zone, *args],
            cwd=REPO, env=env, check=True, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


@dataclass
class Callback:
    tracking_number: str
    event_id: str
    status: str
    at: str

    def event(self) -> dict[str, str]:
        return {
            "tracking_number": self.tracking_number,
            "event_id": self.event_id,
            "status": self.status,
            "at": self.at,
            "detail": DETAIL[self.status],
        }


def callbacks_for(shipments: list[dict[str, Any]], seed: int) -> tuple[list[Callback], Counter]:
    """Every shipment's four events, in the courier's order, a duplicate in every third, a
    shuffled order in every third another; shipment after shipment."""
    draw = random.Random(seed)
    base = dt.datetime.now(dt.UTC) - dt.timedelta(hours=6)
    queue: list[Callback] = []
    kinds: Counter[str] = Counter()
    for index, shipment in enumerate(shipments):
        tracking = shipment["tracking_number"]
        events = [
            Callback(
                tracking,
                f"EV{tracking[2:]}{n}",
                status,
                (base + dt.timedelta(hours=n, minutes=index % 60)).isoformat(),
            )
            for n, status in enumerate(SCRIPT)
        ]
        if index % 3 == 1:
            events.insert(draw.randrange(len(events) + 1), draw.choice(events))
            kinds["with a duplicate"] += 1
        elif index % 3 == 2:
            draw.shuffle(events)
            kinds["reordered"] += 1
        else:
            kinds["in order"] += 1
        queue += events
    return queue, kinds


@dataclass
class CallbackResults:
    step: Step
    outcomes: Counter = field(default_factory=Counter)  # applied / recorded / duplicate
    refused: Counter = field(default_factory=Counter)  # (status, code) of every non-2xx


async def post_callbacks(police: str, queue: list[Callback], clients: int) -> CallbackResults:
    results = CallbackResults(Step("callback"))
    pending = iter(queue)
    connections = [Connection(police) for _ in range(clients)]

    async def client(c: Connection) -> None:
        for callback in pending:
            event = callback.event()
            # The bytes portal.py's client sends for this body: what the courier signs.
            body = json.dumps(event, ensure_ascii=False).encode()
            now = int(time.time())
            headers = {SIGNATURE_HEADER: f"t={now},v1={signature_for(DEV_SECRET, body, now)}"}
            began = time.perf_counter()
            try:
                answer = await c.request("POST", CALLBACK_PATH, body=event, headers=headers)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                await c.close()
                results.step.record(began, None, 200, f"{type(exc).__name__}: {exc}")
                results.refused[("no answer", type(exc).__name__)] += 1
                continue
            text = answer.body.decode(errors="replace")
            if results.step.record(began, answer.status, 200, text):
                results.outcomes[answer.json().get("result", "?")] += 1
                continue
            try:
                code = str(answer.json().get("code", ""))
            except ValueError:
                code = text[:60]
            results.refused[(str(answer.status), code)] += 1

    with results.step.timing():
        await asyncio.gather(*(client(c) for c in connections))
    for connection in connections:
        await connection.close()
    return results


async def wait_for_snapshots(
    stack: Stack, tag: str, stages: str, count: int, timeout: float, since: float | None = None
) -> float | None:
    """Seconds from `since` (now) until `count` portal snapshots of this run are at one of
    `stages`, read straight from the portal's database; None if not there within `timeout`."""
    sql = SNAPSHOTS_SQL.format(tag=tag, stages=stages)
    began = time.monotonic() if since is None else since
    found = -1
    while time.monotonic() - began < timeout:
        found = stack.portal_scalar(sql)
        if found >= count:
            return time.monotonic() - began
        await asyncio.sleep(0.5)
    log(f"  only {found} of {count} portal snapshots at {stages} after {timeout:.0f}s")
    return None


async def read_phase(
    portal: str, residents: list[dict[str, Any]], clients: int, seconds: float
) -> tuple[Step, Counter]:
    """--clients residents reading their own application, closed loop."""
    step = Step("read")
    stages: Counter[str] = Counter()
    mine = [residents[i % len(residents)] for i in range(clients)]
    connections = [Connection(portal) for _ in mine]
    for r, c in zip(mine, connections, strict=True):  # warm, and what the residents see
        auth = {"Authorization": f"Bearer {r['token']}"}
        answer = await call(
            c, Step("warm"), "GET", f"/api/v1/permit/applications/{r['reference']}", headers=auth
        )
        delivery = answer.json().get("card_delivery") if answer is not None else None
        events = len(delivery.get("events", [])) if delivery else 0
        stages[f"{delivery['stage'] if delivery else None}, {events} events"] += 1

    def loop(r: dict[str, Any], c: Connection):  # type: ignore[no-untyped-def]
        auth = {"Authorization": f"Bearer {r['token']}"}
        path = f"/api/v1/permit/applications/{r['reference']}"
        return lambda: call(c, step, "GET", path, headers=auth)

    log(f"  reads: {clients} residents in a closed loop for {seconds:.0f}s")
    await closed_loop(step, seconds, [loop(r, c) for r, c in zip(mine, connections, strict=True)])
    for connection in connections:
        await connection.close()
    return step, stages


def row(step: Step) -> str:
    return (
        f"  {step.name:<9} {len(step.latencies):>8} {step.rate:>7.1f} "
        f"{percentile(step.latencies, 0.50) * 1000:>7.0f} "
        f"{percentile(step.latencies, 0.99) * 1000:>7.0f} "
        f"{max(step.latencies, default=float('nan')) * 1000:>7.0f} "
        f"{step.server_errors:>4} {step.failures:>5} {step.busy:>9.0%}"
    )


def run_stack(name: str, args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix=f"onetrip-bench-delivery-{name}-"))
    stack = DeliveryStack(name=name, root=root)
    tag = f"{random.Random().randrange(10**6):06d}"
    print(f"\n== {name}: onetrip up in {root}; references PA{tag}…", flush=True)
    try:
        log("starting onetrip up (keys, migrations, reference and demo data, then the servers)")
        urls = stack.start()
        police = f"http://127.0.0.1:{stack.ports['police']}"
        log(f"seeding {args.shipments} residents and applications on the portal")
        residents = stack.zone_run("portal", str(args.shipments), tag)
        log(f"seeding {args.shipments} shipped cards on the police side")
        shipments = stack.zone_run("police", str(args.shipments), tag)
        carried = asyncio.run(wait_for_snapshots(stack, tag, "'shipped'", len(shipments), 180))
        if carried is not None:
            log(f"  {len(shipments)} 'shipped' snapshots on the portal ({carried:.1f}s)")
        queue, kinds = callbacks_for(shipments, int(tag))
        log(f"load average {load_average()}")
        log(f"callbacks: {len(queue)} from {args.clients} clients, as fast as they answer")
        callbacks = asyncio.run(post_callbacks(police, queue, args.clients))
        ended = time.monotonic()
        log(f"load average {load_average()}")
        checked = stack.zone_run("police", "check", tag)[0]
        delivered = asyncio.run(
            wait_for_snapshots(stack, tag, "'delivered'", len(shipments), 180, ended)
        )
        portal_stages = stack.zone_run("portal", "check", tag)[0]["stages"]
        read, seen = asyncio.run(read_phase(urls.portal, residents, args.clients, args.seconds))
        load = load_average()

        print(f"\n  {name}: {len(shipments)} shipments, " + ", ".join(
            f"{n} {k}" for k, n in kinds.items()
        ))  # fmt: skip
        print(
            f"  {'step':<9} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
            f"{'max ms':>7} {'5xx':>4} {'other':>5} {'CPUs busy':>9}"
        )
        print(row(callbacks.step))
        print(row(read))
        for step in (callbacks.step, read):
            for example in step.examples:
                print(f"      {step.name} e.g. {example}")
        print(f"  callback answers 200: {dict(callbacks.outcomes)}")
        print(
            "  callback answers not 2xx: "
            + (", ".join(f"{s} {c}: {n}" for (s, c), n in callbacks.refused.items()) or "none")
        )
        print(f"  police after the callbacks: shipments {checked['shipments']}, "
              f"cases {checked['cases']}")  # fmt: skip
        lost, doubled = checked["delivered_none"], checked["delivered_more"]
        print(
            f"  'delivered' permit.delivery_changed per case: exactly one "
            f"{checked['delivered_once']}, LOST {lost}, DOUBLED {doubled}; "
            f"delivery messages {checked['messages']}, "
            f"sequence numbers used twice {checked['sequence_repeats']}"
        )
        print(
            f"  portal snapshots {portal_stages}"
            + (
                f", all delivered within {delivered:.1f}s of the last callback's answer"
                if delivered is not None
                else ""
            )
        )
        print(f"  what the readers saw (stage, tracking events): {dict(seen)}")
        logs = stack.root / "up.log"
        print(
            f"  5xx in total: {callbacks.step.server_errors + read.server_errors}; in the "
            f"servers' log: 'database is locked' {count_in_log(logs, 'database is locked')}, "
            f"tracebacks {count_in_log(logs, 'Traceback')}; load average {load}",
            flush=True,
        )
    finally:
        stack.stop()
        stack.teardown(args.keep)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--shipments", type=int, default=400, help="shipped cards, and residents who read"
    )
    parser.add_argument("--seconds", type=float, default=15, help="the read phase")
    parser.add_argument("--keep", action="store_true", help="keep temporary data for a look")
    args = parser.parse_args()
    uptime = subprocess.run(["uptime"], stdout=subprocess.PIPE, text=True, check=False)
    print(
        f"delivery benchmark: {args.clients} clients, {args.shipments} shipments, reads for "
        f"{args.seconds:.0f}s; {os.cpu_count()} CPUs; at start: {uptime.stdout.strip()}",
        flush=True,
    )
    for name in ["sqlite", "postgres"] if args.stack == "all" else [args.stack]:
        run_stack(name, args)
    print(f"\nload average at the end: {load_average()}", flush=True)


if __name__ == "__main__":
    sys.exit(main())

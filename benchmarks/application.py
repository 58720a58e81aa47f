"""Permit-application reads under load: residents watching their application's progress page and
its one-time materials list, beside a bare Django view as the ceiling.

    .venv/bin/python benchmarks/application.py [--stack postgres|sqlite|all] [--clients 32]
                                               [--seconds 20] [--keep]

Per stack, against `make up`'s own process tree (`onetrip up`: gunicorn for both zones, the
ferry agents, the task workers), started by `benchmarks/portal.py`'s `Stack` on spare ports with
a temporary ONETRIP_VAR_DIR and, for PostgreSQL, fresh databases dropped at the end:

1. Seed (`application_seed.py`, in the portal zone's settings, through the real services): for
   each client a resident who declared residence, the register's record of eight months of
   registration (HZ-1), a first application (rented housing) with its photo and two proofs,
   submitted — so the ferry carries it to the station and the station's "派出所预审中" back — and
   a signed-in session. The benchmark waits until every application has its station's receipt.
2. Three phases of --seconds each, --clients residents in a closed loop without think time, each
   on one keep-alive HTTP/1.1 connection with their own session cookie: the ceiling (the same
   gunicorn command, settings and middleware as the portal, one bare view doing one indexed
   query: `portal_ceiling/`), the progress page (GET /permit/applications/<ref>/: status, its
   explanation, the history, the one-time notice) and the materials list
   (GET /permit/applications/<ref>/materials/: the list computed for the case, samples, links).

Prints per phase: requests, req/s, p50, p99, max, 5xx, other failures, CPUs busy; each page's
req/s as a share of the ceiling's; 'database is locked' and tracebacks in the servers' log.
Goal (issue 10): p99 ≤ 150 ms and ≥ 50 % of the ceiling's req/s on PostgreSQL with 32 clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

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
    log,
    percentile,
)

PHASES = ("ceiling", "progress", "materials")


def seed(stack: Stack, clients: int, run: int) -> list[dict[str, str]]:
    env = {
        **stack.env(),
        "DJANGO_SETTINGS_MODULE": "onetrip.settings.portal",
        "ONETRIP_LOG_LEVEL": "WARNING",
    }
    done = subprocess.run(
        [PY, str(BENCH_DIR / "application_seed.py"), str(clients), str(run)],
        cwd=REPO, env=env, check=True, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


async def wait_for_station(stack: Stack, timeout: float) -> None:
    """Every application has crossed the ferry and come back "派出所预审中"."""
    sql = "SELECT count(*) FROM portal_permits_permitapplication WHERE status = 'submitted'"
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if stack.portal_scalar(sql) == 0:
            log(f"  every application is with its station ({time.monotonic() - began:.1f}s)")
            return
        await asyncio.sleep(0.3)
    raise SystemExit(f"applications still not with their station after {timeout:.0f}s")


async def phases(
    portal: str, ceiling: str, residents: list[dict[str, str]], seconds: float
) -> dict[str, Step]:
    steps = {name: Step(name) for name in PHASES}
    page_of = {
        "progress": lambda r: f"/permit/applications/{r['reference']}/",
        "materials": lambda r: f"/permit/applications/{r['reference']}/materials/",
    }
    for name in PHASES:
        log(f"  {name}: {len(residents)} clients in a closed loop for {seconds:.0f}s")
        base = ceiling if name == "ceiling" else portal
        connections = [Connection(base) for _ in residents]
        loops = []
        for resident, connection in zip(residents, connections, strict=True):
            if name == "ceiling":
                path, headers = f"/ceiling?phone={resident['phone']}", {}
            else:
                path = page_of[name](resident)
                headers = {"Cookie": f"sessionid={resident['session']}"}

            async def one(
                c: Connection = connection, p: str = path, h: dict = headers, s: Step = steps[name]
            ) -> None:
                await call(c, s, "GET", p, headers=h)

            loops.append(one)
        # A short warm-up on the same connections, not counted.
        warm = Step("warm")
        await asyncio.gather(*(call(c, warm, "GET", "/") for c in connections[:4]))
        await closed_loop(steps[name], seconds, loops)
        for connection in connections:
            await connection.close()
        await asyncio.sleep(1)
    return steps


def report(stack: Stack, steps: dict[str, Step], clients: int) -> None:
    print(f"\n  {stack.name}: {clients} clients in a closed loop, one phase at a time")
    print(
        f"  {'page':<10} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
        f" {'5xx':>4} {'other':>5} {'CPUs busy':>9}"
    )
    for step in steps.values():
        print(
            f"  {step.name:<10} {len(step.latencies):>8} {step.rate:>7.1f} "
            f"{percentile(step.latencies, 0.50) * 1000:>7.0f} "
            f"{percentile(step.latencies, 0.99) * 1000:>7.0f} "
            f"{max(step.latencies, default=float('nan')) * 1000:>7.0f} "
            f"{step.server_errors:>4} {step.failures:>5} {step.busy:>9.0%}"
        )
        for example in step.examples:
            print(f"      e.g. {example}")
    ceiling = steps["ceiling"].rate
    for name in PHASES[1:]:
        rate = steps[name].rate
        p99 = percentile(steps[name].latencies, 0.99) * 1000
        print(
            f"  {name:<10} {rate:7.1f} req/s = {rate / ceiling:.0%} of the ceiling's; "
            f"p99 {p99:.0f} ms (goal: ≥ 50 %, ≤ 150 ms)"
        )
    logs = stack.root / "up.log"
    print(
        f"  5xx in total: {sum(s.server_errors for s in steps.values())}; in the servers' log: "
        f"'database is locked' {count_in_log(logs, 'database is locked')}, "
        f"tracebacks {count_in_log(logs, 'Traceback')}",
        flush=True,
    )


def run_stack(name: str, args: argparse.Namespace, run: int) -> None:
    root = Path(tempfile.mkdtemp(prefix=f"onetrip-bench-application-{name}-"))
    stack = Stack(name=name, root=root)
    print(f"\n== {name}: onetrip up in {root}", flush=True)
    try:
        log("starting onetrip up (keys, migrations, reference and demo data, then the servers)")
        urls = stack.start()
        log(f"seeding {args.clients} residents with submitted applications")
        residents = seed(stack, args.clients, run)
        asyncio.run(wait_for_station(stack, 180))
        log(f"load average {os.getloadavg()[0]:.2f}; reading")
        steps = asyncio.run(phases(urls.portal, urls.ceiling, residents, args.seconds))
        report(stack, steps, args.clients)
        log(f"load average {os.getloadavg()[0]:.2f}")
    finally:
        stack.stop()
        stack.teardown(args.keep)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", choices=["postgres", "sqlite", "all"], default="postgres")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--keep", action="store_true", help="keep temporary data for a look")
    args = parser.parse_args()
    names = ["postgres", "sqlite"] if args.stack == "all" else [args.stack]
    run = int(time.time()) % 10_000
    print(
        f"application benchmark: {args.clients} clients, {args.seconds:.0f}s per phase; "
        f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f} at start",
        flush=True,
    )
    for name in names:
        run_stack(name, args, run)


if __name__ == "__main__":
    main()

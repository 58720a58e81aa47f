"""Police workbench under load: staff working the station's queues, opening cases and searching,
on PostgreSQL with a register of 1,000,000 persons and 200,000 permit cases, beside a bare
Django view as the ceiling.

    .venv/bin/python benchmarks/workbench.py [--clients 16] [--seconds 20]
                                             [--persons 1000000] [--cases 200000]
                                             [--regenerate] [--jobs 2] [--keep]

1. The data (`workbench_data.py`), generated once into a template database
   `bench_workbench_tpl_p<persons>_c<cases>` (ONETRIP_BENCH_POSTGRES, default
   postgresql://postgres@127.0.0.1:5432): migrated, the reference data loaded, then persons,
   cases and staff written with COPY. Later runs reuse it (`CREATE DATABASE … TEMPLATE`);
   --regenerate builds it again. The generation time is printed, and kept in the template's
   comment for the runs that reuse it.
2. `make up`'s own process tree (`onetrip up`, started as `benchmarks/portal.py`'s `Stack` does,
   on spare ports and a temporary ONETRIP_VAR_DIR) on a fresh portal database and a copy of the
   template as the police database (`bench_workbench_<pid>_{portal,police}`, dropped at the
   end), and beside it a ceiling server: the police zone's gunicorn command, settings and
   middleware with one bare view doing one indexed query (`workbench_ceiling/`).
3. Sessions for --clients members of staff of the four busy stations (window clerks, reviewers,
   approvers; each approver's session carries its verified TOTP device as django-otp's `login`
   leaves it), created with Django's SessionStore, as a log-in would.
4. Phases of --seconds, every client in a closed loop without think time on its own keep-alive
   connection: the ceiling; the queue page of the client's task (`/station/?task=accept|review|
   approve`, a page of 50 rows of a queue of 2,000–3,000); a case page of that queue
   (`/station/<ref>/`); the search box by reference, by phone and by ID number (`/station/?q=…`:
   one case found, so the answer is the 302 to its page, as a scanner's Enter gets).
5. In process (Django's test client, `CaptureQueriesContext`), on the same database: the SQL
   queries of one queue page at a station with 10 and with 5,000 waiting cases; EXPLAIN ANALYZE
   of the queue's query and of its tabs' counts at a busy station; CPU time per request of the
   queue page, the case page and a search by phone under cProfile, with the functions that
   take it.

Prints per phase: requests, req/s, p50, p99, max, 5xx, other failures, CPUs busy, share of the
ceiling's req/s; "database is locked" and tracebacks in the servers' log; the load average.
Goal: p99 ≤ 300 ms for the queue page, the case page and search with 16 clients.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from booking import load_average

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
    free_port,
    log,
    percentile,
    pg_admin,
    wait_http,
)

PHASES = ("ceiling", "queue", "case", "search-ref", "search-phone", "search-id")
GOAL_MS = 300
TASK_OF_ROLE = {"window_clerk": "accept", "reviewer": "review", "approver": "approve"}


def pg_value(sql: str, params: tuple[Any, ...] = ()) -> Any:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as connection:
        row = connection.execute(sql, params).fetchone()
    return row[0] if row else None


# ---------------------------------------------------------------------------------------------
# The template database
# ---------------------------------------------------------------------------------------------


def ensure_template(args: argparse.Namespace) -> tuple[str, str]:
    """The template's name and how it came about (generated now, or when)."""
    name = f"bench_workbench_tpl_p{args.persons}_c{args.cases}"
    exists = pg_value("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
    if exists and not args.regenerate:
        note = pg_value(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (name,),
        )
        return name, f"cached template {name} ({note or 'no note'}); --regenerate rebuilds it"
    building = f"{name}_building"
    pg_admin(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
    pg_admin(f'CREATE DATABASE "{building}"')
    var = Path(tempfile.mkdtemp(prefix="onetrip-bench-workbench-gen-"))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ONETRIP_", "DJANGO_SETTINGS_MODULE"))
    }
    env.update(
        ONETRIP_VAR_DIR=str(var),
        ONETRIP_POLICE_DATABASE_URL=f"{PG_BASE}/{building}",
        ONETRIP_LOG_LEVEL="WARNING",
    )
    onetrip = str(Path(PY).with_name("onetrip"))
    log(f"generating {args.persons:,} persons and {args.cases:,} cases into {building}")
    began = time.perf_counter()
    subprocess.run(
        [onetrip, "--zone", "police", "migrate", "--no-input", "-v", "0"],
        cwd=REPO, env=env, check=True,
    )  # fmt: skip
    subprocess.run(
        [onetrip, "--zone", "police", "load_reference"],
        cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    prepared = time.perf_counter() - began
    done = subprocess.run(
        [PY, str(BENCH_DIR / "workbench_data.py"), "--persons", str(args.persons),
         "--cases", str(args.cases), "--jobs", str(args.jobs)],
        cwd=REPO, env={**env, "DJANGO_SETTINGS_MODULE": "onetrip.settings.police"},
        check=True, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    seconds = time.perf_counter() - began
    report = json.loads(done.stdout.strip().splitlines()[-1])
    parts = ", ".join(f"{k} {v:.0f}s" for k, v in report["seconds"].items() if k != "total")
    note = (
        f"generated {dt.date.today().isoformat()} in {seconds:.0f}s: migrate and reference data "
        f"{prepared:.0f}s, then {parts}; load average {load_average()} at the end"
    )
    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    pg_admin(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    pg_admin(f"COMMENT ON DATABASE \"{name}\" IS '{note}'")
    with contextlib.suppress(OSError):
        for path in sorted(var.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        var.rmdir()
    return name, note


# ---------------------------------------------------------------------------------------------
# The process tree
# ---------------------------------------------------------------------------------------------


@dataclass
class WorkbenchStack(Stack):
    template: str = ""
    copy_seconds: float = 0.0
    urls: dict[str, str] = field(default_factory=dict)

    def start(self) -> Any:  # type: ignore[override]
        """`onetrip up` on a fresh portal database and a copy of the template as the police
        database, and the police ceiling beside it."""
        self.ports = {name: free_port() for name in ("portal", "police", "sms", "ceiling")}
        tag = f"bench_workbench_{os.getpid()}"
        self.dbs = {zone: f"{tag}_{zone}" for zone in ("portal", "police")}
        for name in self.dbs.values():
            pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pg_admin(f'CREATE DATABASE "{self.dbs["portal"]}"')
        began = time.perf_counter()
        pg_admin(f'CREATE DATABASE "{self.dbs["police"]}" TEMPLATE "{self.template}"')
        self.copy_seconds = time.perf_counter() - began
        log(f"  police database copied from the template in {self.copy_seconds:.1f}s")
        env = self.env()
        with (self.root / "up.log").open("wb") as out:
            up = subprocess.Popen(
                [str(Path(PY).with_name("onetrip")), "up"],
                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self.procs.append(up)
        self.urls = {
            "police": f"http://127.0.0.1:{self.ports['police']}",
            "ceiling": f"http://127.0.0.1:{self.ports['ceiling']}",
        }
        wait_http(f"http://127.0.0.1:{self.ports['portal']}/", 300, up)
        wait_http(self.urls["police"] + "/login/", 60, up)
        from onetrip.devserver import gunicorn

        ceiling_env = {**env, "DJANGO_SETTINGS_MODULE": "workbench_ceiling.settings"}
        cmd = gunicorn(f"127.0.0.1:{self.ports['ceiling']}", "workbench_ceiling.wsgi")
        with (self.root / "ceiling.log").open("wb") as out:
            ceiling = subprocess.Popen(
                [*cmd, "--pythonpath", str(BENCH_DIR)],
                cwd=REPO, env=ceiling_env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.procs.append(ceiling)
        wait_http(self.urls["ceiling"] + "/ceiling", 60, ceiling)
        return self.urls

    def worker(self, *args: str) -> str:
        """This script in a worker role, in the police zone's settings on the run's database."""
        env = {
            **self.env(),
            "DJANGO_SETTINGS_MODULE": "onetrip.settings.police",
            "ONETRIP_LOG_LEVEL": "WARNING",
        }
        done = subprocess.run(
            [PY, __file__, "--worker", *args],
            cwd=REPO, env=env, check=True, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        return done.stdout


# ---------------------------------------------------------------------------------------------
# Workers (a process of their own, police settings, the run's database)
# ---------------------------------------------------------------------------------------------


def worker_clients() -> None:
    """One JSON line per benchmark user of the busy stations: a fresh authenticated session (as
    `staff_session.session_begin` leaves it, with django-otp's device for an approver), the
    task, the references waiting in it, and references, phones and ID numbers to search for."""
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from onetrip.police.accounts.staff_session import LAST_SEEN_AT, STARTED_AT, now_ts
    from onetrip.police.permits.models import PermitCase

    users = list(
        User.objects.filter(username__regex=r"^wb[0-9]+_")
        .select_related("staff_profile__station")
        .order_by("username")
    )
    order = {"clerk1": 0, "reviewer": 1, "approver": 2, "clerk2": 3}
    users.sort(key=lambda u: (order[u.username.split("_")[1]], u.username))
    for user in users:
        profile = user.staff_profile
        task = TASK_OF_ROLE[profile.role]
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        if profile.role == "approver":
            device = TOTPDevice.objects.get(user=user, confirmed=True)
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session[STARTED_AT] = session[LAST_SEEN_AT] = now_ts()
        session.create()
        station_cases = PermitCase.objects.filter(station=profile.station)
        waiting = list(
            station_cases.filter(task=task)
            .order_by("due_on", "task_since", "id")
            .values_list("reference", flat=True)[:100]
        )
        found = list(station_cases.exclude(task="").order_by("-id")[:40])
        print(
            json.dumps(
                {
                    "username": user.username,
                    "role": profile.role,
                    "task": task,
                    "station": profile.station.code,
                    "session": session.session_key,
                    "waiting": waiting,
                    "references": [c.reference for c in found],
                    "phones": [c.phone for c in found],
                    "id_numbers": [c.id_number for c in found],
                },
                ensure_ascii=False,
            ),
            flush=True,
        )


def worker_inspect(requests: int) -> None:
    """Query counts of the queue page at 10 and 5,000 waiting cases, EXPLAIN ANALYZE of the
    queue's query and its counts at a busy station, and CPU per request of the queue page, the
    case page and a search."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from onetrip.police.accounts.models import StaffProfile
    from onetrip.police.permits.models import PermitCase
    from onetrip.police.stations.models import Station

    def page(client: Client, path: str) -> tuple[int, list[dict[str, str]], int]:
        with CaptureQueriesContext(connection) as queries:
            answer = client.get(path)
        assert answer.status_code == (302 if "?q=" in path else 200), (path, answer.status_code)
        return len(queries), list(queries.captured_queries), answer.content.count(b"<tr")

    # 1. A station of its own, one clerk, 10 then 5,000 cases waiting for acceptance.
    pattern = PermitCase.objects.filter(task="accept").order_by("id").first()
    assert pattern is not None
    busy = Station.objects.get(pk=pattern.station_id)
    station = Station.objects.create(
        code="BENCHQC000001",
        name="基准测试派出所",
        branch_name=busy.branch_name,
        district_code=busy.district_code,
    )
    user = User.objects.create(username="wbqc_clerk")
    StaffProfile.objects.create(user=user, full_name="测试", role="window_clerk", station=station)
    client = Client()
    client.force_login(user)
    counts = {}
    made = 0
    for target in (10, 5000):
        copies = []
        for n in range(made, target):
            case = PermitCase.objects.get(pk=pattern.pk)
            case.pk = None
            case.reference = f"PQ{n:014d}"
            case.station = station
            copies.append(case)
        PermitCase.objects.bulk_create(copies, batch_size=1000)
        made = target
        page(client, "/station/?task=accept")  # warm
        n_queries, _, rows = page(client, "/station/?task=accept")
        counts[target] = (n_queries, rows)
    print(
        json.dumps(
            {"query_counts": {str(k): {"queries": v[0], "rows": v[1]} for k, v in counts.items()}}
        ),
        flush=True,
    )

    # 2. EXPLAIN ANALYZE of the queue's query at the busiest station, as a clerk there sees it.
    clerk = User.objects.get(username="wb1_clerk1")
    client = Client()
    client.force_login(clerk)
    _, captured, _ = page(client, "/station/?task=accept")
    listing = [q["sql"] for q in captured if "LIMIT" in q["sql"] and "permitcase" in q["sql"]]
    plans: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        for sql in listing[:1]:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plans["queue"] = [row[0] for row in cursor.fetchall()]
        # The tabs' counts: kept per station and task since issue 12 (`TaskCount`).
        counting = [q["sql"] for q in captured if "taskcount" in q["sql"]]
        for sql in counting[:1]:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plans["counts"] = [row[0] for row in cursor.fetchall()]
    print(
        json.dumps(
            {"sql": {"queue": listing[:1], "counts": counting[:1]}, "plans": plans},
            ensure_ascii=False,
        ),
        flush=True,
    )

    # 3. CPU per request of the queue page, the case page and a search by phone (the 302 to the
    # case), alone, under cProfile.
    reference = (
        PermitCase.objects.filter(station=clerk.staff_profile.station, task="accept")
        .order_by("due_on", "task_since", "id")
        .values_list("reference", flat=True)
        .first()
    )
    searched = PermitCase.objects.filter(station=clerk.staff_profile.station).exclude(task="")
    phone = searched.order_by("-id").first().phone  # type: ignore[union-attr]
    profiles = {}
    for name, path in (
        ("queue", "/station/?task=accept"),
        ("case", f"/station/{reference}/"),
        ("search", "/station/?" + urlencode({"q": phone})),
    ):
        page(client, path)
        cpu, wall = time.process_time(), time.perf_counter()
        n_queries = 0
        for _ in range(requests):
            n_queries += page(client, path)[0]
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            client.get(path)
        profiler.disable()
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("tottime").print_stats(14)
        lines = [line for line in text.getvalue().splitlines() if line.strip()]
        profiles[name] = {
            "cpu_ms": round(cpu / requests * 1000, 2),
            "wall_ms": round(wall / requests * 1000, 2),
            "queries": n_queries / requests,
            "top": lines[-15:],
        }
    print(json.dumps({"profiles": profiles}, ensure_ascii=False), flush=True)


# ---------------------------------------------------------------------------------------------
# The load
# ---------------------------------------------------------------------------------------------


async def phases(
    urls: dict[str, str], clients: list[dict[str, Any]], seconds: float
) -> dict[str, Step]:
    steps = {name: Step(name) for name in PHASES}

    def path_maker(name: str, client: dict[str, Any]) -> Any:
        n = 0

        def nxt(values: list[str]) -> str:
            nonlocal n
            n += 1
            return values[n % len(values)]

        if name == "ceiling":
            return lambda: "/ceiling?" + urlencode({"reference": nxt(client["waiting"])})
        if name == "queue":
            return lambda: f"/station/?task={client['task']}"
        if name == "case":
            return lambda: f"/station/{nxt(client['waiting'])}/"
        key = {"search-ref": "references", "search-phone": "phones", "search-id": "id_numbers"}
        return lambda: "/station/?" + urlencode({"q": nxt(client[key[name]])})

    for name in PHASES:
        expected = 302 if name.startswith("search") else 200
        base = urls["ceiling"] if name == "ceiling" else urls["police"]
        connections = [Connection(base) for _ in clients]
        loops = []
        warm = Step("warm")
        for client, connection in zip(clients, connections, strict=True):
            headers = {} if name == "ceiling" else {"Cookie": f"sessionid={client['session']}"}
            make = path_maker(name, client)

            async def one(
                c: Connection = connection,
                h: dict[str, str] = headers,
                m: Any = make,
                s: Step = steps[name],
                e: int = expected,
            ) -> None:
                await call(c, s, "GET", m(), headers=h, expected=e)

            loops.append(one)
            # Warm-up, not counted: each worker has imported and compiled what the page needs.
            await call(connection, warm, "GET", make(), headers=headers, expected=expected)
        if warm.examples:
            log(f"  warm-up of {name}: {warm.examples[0]}")
        log(f"  {name}: {len(clients)} clients in a closed loop for {seconds:.0f}s")
        await closed_loop(steps[name], seconds, loops)
        for connection in connections:
            await connection.close()
        await asyncio.sleep(1)
    return steps


def report(stack: WorkbenchStack, steps: dict[str, Step], clients: list[dict[str, Any]]) -> None:
    roles: dict[str, int] = {}
    for client in clients:
        roles[client["role"]] = roles.get(client["role"], 0) + 1
    print(
        f"\n  PostgreSQL: {len(clients)} staff in a closed loop ("
        + ", ".join(f"{n} {role}" for role, n in roles.items())
        + f" of {len({c['station'] for c in clients})} stations), one phase at a time"
    )
    print(
        f"  {'step':<13} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
        f" {'5xx':>4} {'other':>5} {'CPUs busy':>9} {'of ceiling':>10}"
    )
    ceiling = steps["ceiling"].rate
    for step in steps.values():
        share = "" if step.name == "ceiling" else f"{step.rate / ceiling:.0%}"
        print(
            f"  {step.name:<13} {len(step.latencies):>8} {step.rate:>7.1f} "
            f"{percentile(step.latencies, 0.50) * 1000:>7.0f} "
            f"{percentile(step.latencies, 0.99) * 1000:>7.0f} "
            f"{max(step.latencies, default=float('nan')) * 1000:>7.0f} "
            f"{step.server_errors:>4} {step.failures:>5} {step.busy:>9.0%} {share:>10}"
        )
        for example in step.examples:
            print(f"      e.g. {example}")
    missed = [
        s.name
        for s in steps.values()
        if s.name != "ceiling" and percentile(s.latencies, 0.99) * 1000 > GOAL_MS
    ]
    print(
        f"  goal p99 ≤ {GOAL_MS} ms: "
        + (f"missed by {', '.join(missed)}" if missed else "met by every step")
    )
    logs = [stack.root / "up.log", stack.root / "ceiling.log"]
    print(
        f"  5xx in total: {sum(s.server_errors for s in steps.values())}; in the servers' log: "
        f"'database is locked' {sum(count_in_log(p, 'database is locked') for p in logs)}, "
        f"tracebacks {sum(count_in_log(p, 'Traceback') for p in logs)}",
        flush=True,
    )


def inspect_report(output: str) -> None:
    for line in output.splitlines():
        if not line.startswith("{"):
            continue
        data = json.loads(line)
        if "query_counts" in data:
            counts = data["query_counts"]
            print(
                "\n  SQL queries of one queue page (/station/?task=accept, a clerk, in process): "
                + "; ".join(
                    f"{v['queries']} with {int(k):,} cases waiting ({v['rows'] - 1} rows shown)"
                    for k, v in counts.items()
                )
            )
        if "plans" in data:
            for name, plan in data["plans"].items():
                print(f"\n  EXPLAIN ANALYZE, {name} query at the busiest station (wb1_clerk1):")
                for sql in data["sql"][name]:
                    print(f"    {sql[:600]}")
                for row in plan:
                    print(f"    {row}")
        if "profiles" in data:
            for name, found in data["profiles"].items():
                print(
                    f"\n  {name} page alone, in process: {found['cpu_ms']} ms CPU, "
                    f"{found['wall_ms']} ms wall, {found['queries']:.0f} SQL queries per request;"
                    " cProfile, by own time:"
                )
                for row in found["top"]:
                    print(f"    {row}")
    sys.stdout.flush()


def run(args: argparse.Namespace) -> None:
    began = time.perf_counter()
    template, note = ensure_template(args)
    log(note if note.startswith("cached") else f"data ready in {time.perf_counter() - began:.0f}s")
    root = Path(tempfile.mkdtemp(prefix="onetrip-bench-workbench-"))
    stack = WorkbenchStack(name="postgres", root=root, template=template)
    print(f"\n== postgres: onetrip up in {root}", flush=True)
    try:
        log("starting onetrip up on a copy of the template")
        urls = stack.start()
        clients = [json.loads(line) for line in stack.worker("clients").splitlines() if line]
        if len(clients) < args.clients:
            log(f"only {len(clients)} benchmark users in the data; using them all")
        clients = clients[: args.clients]
        log(f"load average {load_average()}; {len(clients)} staff sessions; loading")
        steps = asyncio.run(phases(urls, clients, args.seconds))
        report(stack, steps, clients)
        log(f"load average {load_average()}")
        if not args.no_inspect:
            log("in process: query counts, EXPLAIN ANALYZE, CPU per page")
            inspect_report(stack.worker("inspect", str(args.profile_requests)))
    finally:
        stack.stop()
        stack.teardown(args.keep)
    print(f"\nload average at the end: {load_average()}", flush=True)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        if sys.argv[2] == "clients":
            worker_clients()
        else:
            worker_inspect(int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent staff (at most 16)")
    parser.add_argument("--seconds", type=float, default=20, help="length of each phase")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument(
        "--regenerate", action="store_true", help="build the template database again"
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="generator processes")
    parser.add_argument(
        "--profile-requests", type=int, default=30, help="requests per page under cProfile"
    )
    parser.add_argument(
        "--no-inspect", action="store_true", help="skip query counts, EXPLAIN and profile"
    )
    parser.add_argument("--keep", action="store_true", help="keep the run's databases and files")
    args = parser.parse_args()
    print(
        f"workbench benchmark: {args.clients} clients, {args.seconds:.0f}s per phase, "
        f"{args.persons:,} persons, {args.cases:,} cases; {os.cpu_count()} CPUs; "
        f"load average {load_average()} at start",
        flush=True,
    )
    run(args)


if __name__ == "__main__":
    main()

"""Portal load test: residents signing in by SMS code, declaring and reading progress at once.

    .venv/bin/python benchmarks/portal.py [--stack sqlite|postgres|all] [--residents 50]
                                          [--rounds 3] [--read-seconds 15]
                                          [--arrive-seconds 10] [--keep]
    .venv/bin/python benchmarks/portal.py --profile [--requests 100]

Per stack, against `make up`'s own configuration:

1. Start `onetrip up` itself (the supervisor, both gunicorn zones, ferry agents, task workers, the
   SMS simulator) on spare ports with a temporary ONETRIP_VAR_DIR; for PostgreSQL with
   ONETRIP_PORTAL_DATABASE_URL / ONETRIP_POLICE_DATABASE_URL pointing at fresh databases
   `onetrip_bench_portal_<pid>_<zone>` (ONETRIP_BENCH_POSTGRES, default
   postgresql://postgres@127.0.0.1:5432), dropped at the end. The per-address limits are raised
   for the run, since every simulated resident comes from 127.0.0.1: BENCH_ENV below.
2. Beside it, a ceiling server: the same gunicorn command as the portal's (`devserver.gunicorn`),
   the portal's settings and middleware and database, but URLs with one bare view doing one
   indexed query (`benchmarks/portal_ceiling/`). The product has no such view.
3. Write rounds (--rounds): N residents (--residents) at the same moment, step by step through the
   channel API at `/api/v1/`: request a code (POST /auth/sms-code), read it from the SMS
   simulator's API (GET /v1/messages) — delivery latency is the simulator's `received_at` minus
   the moment the request was sent — log in (POST /auth/token), declare (POST /declarations).
   Each step starts when every resident has finished the previous one: a burst of N requests.
4. Read phases, each --read-seconds long, N residents in a closed loop without think time: the
   ceiling view, their declaration (GET /declarations/{reference}), their list (GET
   /declarations), the progress lookup without log-in (GET /progress).
5. Arriving residents (--arrive-seconds, 0 skips): N new residents arriving evenly over that
   many seconds, each going through the whole flow as soon as the previous step answers: code,
   SMS, log-in, declaration, their declaration, their list.

Each resident keeps one HTTP/1.1 connection, as a phone would; the client is a few lines over
asyncio streams, so the load generator takes little of the CPUs it shares with the servers.
Prints per step: requests, req/s, p50, p99, max, 5xx and other failures, how busy the machine's
CPUs were (every process, from /proc/stat); SMS delivery latency p50/p99/max; each read's req/s
against the ceiling's; the load average; the load generator's CPU time; "database is locked"
and tracebacks in the servers' log.

--profile runs no servers: it drives the same steps through Django's WSGI handler in this process
(portal settings, a temporary SQLite database, the SMS simulator in a thread) and prints the CPU
time per request of each step, writing cProfile listings to --profile-dir.
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
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

REPO = Path(__file__).resolve().parents[1]
BENCH_DIR = Path(__file__).resolve().parent
PY = sys.executable
PG_BASE = os.environ.get("ONETRIP_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
# Raised for the run: every simulated resident comes from 127.0.0.1.
BENCH_ENV = {
    "ONETRIP_SMS_CODES_PER_ADDRESS": "1000000",
    "ONETRIP_PROGRESS_LOOKUPS": "1000000",
}
# Settings the benchmark passes on from its own environment (it clears every other ONETRIP_*).
PASSED_ON = (
    "ONETRIP_SQLITE_WRITE_QUEUE",
    "ONETRIP_SQLITE_BUSY_TIMEOUT",
    "ONETRIP_WEB_WORKERS",
    "ONETRIP_WEB_THREADS",
)
CODE_RE = re.compile(r"(?<![0-9])[0-9]{6}(?![0-9])")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
BEISHAN_STREET = "330106002"
BEISHAN_COMMUNITY = "330106002001"
STEPS = ("sms-code", "token", "declare", "ceiling", "declaration", "list", "progress")
FLOW = ("sms-code", "token", "declare", "declaration", "list")
READS = ("declaration", "list", "progress")


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"{proc.args} exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
                return
        except Exception:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout:.0f}s")


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as connection:
        connection.execute(sql)


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat (0, 0 elsewhere)."""
    try:
        fields = [float(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# ---------------------------------------------------------------------------------------------
# Residents
# ---------------------------------------------------------------------------------------------


@dataclass
class Resident:
    index: int
    phone: str
    id_number: str
    token: str = ""
    reference: str = ""
    code: str = ""
    asked_at: float = 0.0  # wall clock when the code request was sent

    def declaration(self) -> dict[str, str]:
        birth = dt.date(1970, 1, 1) + dt.timedelta(days=(self.index * 37) % (365 * 30))
        return {
            "name": "王" + "伟芳娜敏静丽强磊军洋"[self.index % 10],
            "id_number": self.id_number,
            "sex": "M" if int(self.id_number[16]) % 2 else "F",
            "birth_date": birth.isoformat(),
            "phone": self.phone,
            "district": "330106",
            "street": BEISHAN_STREET,
            "community_code": BEISHAN_COMMUNITY,
            "address_detail": f"曙光路 {self.index % 200 + 1} 号 3 幢 201 室",
            "housing_type": "rented",
            "landlord_name": "李四",
            "landlord_phone": "13900139000",
            "reason": "work",
            "arrival_date": (dt.date.today() - dt.timedelta(days=30)).isoformat(),
            "employer_name": "杭州示例科技有限公司",
        }


def make_resident(index: int, run: int) -> Resident:
    """Resident `index` of run `run`: a valid ID number and a mobile number of their own."""
    rng = random.Random(run * 1_000_000 + index)
    birth = dt.date(1970, 1, 1) + dt.timedelta(days=(index * 37) % (365 * 30))
    body = f"330106{birth:%Y%m%d}{rng.randrange(1000):03d}"
    id_number = body + _CHECK[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]
    phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    return Resident(index=index, phone=phone, id_number=id_number)


# ---------------------------------------------------------------------------------------------
# A small HTTP/1.1 client: one keep-alive connection per resident
# ---------------------------------------------------------------------------------------------


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    """HTTP/1.1 over asyncio streams; reconnects when the server has closed an idle connection."""

    IDLE_SECONDS = 1.5  # gunicorn closes keep-alive connections idle for 2 s

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used_at = 0.0

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        if self.writer is not None and time.monotonic() - self.used_at > self.IDLE_SECONDS:
            await self.close()
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + data)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            await self.close()
            raise ConnectionError("the server closed the connection")
        version, status = status_line.split(b" ", 2)[:2]
        answer_headers: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            answer_headers[name.strip().lower()] = value.strip()
        content = await self.reader.readexactly(int(answer_headers.get("content-length", "0")))
        self.used_at = time.monotonic()
        if version == b"HTTP/1.0" or answer_headers.get("connection", "").lower() == "close":
            await self.close()
        return Answer(int(status), answer_headers, content)


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


@dataclass
class Step:
    name: str
    latencies: list[float] = field(default_factory=list)
    server_errors: int = 0  # 5xx
    failures: int = 0  # any other unexpected answer, or no answer
    seconds: float = 0.0  # wall time of the step's bursts or phases
    examples: list[str] = field(default_factory=list)
    cpu_busy: float = 0.0  # jiffies all CPUs were busy during the step (every process)
    cpu_total: float = 0.0

    def record(self, began: float, status: int | None, expected: int, detail: str) -> bool:
        self.latencies.append(time.perf_counter() - began)
        if status is not None and status >= 500:
            self.server_errors += 1
        elif status != expected:
            self.failures += 1
        else:
            return True
        if len(self.examples) < 3:
            self.examples.append(f"{status}: {detail[:200]}")
        return False

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else float("nan")

    @property
    def busy(self) -> float:
        return self.cpu_busy / self.cpu_total if self.cpu_total else float("nan")

    @contextlib.contextmanager
    def timing(self) -> Any:
        busy, total = cpu_times()
        began = time.perf_counter()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - began
            busy_after, total_after = cpu_times()
            self.cpu_busy += busy_after - busy
            self.cpu_total += total_after - total


async def call(
    connection: Connection,
    step: Step,
    method: str,
    path: str,
    *,
    expected: int = 200,
    **kwargs: Any,
) -> Answer | None:
    began = time.perf_counter()
    try:
        answer = await connection.request(method, path, **kwargs)
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        await connection.close()
        step.record(began, None, expected, f"{type(exc).__name__}: {exc}")
        return None
    ok = step.record(began, answer.status, expected, answer.body.decode(errors="replace"))
    return answer if ok else None


async def burst(step: Step, work: list[Awaitable[None]]) -> None:
    with step.timing():
        await asyncio.gather(*work)


async def closed_loop(
    step: Step, seconds: float, loops: list[Callable[[], Awaitable[Any]]]
) -> None:
    """Each coroutine function is awaited again and again until `seconds` have passed."""
    stop_at = time.perf_counter() + seconds

    async def loop(work: Callable[[], Awaitable[Any]]) -> None:
        while time.perf_counter() < stop_at:
            await work()

    with step.timing():
        await asyncio.gather(*(loop(w) for w in loops))


# ---------------------------------------------------------------------------------------------
# The resident flow
# ---------------------------------------------------------------------------------------------


@dataclass
class Urls:
    portal: str
    sms: str
    ceiling: str


class SmsWatcher:
    """Reads the simulator's list every 50 ms and hands each waiting resident their login code;
    the latency is the simulator's `received_at` minus the moment the code was asked for."""

    def __init__(self, sms_url: str) -> None:
        self.connection = Connection(sms_url)
        self.waiting: dict[str, tuple[Resident, asyncio.Future[float]]] = {}
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> SmsWatcher:
        self.task = asyncio.create_task(self._watch())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.connection.close()

    async def code_for(self, resident: Resident, timeout: float = 120) -> float | None:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[resident.phone] = (resident, future)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            log(f"  no login code for resident {resident.index} within {timeout:.0f}s")
            return None
        finally:
            self.waiting.pop(resident.phone, None)

    async def _watch(self) -> None:
        while True:
            if self.waiting:
                for message in (await self.connection.request("GET", "/v1/messages")).json():
                    entry = self.waiting.get(message["to"])
                    match = CODE_RE.search(message["text"])
                    if entry is None or match is None or "验证码" not in message["text"]:
                        continue
                    resident, future = entry
                    received = dt.datetime.fromisoformat(message["received_at"]).timestamp()
                    if received >= resident.asked_at - 1 and not future.done():
                        resident.code = match.group(0)
                        future.set_result(received - resident.asked_at)
            await asyncio.sleep(0.05)


async def read_codes(watcher: SmsWatcher, residents: list[Resident]) -> list[float]:
    found = await asyncio.gather(*(watcher.code_for(r) for r in residents))
    return [latency for latency in found if latency is not None]


async def ask(r: Resident, c: Connection, step: Step) -> None:
    r.asked_at = time.time()
    await call(c, step, "POST", "/api/v1/auth/sms-code", expected=202, body={"phone": r.phone})


async def token(r: Resident, c: Connection, step: Step) -> None:
    body = {"phone": r.phone, "code": r.code}
    answer = await call(c, step, "POST", "/api/v1/auth/token", body=body)
    if answer is not None:
        r.token = answer.json()["token"]


async def declare(r: Resident, c: Connection, step: Step) -> None:
    answer = await call(
        c, step, "POST", "/api/v1/declarations", expected=201,
        body=r.declaration(), headers={"Authorization": f"Bearer {r.token}"},
    )  # fmt: skip
    if answer is not None:
        r.reference = answer.json()["reference"]


async def write_round(
    watcher: SmsWatcher,
    steps: dict[str, Step],
    residents: list[Resident],
    connections: list[Connection],
) -> list[float]:
    """Each step as a burst: every resident's request sent at the same moment."""
    pairs = list(zip(residents, connections, strict=True))
    await burst(steps["sms-code"], [ask(r, c, steps["sms-code"]) for r, c in pairs])
    latencies = await read_codes(watcher, residents)
    await burst(steps["token"], [token(r, c, steps["token"]) for r, c in pairs if r.code])
    await burst(steps["declare"], [declare(r, c, steps["declare"]) for r, c in pairs if r.token])
    return latencies


async def arriving(
    watcher: SmsWatcher,
    urls: Urls,
    steps: dict[str, Step],
    residents: list[Resident],
    seconds: float,
) -> list[float]:
    """Residents arriving evenly over `seconds`, each through the whole flow at once: code, SMS,
    log-in, declaration, then their declaration and their list read back."""
    latencies: list[float] = []

    async def resident_flow(r: Resident, delay: float) -> None:
        await asyncio.sleep(delay)
        c = Connection(urls.portal)
        await ask(r, c, steps["sms-code"])
        latency = await watcher.code_for(r)
        if latency is None:
            return
        latencies.append(latency)
        await token(r, c, steps["token"])
        if r.token:
            await declare(r, c, steps["declare"])
        if r.reference:
            auth = {"Authorization": f"Bearer {r.token}"}
            path = f"/api/v1/declarations/{r.reference}"
            await call(c, steps["declaration"], "GET", path, headers=auth)
            await call(c, steps["list"], "GET", "/api/v1/declarations", headers=auth)
        await c.close()

    with steps["flow"].timing():
        await asyncio.gather(
            *(resident_flow(r, seconds * n / len(residents)) for n, r in enumerate(residents))
        )
    return latencies


async def read_phases(
    urls: Urls, steps: dict[str, Step], residents: list[Resident], seconds: float
) -> None:
    ready = [r for r in residents if r.reference]

    def ceiling(r: Resident) -> Callable[[], Awaitable[Any]]:
        c, path = Connection(urls.ceiling), "/ceiling?" + urlencode({"phone": r.phone})
        return lambda: call(c, steps["ceiling"], "GET", path)

    def mine(r: Resident) -> Callable[[], Awaitable[Any]]:
        c, auth = Connection(urls.portal), {"Authorization": f"Bearer {r.token}"}
        path = f"/api/v1/declarations/{r.reference}"
        return lambda: call(c, steps["declaration"], "GET", path, headers=auth)

    def listing(r: Resident) -> Callable[[], Awaitable[Any]]:
        c, auth = Connection(urls.portal), {"Authorization": f"Bearer {r.token}"}
        return lambda: call(c, steps["list"], "GET", "/api/v1/declarations", headers=auth)

    def progress(r: Resident) -> Callable[[], Awaitable[Any]]:
        c = Connection(urls.portal)
        query = urlencode({"reference": r.reference, "id_last6": r.id_number[-6:]})
        return lambda: call(c, steps["progress"], "GET", f"/api/v1/progress?{query}")

    for name, make in (
        ("ceiling", ceiling),
        ("declaration", mine),
        ("list", listing),
        ("progress", progress),
    ):
        if seconds >= 1:
            log(f"  {name}: {len(ready)} residents in a closed loop for {seconds:.0f}s")
        await closed_loop(steps[name], seconds, [make(r) for r in ready])


SETTLED_SQL = (
    "SELECT (SELECT count(*) FROM portal_declarations_declaration WHERE status = 'submitted')"
    " + (SELECT count(*) FROM django_tasks_database_dbtaskresult"
    " WHERE status IN ('READY', 'RUNNING'))"
)


async def settle(stack: Stack, timeout: float) -> None:
    """Wait until no declaration on the portal still waits for the police's receipt and no task
    is queued, read straight from the portal's database: the servers are idle again."""
    began = time.monotonic()
    pending = -1
    while time.monotonic() - began < timeout:
        pending = stack.portal_scalar(SETTLED_SQL)
        if pending == 0:
            log(f"  settled {time.monotonic() - began:.1f}s after the writes")
            await asyncio.sleep(1)
            return
        await asyncio.sleep(0.2)
    log(f"  still {pending} declarations or tasks pending after {timeout:.0f}s; reading anyway")


@dataclass
class Results:
    burst: dict[str, Step]
    burst_sms: list[float]
    arriving: dict[str, Step]
    arriving_sms: list[float]


async def drive(stack: Stack, urls: Urls, args: argparse.Namespace, run: int) -> Results:
    results = Results({name: Step(name) for name in STEPS}, [], {}, [])
    async with SmsWatcher(urls.sms) as watcher:
        # Warm-up: a few residents through every step, so each worker has imported its code.
        warm_steps = {name: Step(name) for name in STEPS}
        for n in range(2):
            warm = [make_resident(10_000_000 + 10 * n + i, run) for i in range(4)]
            connections = [Connection(urls.portal) for _ in warm]
            await write_round(watcher, warm_steps, warm, connections)
            await read_phases(urls, warm_steps, warm, 0.5)
        last: list[Resident] = []
        for number in range(args.rounds):
            group = [make_resident(number * args.residents + i, run) for i in range(args.residents)]
            log(f"write round {number + 1}/{args.rounds}: {len(group)} residents at once")
            connections = [Connection(urls.portal) for _ in group]
            results.burst_sms += await write_round(watcher, results.burst, group, connections)
            for connection in connections:
                await connection.close()
            last = group
            await asyncio.sleep(1)
        # Reads start once the background work of the writes is over: the ferry has carried
        # every declaration to the police and the police's receipt back, no task is waiting.
        await settle(stack, timeout=180)
        await read_phases(urls, results.burst, last, args.read_seconds)
        if args.arrive_seconds > 0:
            await asyncio.sleep(2)
            log(
                f"arriving: {args.residents} residents over {args.arrive_seconds:.0f}s, "
                "each through the whole flow"
            )
            steps = {name: Step(name) for name in (*FLOW, "flow")}
            group = [make_resident(900_000 + i, run) for i in range(args.residents)]
            results.arriving = steps
            results.arriving_sms = await arriving(watcher, urls, steps, group, args.arrive_seconds)
    return results


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------


@dataclass
class Stack:
    name: str  # sqlite | postgres
    root: Path
    ports: dict[str, int] = field(default_factory=dict)
    dbs: dict[str, str] = field(default_factory=dict)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ONETRIP_", "DJANGO_SETTINGS_MODULE"))
        }
        env.update(
            ONETRIP_VAR_DIR=str(self.root / "var"),
            ONETRIP_PORTAL_PORT=str(self.ports["portal"]),
            ONETRIP_POLICE_PORT=str(self.ports["police"]),
            ONETRIP_SMS_PORT=str(self.ports["sms"]),
            PYTHONUNBUFFERED="1",
            **BENCH_ENV,
        )
        # These may be passed on, to measure their effect.
        for name in PASSED_ON:
            if name in os.environ:
                env[name] = os.environ[name]
        if self.name == "postgres":
            env["ONETRIP_PORTAL_DATABASE_URL"] = f"{PG_BASE}/{self.dbs['portal']}"
            env["ONETRIP_POLICE_DATABASE_URL"] = f"{PG_BASE}/{self.dbs['police']}"
        return env

    def start(self) -> Urls:
        self.ports = {name: free_port() for name in ("portal", "police", "sms", "ceiling")}
        if self.name == "postgres":
            tag = f"onetrip_bench_portal_{os.getpid()}"
            self.dbs = {zone: f"{tag}_{zone}" for zone in ("portal", "police")}
            for name in self.dbs.values():
                pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
                pg_admin(f'CREATE DATABASE "{name}"')
        env = self.env()
        with (self.root / "up.log").open("wb") as out:
            up = subprocess.Popen(
                [str(Path(PY).with_name("onetrip")), "up"],
                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self.procs.append(up)
        urls = Urls(
            portal=f"http://127.0.0.1:{self.ports['portal']}",
            sms=f"http://127.0.0.1:{self.ports['sms']}",
            ceiling=f"http://127.0.0.1:{self.ports['ceiling']}",
        )
        wait_http(urls.portal + "/", 300, up)
        wait_http(f"http://127.0.0.1:{self.ports['police']}/login/", 60, up)
        wait_http(urls.sms + "/", 60, up)

        from onetrip.devserver import gunicorn

        ceiling_env = {**env, "DJANGO_SETTINGS_MODULE": "portal_ceiling.settings"}
        cmd = gunicorn(f"127.0.0.1:{self.ports['ceiling']}", "portal_ceiling.wsgi")
        with (self.root / "ceiling.log").open("wb") as out:
            ceiling = subprocess.Popen(
                [*cmd, "--pythonpath", str(BENCH_DIR)],
                cwd=REPO, env=ceiling_env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.procs.append(ceiling)
        wait_http(urls.ceiling + "/ceiling", 60, ceiling)
        return urls

    def portal_scalar(self, sql: str, zone: str = "portal") -> int:
        """One number from the portal's (or the police zone's) database, read outside the
        servers."""
        if self.name == "postgres":
            import psycopg

            with psycopg.connect(f"{PG_BASE}/{self.dbs[zone]}", autocommit=True) as db:
                row = db.execute(sql).fetchone()
        else:
            import sqlite3

            db = sqlite3.connect(self.root / "var" / f"{zone}.sqlite3", timeout=20)
            try:
                row = db.execute(sql).fetchone()
            finally:
                db.close()
        return int(row[0]) if row else 0

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGINT)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)

    def teardown(self, keep: bool) -> None:
        if keep:
            log(f"kept {self.root} {self.dbs or ''}")
            return
        for name in self.dbs.values():
            with contextlib.suppress(Exception):
                pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(self.root, ignore_errors=True)


def count_in_log(path: Path, needle: str) -> int:
    with contextlib.suppress(OSError):
        return path.read_text(errors="replace").count(needle)
    return 0


def table(steps: dict[str, Step], sms: list[float]) -> None:
    print(
        f"  {'step':<12} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
        f" {'5xx':>4} {'other':>5} {'CPUs busy':>9}"
    )
    for step in steps.values():
        if step.name == "flow":
            continue
        print(
            f"  {step.name:<12} {len(step.latencies):>8} {step.rate:>7.1f} "
            f"{percentile(step.latencies, 0.50) * 1000:>7.0f} "
            f"{percentile(step.latencies, 0.99) * 1000:>7.0f} "
            f"{max(step.latencies, default=float('nan')) * 1000:>7.0f} "
            f"{step.server_errors:>4} {step.failures:>5} {step.busy:>9.0%}"
        )
        for example in step.examples:
            print(f"      e.g. {example}")
    if sms:
        print(
            f"  SMS delivery (request sent → at the simulator), {len(sms)} codes: "
            f"p50 {percentile(sms, 0.5) * 1000:.0f} ms, p99 {percentile(sms, 0.99) * 1000:.0f} ms,"
            f" max {max(sms) * 1000:.0f} ms"
        )


def report(stack: Stack, results: Results, cpu: float) -> None:
    steps = results.burst
    print(f"\n  {stack.name}: {len(steps['sms-code'].latencies)} residents in bursts "
          "(each step sent by all residents of a round at the same moment), then reads in a "
          "closed loop", flush=True)  # fmt: skip
    table(steps, results.burst_sms)
    ceiling = steps["ceiling"].rate
    for name in READS:
        rate = steps[name].rate
        print(f"  {name:<12} {rate:7.1f} req/s = {rate / ceiling:.0%} of the ceiling's")
    if results.arriving:
        flow = results.arriving["flow"]
        print(
            f"\n  {stack.name}: {len(results.arriving_sms)} residents arriving over "
            f"{flow.seconds:.1f}s, each through the whole flow (req/s over the whole run)"
        )
        for step in results.arriving.values():
            step.seconds, step.cpu_busy, step.cpu_total = (
                flow.seconds,
                flow.cpu_busy,
                flow.cpu_total,
            )
        table(results.arriving, results.arriving_sms)
    everything = [*steps.values(), *results.arriving.values()]
    logs = stack.root / "up.log"
    print(
        f"  5xx in total: {sum(s.server_errors for s in everything)}; in the servers' log: "
        f"'database is locked' {count_in_log(logs, 'database is locked')}, "
        f"tracebacks {count_in_log(logs, 'Traceback')}; load generator CPU {cpu:.1f}s"
    )


def run_stack(name: str, args: argparse.Namespace, run: int) -> None:
    root = Path(tempfile.mkdtemp(prefix=f"onetrip-bench-portal-{name}-"))
    stack = Stack(name=name, root=root)
    print(f"\n== {name}: onetrip up in {root}", flush=True)
    try:
        log("starting onetrip up (keys, migrations, reference and demo data, then the servers)")
        urls = stack.start()
        log(f"running; load average {os.getloadavg()[0]:.2f}")
        cpu = time.process_time()
        results = asyncio.run(drive(stack, urls, args, run))
        cpu = time.process_time() - cpu
        report(stack, results, cpu)
        log(f"load average {os.getloadavg()[0]:.2f}")
    finally:
        stack.stop()
        stack.teardown(args.keep)


# ---------------------------------------------------------------------------------------------
# --profile: the same steps in this process, through Django's WSGI handler
# ---------------------------------------------------------------------------------------------


def profile(requests: int, out_dir: Path) -> None:
    var = Path(tempfile.mkdtemp(prefix="onetrip-bench-profile-"))
    os.environ.update(
        ONETRIP_VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="portal_ceiling.settings",
        ONETRIP_LOG_LEVEL="WARNING",
        **BENCH_ENV,
    )
    sys.path.insert(0, str(BENCH_DIR))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.urls import clear_url_caches, set_urlconf

    from onetrip.portal.notify.models import SmsMessage
    from onetrip.portal.notify.services import sms_send
    from onetrip.simulators.sms import SmsSimulator

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    # Tasks are only recorded here; the sends are measured on their own ("sms-send").
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": []}
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    simulator = SmsSimulator(store=var / "sms").start()
    settings.ONETRIP_SMS_GATEWAY_URL = simulator.url
    client = Client()
    run = int(time.time()) % 10_000

    def timed(
        name: str, work: Callable[[Any], Any], timing: list[Any], profiling: list[Any]
    ) -> None:
        """CPU and wall time a request of `work` over `timing`, then a cProfile over `profiling`
        (each write needs residents of its own: a second code within 60 s would be refused)."""
        work(timing[0])  # warm
        cpu, wall = time.process_time(), time.perf_counter()
        for item in timing[1:]:
            work(item)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        profiler = cProfile.Profile()
        profiler.enable()
        for item in profiling:
            work(item)
        profiler.disable()
        n = len(timing) - 1
        print(f"  {name:<12} {cpu / n * 1000:6.2f} ms CPU/request  {wall / n * 1000:6.2f} ms wall")
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
        (out_dir / f"{name}.txt").write_text(text.getvalue())

    def ask(r: Resident) -> None:
        answer = client.post(
            "/api/v1/auth/sms-code", {"phone": r.phone}, content_type="application/json"
        )
        assert answer.status_code == 202, answer.content

    def token(r: Resident) -> None:
        answer = client.post(
            "/api/v1/auth/token", {"phone": r.phone, "code": r.code},
            content_type="application/json",
        )  # fmt: skip
        assert answer.status_code == 200, answer.content
        r.token = answer.json()["token"]

    def declare(r: Resident) -> None:
        answer = client.post(
            "/api/v1/declarations", r.declaration(), content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {r.token}",
        )  # fmt: skip
        assert answer.status_code == 201, answer.content
        r.reference = answer.json()["reference"]

    def mine(r: Resident) -> None:
        auth = f"Bearer {r.token}"
        assert (
            client.get(f"/api/v1/declarations/{r.reference}", HTTP_AUTHORIZATION=auth).status_code
            == 200
        )

    def listing(r: Resident) -> None:
        assert (
            client.get("/api/v1/declarations", HTTP_AUTHORIZATION=f"Bearer {r.token}").status_code
            == 200
        )

    def progress(r: Resident) -> None:
        query = {"reference": r.reference, "id_last6": r.id_number[-6:]}
        assert client.get("/api/v1/progress", query).status_code == 200

    def ceiling(r: Resident) -> None:
        assert client.get("/ceiling", {"phone": r.phone}).status_code == 200

    print(f"profile: {requests} requests a step, in this process, portal settings on SQLite")
    timing = [make_resident(i, run) for i in range(requests + 1)]
    profiling = [make_resident(10**6 + i, run) for i in range(requests)]
    settings.ROOT_URLCONF = "onetrip.portal.urls"
    timed("sms-code", ask, timing, profiling)
    queued = list(SmsMessage.objects.order_by("created_at").values_list("id", flat=True))
    timed(
        "sms-send",
        lambda sms_id: sms_send(sms_id=sms_id),
        queued[: requests + 1],
        queued[requests + 1 :],
    )
    codes = {m["to"]: CODE_RE.search(m["text"]) for m in simulator.messages()}
    for r in timing + profiling:
        match = codes[r.phone]
        assert match is not None
        r.code = match.group(0)
    for name, work in (("token", token), ("declare", declare), ("declaration", mine),
                       ("list", listing), ("progress", progress)):  # fmt: skip
        timed(name, work, timing, profiling)
    settings.ROOT_URLCONF = "portal_ceiling.urls"
    clear_url_caches()
    set_urlconf(None)
    timed("ceiling", ceiling, timing, profiling)
    simulator.close()
    shutil.rmtree(var, ignore_errors=True)
    print(f"cProfile listings in {out_dir}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--residents", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="write rounds of N new residents")
    parser.add_argument("--read-seconds", type=float, default=15)
    parser.add_argument(
        "--arrive-seconds", type=float, default=10,
        help="then N more residents arriving evenly over this many seconds (0: skip)",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep temporary data for a look")
    parser.add_argument("--profile", action="store_true", help="profile in process, no servers")
    parser.add_argument("--requests", type=int, default=100, help="--profile: requests a step")
    parser.add_argument(
        "--profile-dir", type=Path, default=Path(tempfile.gettempdir()) / "onetrip-profile"
    )
    args = parser.parse_args()
    if args.profile:
        profile(args.requests, args.profile_dir)
        return
    names = ["sqlite", "postgres"] if args.stack == "all" else [args.stack]
    run = int(time.time()) % 10_000
    passed = [f"{k}={os.environ[k]}" for k in PASSED_ON if k in os.environ]
    print(
        f"portal benchmark: {args.residents} residents, {args.rounds} write rounds, "
        f"{args.read_seconds:.0f}s per read phase; {os.cpu_count()} CPUs; "
        f"load average {os.getloadavg()[0]:.2f} at start; limits raised: "
        + ", ".join(f"{k}={v}" for k, v in BENCH_ENV.items())
        + (f"; passed on: {', '.join(passed)}" if passed else ""),
        flush=True,
    )
    for name in names:
        run_stack(name, args, run)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()

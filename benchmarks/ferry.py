"""Ferry benchmark: end-to-end throughput against a direct apply, and latency under steady load.

    .venv/bin/python benchmarks/ferry.py [--messages 100000] [--stack sqlite-dir|postgres-amqp|all]
                                         [--latency-seconds 30] [--rate 200] [--keep]

Per stack (its own temporary databases, ferry directory or RabbitMQ queues, keys):

1. Set up as `make up` does: `onetrip --zone … ferry keygen`, `migrate`, `createcachetable`,
   `onetrip --zone police load_reference` (the packaged stations, so the real handler routes).
2. Direct: apply N declaration messages straight into a copy of the fresh police database with
   the real police handler (`declaration.submitted`: station lookup, encrypted fields, history,
   the status reply into the outbox), in transactions of FERRY_BATCH_MAX_MESSAGES with a
   savepoint per message, as the ferry's apply does. No outbox, batch, signature, transport,
   inbox or ack.
3. Ferry: insert the same N declarations on the portal (declaration row, its event and the
   outbox message, as `declaration_submit` does; 500 per transaction to keep seeding short),
   then start the two real agents (`onetrip --zone portal|police ferry run`, make up's settings)
   and time until every batch is applied and acknowledged — outbox → batch → transport → verify
   → apply → ack. The status replies travel back to the portal at the same time.
4. Latency (sqlite-dir only, i.e. make up's configuration: SQLite, `dir`, FERRY_POLL_SECONDS=0.5,
   two agent processes): a portal process submits declarations one per transaction at a steady
   rate; the benchmark polls the police database every 10 ms and records when each becomes
   visible there. Latency = visible on the police side − committed on the portal side.

Everything is created under a temporary directory (and temporary PostgreSQL databases and AMQP
queues) and removed at the end unless --keep. The script also runs its own worker processes:
`benchmarks/ferry.py _worker seed|direct|load …` inside a zone's Django settings.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
PG_BASE = os.environ.get("ONETRIP_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
AMQP_URL = os.environ.get("ONETRIP_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
BATCH = 500  # FERRY_BATCH_MAX_MESSAGES's default; the direct apply uses the same transactions
MAKE_UP_POLL = "0.5"

# ---------------------------------------------------------------------------------------------
# Realistic declarations, generated from their index so that every process makes the same ones.
# ---------------------------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏浩宇轩子涵欣怡梓睿"
BIRTH_REGIONS = ["330106", "341222", "411323", "510722", "362427", "430521", "522121", "320322"]
ROADS = ("文三路", "学院路", "莫干山路", "天目山路", "古墩路", "江南大道", "滨盛路", "丰潭路")
EMPLOYERS = ("杭州云栖科技有限公司", "浙江西溪物流有限公司", "杭州之江建设集团")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def _covered_communities() -> list[str]:
    """Communities whose street some packaged station covers, so the police handler routes."""
    from onetrip.common import divisions

    path = REPO / "src/onetrip/police/stations/data/station_streets.csv"
    with path.open(encoding="utf-8") as handle:
        streets = sorted({row["street_code"] for row in csv.DictReader(handle)})
    codes = [c.code for s in streets for c in divisions.communities_of(s)]
    if not codes:
        raise SystemExit("no community of a covered street in the divisions data")
    return codes


def declaration(index: int, communities: list[str], now: dt.datetime) -> dict[str, Any]:
    """The fields of DeclarationSubmittedV1 for declaration number `index`."""
    rng = random.Random(index)
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(365 * 45))
    seq = rng.randrange(1000)
    body = f"{rng.choice(BIRTH_REGIONS)}{birth:%Y%m%d}{seq:03d}"
    id_number = body + _CHECK[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]
    housing = rng.choice(["rented", "rented", "rented", "owned", "dormitory", "relative"])
    reason = rng.choice(["work", "work", "work", "business", "study", "family"])
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
    return {
        "reference": f"BM{now:%y%m%d}{index:08d}",
        "name": name,
        "id_number": id_number,
        "sex": "M" if seq % 2 else "F",
        "birth_date": birth,
        "phone": f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
        "community_code": rng.choice(communities),
        "address_detail": f"{rng.choice(ROADS)}{rng.randint(1, 999)}号{rng.randint(1, 30)}幢"
        f"{rng.randint(1, 6)}单元{rng.randint(101, 2804)}室",
        "housing_type": housing,
        "landlord_name": rng.choice(SURNAMES) + rng.choice(GIVEN) if housing == "rented" else "",
        "landlord_phone": f"13{rng.randrange(10**9):09d}" if housing == "rented" else "",
        "reason": reason,
        "arrival_date": dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(300)),
        "employer_name": rng.choice(EMPLOYERS) if reason == "work" else "",
        "declared_at": now,
    }


# ---------------------------------------------------------------------------------------------
# Workers: run inside one zone's Django settings (`_worker <role>`), print one JSON line.
# ---------------------------------------------------------------------------------------------


def _submit(fields: dict[str, Any], resident: Any, now: dt.datetime) -> None:
    """What `declaration_submit` stores after validating: declaration, event, outbox message."""
    from onetrip.common.crypto import lookup_hash
    from onetrip.contracts.declarations import DeclarationSubmittedV1
    from onetrip.ferry.agent.outbox import emit
    from onetrip.portal.declarations.models import Declaration, DeclarationEvent, DeclarationStatus

    data = {k: v for k, v in fields.items() if k != "declared_at"}
    item = Declaration.objects.create(
        resident=resident,
        channel="web",
        id_hash=lookup_hash(fields["id_number"], purpose="id_number"),
        submitted_at=now,
        **data,
    )
    DeclarationEvent.objects.create(declaration=item, status=DeclarationStatus.SUBMITTED, at=now)
    emit(
        zone="portal",
        message=DeclarationSubmittedV1(**fields),
        aggregate_id=item.reference,
        correlation_id=item.reference,
        actor=f"resident:{resident.pk}",
        purpose="residence_registration",
    )


def _residents(count: int) -> list[Any]:
    from onetrip.common.crypto import lookup_hash
    from onetrip.portal.accounts.models import Resident

    residents = []
    for i in range(count):
        phone = f"139{i:08d}"
        resident, _ = Resident.objects.get_or_create(
            phone_hash=lookup_hash(phone, purpose="phone"), defaults={"phone": phone}
        )
        residents.append(resident)
    return residents


def worker_seed(start: int, count: int, chunk: int) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    communities = _covered_communities()
    residents = _residents(200)
    began = time.perf_counter()
    for first in range(start, start + count, chunk):
        now = timezone.now()
        with transaction.atomic():
            for i in range(first, min(first + chunk, start + count)):
                _submit(declaration(i, communities, now), residents[i % len(residents)], now)
    return {"seconds": time.perf_counter() - began}


def worker_load(start: int, rate: float, seconds: float, out: str) -> dict[str, Any]:
    """One declaration per transaction at `rate` per second; record each commit's wall time."""
    from django.db import transaction
    from django.utils import timezone

    communities = _covered_communities()
    residents = _residents(200)
    total = int(rate * seconds)
    commits: list[tuple[str, float]] = []
    began = time.monotonic()
    for n in range(total):
        delay = began + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        now = timezone.now()
        fields = declaration(start + n, communities, now)
        with transaction.atomic():
            _submit(fields, residents[n % len(residents)], now)
        commits.append((fields["reference"], time.time()))
    elapsed = time.monotonic() - began
    Path(out).write_text(json.dumps(commits))
    return {"sent": total, "seconds": elapsed, "rate": total / elapsed}


def worker_direct(start: int, count: int, batch: int) -> dict[str, Any]:
    """The same messages through the same handler, straight into the police database."""
    from django.db import router, transaction
    from django.utils import timezone

    from onetrip.contracts.declarations import DeclarationSubmittedV1
    from onetrip.ferry.agent.handlers import handler_for
    from onetrip.ferry.protocol.envelope import Envelope
    from onetrip.police.register.models import ResidenceDeclaration

    handler = handler_for("police", DeclarationSubmittedV1.message_type)
    assert handler is not None, "the police zone has no declaration.submitted handler"
    alias = router.db_for_write(ResidenceDeclaration)
    communities = _covered_communities()
    spent = 0.0
    for first in range(start, start + count, batch):
        now = timezone.now()
        payloads = []
        for i in range(first, min(first + batch, start + count)):
            message = DeclarationSubmittedV1(**declaration(i, communities, now))
            payloads.append((i, message.model_dump(mode="json")))  # what a batch line carries
        began = time.perf_counter()
        with transaction.atomic(using=alias):
            for i, payload in payloads:
                message = DeclarationSubmittedV1.model_validate(payload)
                envelope = Envelope(
                    message_id=uuid.uuid4(),
                    sequence=i + 1,
                    message_type=message.message_type,
                    version=message.version,
                    aggregate_type=message.aggregate_type,
                    aggregate_id=message.reference,
                    correlation_id=message.reference,
                    actor="resident",
                    purpose="residence_registration",
                    occurred_at=now,
                    payload=payload,
                )
                with transaction.atomic(using=alias):
                    handler(envelope, message)
        spent += time.perf_counter() - began
    applied = ResidenceDeclaration.objects.count()
    return {"seconds": spent, "applied": applied}


def worker_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="ferry.py _worker")
    parser.add_argument("role", choices=["seed", "direct", "load"])
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--chunk", type=int, default=BATCH)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--out", default="")
    args = parser.parse_args(argv)
    import django

    django.setup()
    if args.role == "seed":
        result = worker_seed(args.start, args.count, args.chunk)
    elif args.role == "direct":
        result = worker_direct(args.start, args.count, args.chunk)
    else:
        result = worker_load(args.start, args.rate, args.seconds, args.out)
    print(json.dumps(result), flush=True)


# ---------------------------------------------------------------------------------------------
# The orchestrator: plain Python; zone work happens in subprocesses, progress is read with SQL.
# ---------------------------------------------------------------------------------------------


@dataclass
class Stack:
    name: str
    database: str  # sqlite | postgres
    transport: str  # dir | amqp
    root: Path
    note: str = ""
    dbs: dict[str, str] = field(default_factory=dict)  # role → PostgreSQL database name
    amqp_prefix: str = ""

    @property
    def var(self) -> Path:
        return self.root / "var"

    def env(self, zone: str, *, direct: bool = False) -> dict[str, str]:
        env = {
            **os.environ,
            "ONETRIP_VAR_DIR": str(self.root / "direct" if direct else self.var),
            "ONETRIP_FERRY_DIR": str(self.var / "ferry"),
            "ONETRIP_FERRY_KEYS_DIR": str(self.var / "keys"),
            "ONETRIP_FERRY_TRANSPORT": self.transport,
            "ONETRIP_FERRY_POLL": MAKE_UP_POLL,
            "ONETRIP_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": f"onetrip.settings.{zone}",
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("ONETRIP_FERRY_BATCH_MAX", "ONETRIP_FERRY_RESEND_AFTER", "ONETRIP_ZONE"):
            env.pop(name, None)
        env.pop("ONETRIP_PORTAL_DATABASE_URL", None)
        env.pop("ONETRIP_POLICE_DATABASE_URL", None)
        if self.database == "postgres":
            env["ONETRIP_PORTAL_DATABASE_URL"] = f"{PG_BASE}/{self.dbs['portal']}"
            police = self.dbs["police_direct" if direct else "police"]
            env["ONETRIP_POLICE_DATABASE_URL"] = f"{PG_BASE}/{police}"
        if self.transport == "amqp":
            env["ONETRIP_FERRY_AMQP_URL"] = AMQP_URL
            env["ONETRIP_FERRY_AMQP_PREFIX"] = self.amqp_prefix
        return env

    def connect(self, role: str) -> Any:
        """A DB-API connection for reading progress (role: portal | police)."""
        if self.database == "sqlite":
            connection = sqlite3.connect(self.var / f"{role}.sqlite3", timeout=30)
            connection.isolation_level = None
            return connection
        import psycopg

        return psycopg.connect(f"{PG_BASE}/{self.dbs[role]}", autocommit=True)


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def onetrip(stack: Stack, zone: str, *args: str, direct: bool = False) -> None:
    subprocess.run(
        [PY, "-m", "onetrip.cli", "--zone", zone, *args],
        cwd=REPO,
        env=stack.env(zone, direct=direct),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def worker(stack: Stack, zone: str, *args: str, direct: bool = False) -> dict[str, Any]:
    result = subprocess.run(
        [PY, str(Path(__file__).resolve()), "_worker", *args],
        cwd=REPO,
        env=stack.env(zone, direct=direct),
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as connection:
        connection.execute(sql)


def amqp_available() -> str:
    """Why the amqp transport cannot be used here, or ""."""
    try:
        import onetrip.ferry.transports.amqp  # noqa: F401
    except ImportError as exc:
        return f"the amqp transport is not importable ({exc})"
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=2):
            pass
    except OSError as exc:
        return f"RabbitMQ unreachable at 127.0.0.1:5672 ({exc})"
    return ""


def delete_queues(prefix: str) -> None:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        channel = connection.channel()
        for ferry_channel in ("portal_to_police", "police_to_portal"):
            for kind in ("batches", "acks", "quarantine"):
                channel.queue_delete(f"{prefix}.{ferry_channel}.{kind}")
    finally:
        connection.close()


def setup(stack: Stack) -> None:
    stack.var.mkdir(parents=True)
    (stack.root / "direct").mkdir()
    if stack.database == "postgres":
        tag = f"onetrip_bench_{os.getpid()}_{stack.transport}"
        stack.dbs = {r: f"{tag}_{r}" for r in ("portal", "police", "police_direct")}
        for name in stack.dbs.values():
            pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
        for role in ("portal", "police"):
            pg_admin(f'CREATE DATABASE "{stack.dbs[role]}"')
    if stack.transport == "amqp":
        stack.amqp_prefix = f"onetrip-bench-{os.getpid()}"
    for zone in ("portal", "police"):
        onetrip(stack, zone, "ferry", "keygen")
        onetrip(stack, zone, "migrate", "--no-input", "-v", "0")
        onetrip(stack, zone, "createcachetable")
    onetrip(stack, "police", "load_reference")
    # The direct apply gets its own copy of the fresh police database.
    if stack.database == "sqlite":
        with (
            contextlib.closing(sqlite3.connect(stack.var / "police.sqlite3")) as source,
            contextlib.closing(sqlite3.connect(stack.root / "direct" / "police.sqlite3")) as copy,
        ):
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=WAL")
    else:
        pg_admin(f'CREATE DATABASE "{stack.dbs["police_direct"]}" TEMPLATE "{stack.dbs["police"]}"')


def teardown(stack: Stack, keep: bool) -> None:
    if keep:
        log(f"kept {stack.root} {stack.dbs or ''} {stack.amqp_prefix}")
        return
    if stack.transport == "amqp" and stack.amqp_prefix:
        with contextlib.suppress(Exception):
            delete_queues(stack.amqp_prefix)
    for name in stack.dbs.values():
        with contextlib.suppress(Exception):
            pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    shutil.rmtree(stack.root, ignore_errors=True)


class Agents:
    """The two real agents, `onetrip --zone … ferry run`, as make up starts them."""

    def __init__(self, stack: Stack) -> None:
        self.procs = []
        for zone in ("portal", "police"):
            out = (stack.root / f"agent-{zone}.log").open("ab")
            self.procs.append(
                subprocess.Popen(
                    [PY, "-m", "onetrip.cli", "--zone", zone, "ferry", "run"],
                    cwd=REPO,
                    env=stack.env(zone),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )

    def check(self) -> None:
        for proc in self.procs:
            if proc.poll() is not None:
                raise SystemExit(f"agent {proc.args} exited with {proc.returncode}")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()


def scalar(connection: Any, sql: str) -> int:
    cursor = connection.cursor()
    cursor.execute(sql)
    row = cursor.fetchone()
    return int(row[0] or 0)


ACKED_SQL = (
    "SELECT sum(message_count) FROM portal_ferrybox_sentbatch "
    "WHERE channel = 'portal_to_police' AND acked_at IS NOT NULL"
)
APPLIED_SQL = "SELECT count(*) FROM police_ferrybox_inboxmessage WHERE channel = 'portal_to_police'"
REPLIED_SQL = "SELECT count(*) FROM portal_ferrybox_inboxmessage WHERE channel = 'police_to_portal'"


def wait_for_ferry(stack: Stack, agents: Agents, total: int, began: float) -> dict[str, float]:
    """Poll until `total` messages are applied, acked, and their replies applied back."""
    portal, police = stack.connect("portal"), stack.connect("police")
    marks: dict[str, float] = {}
    deadline = time.monotonic() + 300 + total / 20
    last_report = 0.0
    try:
        while len(marks) < 3:
            agents.check()
            now = time.monotonic()
            if now > deadline:
                raise SystemExit(f"the ferry did not finish in time: {marks}")
            counts = {
                "applied": scalar(police, APPLIED_SQL),
                "acked": scalar(portal, ACKED_SQL),
                "replied": scalar(portal, REPLIED_SQL),
            }
            for key, value in counts.items():
                if value >= total and key not in marks:
                    marks[key] = now - began
            if now - last_report > 15:
                log(f"  {counts} after {now - began:.0f}s")
                last_report = now
            time.sleep(0.2)
    finally:
        portal.close()
        police.close()
    return marks


def observe(stack: Stack, seen: dict[str, float], stop: threading.Event) -> None:
    """Record when each declaration becomes visible in the police database (10 ms polls)."""
    connection = stack.connect("police")
    cursor = connection.cursor()
    last_id = 0
    query = "SELECT id, reference FROM police_register_residencedeclaration WHERE id > %s"
    if stack.database == "sqlite":
        query = query.replace("%s", "?")
    try:
        cursor.execute("SELECT coalesce(max(id), 0) FROM police_register_residencedeclaration")
        last_id = int(cursor.fetchone()[0])
        while not stop.is_set():
            cursor.execute(query, (last_id,))
            rows = cursor.fetchall()
            now = time.time()
            for row_id, reference in rows:
                seen.setdefault(reference, now)
                last_id = max(last_id, row_id)
            time.sleep(0.01)
    finally:
        connection.close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_latency(stack: Stack, agents: Agents, start: int, rate: float, seconds: float) -> None:
    seen: dict[str, float] = {}
    stop = threading.Event()
    watcher = threading.Thread(target=observe, args=(stack, seen, stop), daemon=True)
    watcher.start()
    out = stack.root / "commits.json"
    log(f"latency: {rate:.0f} declarations/s for {seconds:.0f}s, one per transaction")
    load = worker(
        stack, "portal", "load", f"--start={start}", f"--rate={rate}", f"--seconds={seconds}",
        f"--out={out}",
    )  # fmt: skip
    commits = json.loads(out.read_text())
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and any(ref not in seen for ref, _ in commits):
        agents.check()
        time.sleep(0.1)
    stop.set()
    watcher.join()
    latencies = [seen[ref] - at for ref, at in commits if ref in seen]
    missing = len(commits) - len(latencies)
    print(
        f"  latency commit→visible, {len(latencies)} declarations at {load['rate']:.0f}/s "
        f"achieved: median {statistics.median(latencies) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms" + (f"; {missing} NOT SEEN" if missing else ""),
        flush=True,
    )


def run_stack(stack: Stack, messages: int, latency_seconds: float, rate: float) -> None:
    print(f"\n== {stack.name} {stack.note}", flush=True)
    log("setting up (keygen, migrate, load_reference)")
    setup(stack)
    log(f"direct: {messages} messages through the police handler, {BATCH} per transaction")
    direct = worker(stack, "police", "direct", f"--count={messages}", direct=True)
    assert direct["applied"] == messages, direct
    log(f"seeding the portal outbox with {messages} declarations")
    seed = worker(stack, "portal", "seed", f"--count={messages}")
    log(f"ferry: starting both agents; seeding took {seed['seconds']:.1f}s")
    began = time.monotonic()
    agents = Agents(stack)
    try:
        marks = wait_for_ferry(stack, agents, messages, began)
        direct_rate = messages / direct["seconds"]
        ferry_rate = messages / marks["acked"]
        print(
            f"  direct apply:  {direct_rate:8.0f} msg/s ({direct['seconds']:.1f}s)\n"
            f"  ferry e2e:     {ferry_rate:8.0f} msg/s ({marks['acked']:.1f}s to the last ack; "
            f"last apply at {marks['applied']:.1f}s; all replies back at {marks['replied']:.1f}s;"
            f" agent start-up included)\n"
            f"  ferry/direct:  {ferry_rate / direct_rate:8.0%} (goal ≥ 50%)\n"
            f"  (portal seeding, not part of either: {messages / seed['seconds']:.0f} msg/s)",
            flush=True,
        )
        if latency_seconds > 0 and stack.name == "sqlite-dir":
            run_latency(stack, agents, messages, rate, latency_seconds)
    finally:
        agents.stop()


def main() -> None:
    if sys.argv[1:2] == ["_worker"]:
        worker_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument(
        "--stack", choices=["sqlite-dir", "postgres-amqp", "postgres-dir", "all"], default="all"
    )
    parser.add_argument("--latency-seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=200, help="latency load, messages/s")
    parser.add_argument("--keep", action="store_true", help="keep temporary data for a look")
    args = parser.parse_args()

    names = ["sqlite-dir", "postgres-amqp"] if args.stack == "all" else [args.stack]
    print(
        f"ferry benchmark: {args.messages} declaration.submitted messages; "
        f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f} at start",
        flush=True,
    )
    for name in names:
        database, transport = name.split("-")
        note = ""
        if transport == "amqp":
            reason = amqp_available()
            if reason:
                transport, name = "dir", "postgres-dir"
                note = f"(amqp unavailable: {reason}; PostgreSQL with dir instead)"
        root = Path(tempfile.mkdtemp(prefix=f"onetrip-bench-{name}-"))
        stack = Stack(name=name, database=database, transport=transport, root=root, note=note)
        try:
            run_stack(stack, args.messages, args.latency_seconds, args.rate)
        finally:
            teardown(stack, args.keep)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()

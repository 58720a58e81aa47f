"""Reporting apply benchmark: how fast the police zone applies organisations' rows.

    .venv/bin/python benchmarks/reporting_apply.py [--rows 100000] [--stack sqlite|postgres|all]
                                                   [--keep]

Per stack (its own temporary SQLite file or PostgreSQL database, set up as `make up` does:
`migrate`, `load_reference`):

1. Apply: N person rows in `report.rows_submitted` messages of 1,000 (MAX_ROWS_PER_MESSAGE),
   from 20 approved organisations, through the real police handler: each payload validated from
   JSON as the ferry does, then `report_rows_apply` in a transaction with a savepoint per
   message (as the ferry's apply), its answer written to the outbox. 10 % of the rows are about
   people already in the register (a second organisation reporting them, or their departure),
   the rest are arrivals of new people, a few of them reported late. No batch, signature,
   transport, inbox or ack: `benchmarks/ferry.py` measures those.
2. Raw limit: the same rows' person columns written the fastest way the database offers, into
   a table with the same unique index: PostgreSQL `COPY` into a staging table, then one
   `INSERT … SELECT … ON CONFLICT (id_hash) DO UPDATE`; SQLite `executemany` into a staging
   table, then the same `INSERT … ON CONFLICT`. No encryption, no stays, no sources.

It prints rows/s of both and their ratio, and the CPU the apply took per 1,000 rows: its own
process's (on SQLite the database's work included) and, on PostgreSQL, its server backend's (from
/proc, so the server must run on this machine). On a shared machine CPU is steadier than time.
The script runs its own worker processes
(`benchmarks/reporting_apply.py _worker apply|raw N`) inside the police zone's settings.
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
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
PG_BASE = os.environ.get("ONETRIP_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
ORGANISATIONS = 20
UPDATE_SHARE = 0.10

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏浩宇轩子涵欣怡梓睿"
BIRTH_REGIONS = ["330106", "341222", "411323", "510722", "362427", "430521", "522121", "320322"]
ROADS = ("文三路", "学院路", "莫干山路", "天目山路", "古墩路", "江南大道", "滨盛路", "丰潭路")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def credit_code(n: int) -> str:
    return f"91330106MA2B{n:05d}X"


def _covered_communities() -> list[str]:
    from onetrip.common import divisions

    path = REPO / "src/onetrip/police/stations/data/station_streets.csv"
    with path.open(encoding="utf-8") as handle:
        streets = sorted({row["street_code"] for row in csv.DictReader(handle)})
    return [c.code for s in streets for c in divisions.communities_of(s)]


def person(index: int) -> dict[str, str]:
    """Person number `index`: always the same name, ID number and phone."""
    rng = random.Random(index)
    birth = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randrange(365 * 40))
    body = f"{rng.choice(BIRTH_REGIONS)}{birth:%Y%m%d}{index % 1000:03d}"
    id_number = body + _CHECK[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
    return {"name": name, "id_number": id_number, "phone": f"13{rng.randrange(10**9):09d}"}


def messages(total: int, today: dt.date, communities: list[str]) -> list[dict[str, Any]]:
    """The payloads, in JSON form as the ferry carries them. Person numbers are drawn so that
    they never collide by accident: person `i` is new at row `i`; an update row names a person
    reported earlier in the run by another organisation (a second source) or by its own
    organisation (a departure)."""
    rng = random.Random(7)
    out: list[dict[str, Any]] = []
    arrived: list[tuple[int, int, dt.date]] = []  # (person index, organisation, event date)
    departed: set[int] = set()
    for chunk_start in range(0, total, 1000):
        org = (chunk_start // 1000) % ORGANISATIONS
        people = []
        for offset in range(min(1000, total - chunk_start)):
            index = chunk_start + offset
            event_date = today - dt.timedelta(days=rng.choice((0, 1, 1, 2, 3, 4, 6, 12)))
            row: dict[str, Any] = {"row": offset + 2, "relation": "employee"}
            if arrived and rng.random() < UPDATE_SHARE:
                who, by, on = rng.choice(arrived)
                if by == org and who not in departed:
                    departed.add(who)
                    row |= {"event": "left", "event_date": max(on, event_date).isoformat()}
                else:
                    row |= {"event": "arrived", "relation": "tenant"}
                    row["event_date"] = event_date.isoformat()
                ident = who
            else:
                ident = index
                row |= {"event": "arrived", "event_date": event_date.isoformat()}
                arrived.append((index, org, event_date))
            row |= person(ident)
            row["community_code"] = communities[ident % len(communities)]
            row["address_detail"] = (
                f"{ROADS[ident % len(ROADS)]}{ident % 999 + 1}号{ident % 30 + 1}幢{org + 101}室"
            )
            people.append(row)
        out.append(
            {
                "import_reference": f"BENCH{chunk_start // 1000:06d}",
                "chunk": 1,
                "credit_code": credit_code(org),
                "organisation_kind": "employer",
                "reported_at": dt.datetime.combine(today, dt.time(10)).isoformat() + "+08:00",
                "people": people,
                "houses": [],
            }
        )
    return out


# -- workers: inside the police zone's Django settings ------------------------------------------


def _backend_pid(connection: Any) -> int | None:
    """The PostgreSQL server process serving `connection`, if it runs on this machine."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = int(cursor.fetchone()[0])
    return pid if Path(f"/proc/{pid}/stat").exists() else None


def _backend_cpu(pid: int | None) -> float:
    """User + system CPU seconds of process `pid` so far (0 without one)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _worker_apply(total: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from onetrip.contracts.reporting import OrganisationRegisteredV1, ReportRowsSubmittedV1
    from onetrip.police.reporting.models import ReportingOrganisation
    from onetrip.police.reporting.services import organisation_receive, report_rows_apply

    for n in range(ORGANISATIONS):
        organisation_receive(
            message=OrganisationRegisteredV1(
                credit_code=credit_code(n),
                name=f"杭州示例用工单位{n}号有限公司",
                kind="employer",
                district_code="330106",
                address="杭州市西湖区文三路 1 号",
                contact_name="王五",
                contact_phone="13700137000",
                registered_at=timezone.now(),
            )
        )
    ReportingOrganisation.objects.update(status="approved")
    payloads = [
        json.loads(json.dumps(m))
        for m in messages(total, timezone.localdate(), _covered_communities())
    ]
    applied = unchanged = refused = conflicts = 0
    codes: dict[str, int] = {}
    backend = _backend_pid(connection)
    started = time.perf_counter()
    cpu_started, backend_started = time.process_time(), _backend_cpu(backend)
    for payload in payloads:
        with transaction.atomic():  # the ferry's batch transaction
            message = ReportRowsSubmittedV1.model_validate(payload)
            with transaction.atomic():  # the handler's savepoint
                answer = report_rows_apply(message=message)
        applied += answer.applied
        unchanged += answer.unchanged
        refused += len(answer.refused)
        conflicts += answer.conflicts
        for problem in answer.refused:
            codes[problem.code] = codes.get(problem.code, 0) + 1
    seconds = time.perf_counter() - started
    cpu, backend_cpu = time.process_time() - cpu_started, _backend_cpu(backend) - backend_started
    return {
        "vendor": connection.vendor,
        "cpu": cpu,
        "database_cpu": backend_cpu if backend else None,
        "rows": total,
        "messages": len(payloads),
        "seconds": seconds,
        "applied": applied,
        "unchanged": unchanged,
        "refused": refused,
        "conflicts": conflicts,
        "refused_codes": codes,
    }


RAW_COLUMNS = ("id_hash", "name", "id_number", "phone", "sex", "birth_date")


def _worker_raw(total: int) -> dict[str, Any]:
    """The database's own limit for the same rows, into the same kind of indexed table."""
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from onetrip.common.crypto import lookup_hash

    rows = []
    for payload in messages(total, timezone.localdate(), _covered_communities()):
        for r in payload["people"]:
            ident = r["id_number"]
            rows.append(
                (
                    lookup_hash(ident, purpose="id_number"),
                    r["name"],
                    ident,
                    r["phone"],
                    "M" if int(ident[16]) % 2 else "F",
                    f"{ident[6:10]}-{ident[10:12]}-{ident[12:14]}",
                )
            )
    columns = ", ".join(RAW_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in RAW_COLUMNS[1:])
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE raw_person (id integer PRIMARY KEY, id_hash varchar(64) NOT NULL "
            "UNIQUE, name text, id_number text, phone text, sex varchar(1), birth_date date)"
            if connection.vendor == "sqlite"
            else "CREATE TABLE raw_person (id serial PRIMARY KEY, id_hash varchar(64) NOT NULL "
            "UNIQUE, name text, id_number text, phone text, sex varchar(1), birth_date date)"
        )
    # Within one chunk the same person may appear twice; ON CONFLICT DO UPDATE refuses to touch
    # a row twice in one statement, so the raw load keeps the last row of each person per
    # statement, as the apply does.
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.connection
            with raw.cursor() as pg:
                pg.execute(
                    "CREATE TEMP TABLE raw_stage (id_hash varchar(64), name text, id_number "
                    "text, phone text, sex varchar(1), birth_date date, n serial)"
                )
                with pg.copy(f"COPY raw_stage ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                pg.execute(
                    " ".join(
                        (
                            f"INSERT INTO raw_person ({columns})",
                            f"SELECT DISTINCT ON (id_hash) {columns} FROM raw_stage",  # noqa: S608
                            "ORDER BY id_hash, n DESC",
                            f"ON CONFLICT (id_hash) DO UPDATE SET {updates}",
                        )
                    )
                )
            raw.commit()
        else:
            cursor.execute(
                "CREATE TEMP TABLE raw_stage (id_hash text, name text, id_number text, "
                "phone text, sex text, birth_date text)"
            )
            cursor.executemany(
                " ".join((f"INSERT INTO raw_stage ({columns})", "VALUES (?, ?, ?, ?, ?, ?)")), rows
            )
            cursor.execute(
                " ".join(
                    (
                        f"INSERT INTO raw_person ({columns}) SELECT {columns}",
                        "FROM raw_stage",
                        "WHERE rowid IN (SELECT max(rowid) FROM raw_stage GROUP BY id_hash)",
                        f"ON CONFLICT (id_hash) DO UPDATE SET {updates}",
                    )
                )
            )
    seconds = time.perf_counter() - started
    return {"rows": total, "seconds": seconds}


# -- the orchestrator ---------------------------------------------------------------------------


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def _env(var: Path, database_url: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "ONETRIP_VAR_DIR": str(var),
        "ONETRIP_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "onetrip.settings.police",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("ONETRIP_POLICE_DATABASE_URL", None)
    env.pop("ONETRIP_ZONE", None)
    if database_url:
        env["ONETRIP_POLICE_DATABASE_URL"] = database_url
    return env


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as connection:
        connection.execute(sql)


def _prepare(var: Path, url: str | None) -> None:
    for args in (("migrate", "--no-input", "-v", "0"), ("load_reference",)):
        subprocess.run(
            [PY, "-m", "onetrip.cli", "--zone", "police", *args],
            cwd=REPO,
            env=_env(var, url),
            check=True,
            stdout=subprocess.DEVNULL,
        )


def _run(var: Path, url: str | None, role: str, rows: int) -> dict[str, Any]:
    result = subprocess.run(
        [PY, str(Path(__file__).resolve()), "_worker", role, str(rows)],
        cwd=REPO,
        env=_env(var, url),
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def run_stack(stack: str, rows: int, keep: bool) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix=f"onetrip-reporting-{stack}-"))
    databases: list[str] = []
    try:
        urls: dict[str, str | None] = {"apply": None, "raw": None}
        if stack == "postgres":
            for role in urls:
                name = f"onetrip_bench_{os.getpid()}_reporting_{role}"
                _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
                _pg_admin(f'CREATE DATABASE "{name}"')
                databases.append(name)
                urls[role] = f"{PG_BASE}/{name}"
        results: dict[str, Any] = {}
        for role in ("apply", "raw"):
            var = root / role
            var.mkdir()
            log(f"{stack}: migrate and load_reference ({role})")
            _prepare(var, urls[role])
            log(f"{stack}: {role} {rows:,} rows")
            results[role] = _run(var, urls[role], role, rows)
        return results
    finally:
        if keep:
            log(f"kept {root} {databases}")
        else:
            shutil.rmtree(root, ignore_errors=True)
            for name in databases:
                with contextlib.suppress(Exception):
                    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        role, rows = sys.argv[2], int(sys.argv[3])
        outcome = _worker_apply(rows) if role == "apply" else _worker_raw(rows)
        print(json.dumps(outcome))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--stack", choices=("sqlite", "postgres", "all"), default="all")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    stacks = ("sqlite", "postgres") if args.stack == "all" else (args.stack,)
    log(f"load average at start: {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs")
    table = []
    for stack in stacks:
        results = run_stack(stack, args.rows, args.keep)
        apply, raw = results["apply"], results["raw"]
        apply_rate = apply["rows"] / apply["seconds"]
        raw_rate = raw["rows"] / raw["seconds"]
        table.append((stack, apply, apply_rate, raw_rate))
        log(
            f"{stack}: applied {apply['applied']:,}, unchanged {apply['unchanged']:,}, "
            f"refused {apply['refused']:,} {apply['refused_codes']}, "
            f"conflicts {apply['conflicts']:,} "
            f"in {apply['messages']:,} messages"
        )
    log(f"load average at end: {os.getloadavg()[0]:.2f}")
    print()
    print(
        "| stack | rows | report_rows_apply | CPU per 1,000 rows: apply process | database "
        "backend | raw COPY/INSERT + ON CONFLICT | apply/raw |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for stack, apply, apply_rate, raw_rate in table:
        per = 1000 / apply["rows"]
        database = apply["database_cpu"]
        print(
            f"| {stack} | {apply['rows']:,} | {apply_rate:,.0f} rows/s ({apply['seconds']:.1f} s) "
            f"| {apply['cpu'] * per * 1000:.1f} ms "
            f"| {'–' if database is None else f'{database * per * 1000:.1f} ms'} "
            f"| {raw_rate:,.0f} rows/s | {apply_rate / raw_rate:.0%} |"
        )


if __name__ == "__main__":
    main()

"""Organisation reporting at city scale (issue 14): the seed's 2,510,000 rows end to end — parse,
validate, ferry, upsert into the register — against the machine's raw limit; the import worker's
memory on a 500,000-row .xlsx; 50 HR clerks uploading at once through the pages.

    .venv/bin/python benchmarks/reporting.py                        # PostgreSQL then SQLite
    .venv/bin/python benchmarks/reporting.py --stack postgres --phases raw,pipeline
    .venv/bin/python benchmarks/reporting.py --stack sqlite --sqlite-rows 502000
    .venv/bin/python benchmarks/reporting.py --stack postgres --rows 251000 --profile
    .venv/bin/python benchmarks/reporting.py --phases load --clerks 50

Data (generated once per --seed and --rows, cached in var/benchmarks/reporting-e2e/): seven
approved organisations of the city — five employers and two rental agencies — and their files,
at most 500,000 rows each: an employer's people sheet as .xlsx (500,000 rows, first, so the
worker's peak memory while reading it is its own), UTF-8 and GBK CSV people files, and each
agency's 房屋 (houses) CSV before its tenants. Rows are what clerks write: Chinese names, ID
numbers with valid check characters, regions and birth dates, mobile numbers (15 % left blank),
communities of the city as their 12-digit code, ``XX街道XX社区`` or with the district in front,
addresses down to the room, tenants linked to the agency's house references, dates as
2026-11-30 or 2026/11/5, 1–3 % of them reported late. A first, smaller pass of earlier reports
(10 % of the volume, untimed) puts people in the register; then 10 % of the timed rows are
updates of them: departures (35 %), moves within the same organisation with a new address and
often a new phone (15 %), job changes and second sources — the person arriving at another
organisation, one in ten of those the same day as their first report at another address, a
conflict for the station (50 %). 2 % of the rows are invalid (a wrong check character, a date
that does not exist, a date in the future or over a year ago, an unknown community, no name, a
bad phone, an address without a number, an under-16 employee, a duplicate row, an event the
organisation does not report; for houses no rooms, an end before the start, no owner ID, a
duplicate reference). With --rows N every file is scaled by N / 2,510,000.

Phases, per stack (--stack postgres|sqlite|all; PostgreSQL databases onetrip_bench_rpt_<pid>_*
on ONETRIP_BENCH_POSTGRES, default postgresql://postgres@127.0.0.1:5432, dropped at the end;
SQLite files in a temporary ONETRIP_VAR_DIR):

raw       The machine's limit for the same rows, in a police database of its own: the valid
          rows of the timed files written as plain text (no encryption) with PostgreSQL's COPY
          into a staging table, then one ``INSERT … SELECT … ON CONFLICT DO UPDATE`` into a copy
          of the register's person table with the same indexes (``CREATE TABLE … (LIKE … INCLUDING
          ALL)``) and the same for the house rows into a copy of the house table; the preload
          rows go in first, untimed, so the updates conflict as in the register. Then, timed
          apart, the stays: one INSERT … ON CONFLICT into a copy of the stay table and one
          UPDATE closing stays for the departures. SQLite: ``executemany`` into the staging
          table, then the same statements. Hashes and COPY text are prepared before timing.
pipeline  Both zones as `onetrip up` runs them — `onetrip --zone portal ferry run`, `onetrip
          --zone police ferry run` and --reporting-workers × `onetrip --zone portal db_worker
          --queue-name reporting` (make up runs one) — on the `dir` transport, after `ferry
          keygen`, `migrate`, `createcachetable`, `load_reference` and `load_demo_staff`. The
          organisations sign up through `organisation_register`, the ferry carries them to the
          police, the city administrator approves them with `organisation_decide`, the ferry
          carries the decision back. The preload pass runs, untimed. Then every timed file is
          kept with `import_create` (untimed: the upload) and, at t0, queued (what the upload's
          commit does); the figure is the time from t0 until every import is DONE, i.e. every
          chunk answered by the register. Prints rows/s over all rows read and over the valid
          rows, the ratio to the raw limit, when reading ended, the counts the imports and the
          register hold, the CPU seconds of each process (PostgreSQL backends of the run's
          databases included, per zone) and per 1,000 rows, and the reporting worker's peak
          RSS while it read the .xlsx (VmHWM from /proc, sampled as the import leaves READING).
          The CI PostgreSQL server runs with autovacuum off; without statistics the apply's
          look-up of a message's stays reads the whole stay table, so the run does what
          autovacuum's analyze would: ANALYZE both databases after the preload and every 60 s.
          --profile runs the worker and both agents under cProfile and prints (and keeps in
          --profile-dir) where their time goes.
load      `onetrip up` itself on spare ports (gunicorn 2 × 4 per zone, the agents, the workers,
          the simulators); ten employers signed up and approved the same way; --clerks clerks
          (five per organisation) each a member with a session of their own (made by the
          session store as a sign-in leaves it). Each clerk opens the organisation's page (its
          CSRF token), then all upload their own --clerk-rows-row CSV at the same moment (POST
          /org/<code>/upload/ with the token), follow the redirect to the import page, and poll
          /org/<code>/imports/<ref>/status.json every second, as the page's script does, until
          it says finished. Prints p50/p99 per step, 5xx, "database is locked" and tracebacks
          in the servers' log, and the time until all imports are done.

Goals (issue 14): pipeline ≥ 25 % of the raw limit; the worker's peak RSS on the 500,000-row
.xlsx under 500 MB; no 5xx and no "database is locked" with 50 clerks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import datetime as dt
import io
import json
import math
import os
import pstats
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal import (
    PG_BASE,
    PY,
    REPO,
    Stack,
    Step,
    count_in_log,
    cpu_times,
    free_port,
    log,
    percentile,
    pg_admin,
    wait_http,
)

FULL_ROWS = 2_510_000
CACHE_VERSION = 1
CACHE_ROOT = REPO / "var" / "benchmarks" / "reporting-e2e"
UPDATE_SHARE = 0.10
INVALID_SHARE = 0.02
PRELOAD_SHARE = 0.10
ONETRIP = str(Path(PY).with_name("onetrip"))
DB_PREFIX = f"onetrip_bench_rpt_{os.getpid()}"
# The CI PostgreSQL server runs with autovacuum off; without statistics the planner reads the
# whole stay table for each message's look-up. The pipeline runs ANALYZE this often instead.
ANALYZE_EVERY = 60.0

# --- Organisations and files -------------------------------------------------------------------


@dataclass(frozen=True)
class Org:
    key: str
    name: str
    kind: str  # employer | rental_agency
    district: str
    serial: int
    contact: str
    phone: str

    @property
    def credit_code(self) -> str:
        from onetrip.common.identifiers import uscc_check_char

        body = f"91{self.district}MA2H{self.serial:04d}X"
        return body + str(uscc_check_char(body))

    @property
    def relation(self) -> str:
        return "employee" if self.kind == "employer" else "tenant"

    @property
    def words(self) -> tuple[str, str]:
        """The 事件 words for arriving and leaving."""
        return ("入职", "离职") if self.kind == "employer" else ("入住", "离开")


ORGS = (
    Org("E1", "杭州恒达物流有限公司", "employer", "330110", 1, "陈晓燕", "13757110001"),
    Org("E2", "杭州新澳纺织有限公司", "employer", "330109", 2, "王建军", "13757110002"),
    Org("E3", "浙江天和建设集团有限公司", "employer", "330106", 3, "刘海波", "13757110003"),
    Org("A1", "杭州乐居房屋租赁有限公司", "rental_agency", "330105", 4, "周丽娟", "13757110004"),
    Org("A2", "杭州城西长租公寓管理有限公司", "rental_agency", "330106", 5, "吴俊", "13757110005"),
    Org("E4", "杭州佳味餐饮管理有限公司", "employer", "330102", 6, "孙志强", "13757110006"),
    Org("E5", "杭州海鑫电子科技有限公司", "employer", "330108", 7, "赵敏", "13757110007"),
)
ORG_BY_KEY = {o.key: o for o in ORGS}
# (organisation, format, rows at full size). People files of 500,000 rows at most; the .xlsx
# first, each agency's houses before its tenants.
PLAN = (
    ("E1", "xlsx", 500_000),
    ("E2", "csv", 500_000),
    ("E3", "csv-gbk", 500_000),
    ("A1", "houses", 40_000),
    ("A1", "csv", 400_000),
    ("A2", "houses", 20_000),
    ("A2", "csv", 250_000),
    ("E4", "csv", 200_000),
    ("E5", "csv", 100_000),
)

PEOPLE_HEADER = ["事件", "姓名", "公民身份号码", "手机号码", "日期", "社区", "详细地址", "房屋编号"]
HOUSES_HEADER = [
    "房屋编号",
    "社区",
    "详细地址",
    "房主姓名",
    "房主公民身份号码",
    "房主手机号码",
    "房间数",
    "出租起始日期",
    "出租截止日期",
]

# --- What rows are made of ---------------------------------------------------------------------

# The commonest surnames first, repeated by rough frequency; two compound ones.
SURNAMES = (
    "王" * 8
    + "李" * 8
    + "张" * 7
    + "刘" * 6
    + "陈" * 5
    + "杨" * 4
    + "黄" * 3
    + "赵" * 3
    + "吴" * 3
    + "周" * 3
    + "徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
    + "叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官")
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国文斌辉玲萍红梅鹏飞宇浩然"
    "子涵欣怡梓睿一诺思远俊杰晓东海燕春花志刚雪梅家豪佳琪嘉欣雨轩博文天佑晨曦昊宸"
)
# Birth places: Hangzhou's districts (old codes too) and the provinces most migrants come from.
REGIONS = (
    *("330102", "330106", "330108", "330110", "330681", "330521", "330727", "330327"),
    *("341222", "341221", "341623", "341225", "411323", "411325", "412727", "411527"),
    *("510722", "511623", "510921", "362427", "362426", "430521", "430524", "522121"),
    *("522124", "320322", "320324", "421126", "421127", "500228", "500229", "532128"),
    *("372925", "372928", "360426", "450127", "452226", "130423", "140425", "330225"),
)
PHONE_PREFIXES = (
    *("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152"),
    *("153", "155", "156", "157", "158", "159", "166", "173", "176", "177", "180", "181"),
    *("182", "183", "185", "186", "187", "188", "189", "191", "198", "199"),
)
ROADS = (
    *("文三路", "文二路", "文一西路", "教工路", "学院路", "莫干山路", "湖墅南路", "天目山路"),
    *("古墩路", "丰潭路", "余杭塘路", "五常大道", "东新路", "石桥路", "秋涛路", "江南大道"),
    *("滨盛路", "江晖路", "金城路", "市心北路", "临平大道", "九堡大道", "德胜路", "紫金港路"),
    *("留和路", "西园路", "转塘直街", "闸弄口路", "新塘路", "机场路"),
)
BAD_COMMUNITIES = ("幸福街道幸福里社区", "330199999999", "城东新村", "滨湖街道阳光社区")
IMPRECISE_ADDRESSES = ("城西银泰附近", "火车东站旁边出租屋", "工业园区宿舍", "下沙", "公司宿舍")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
BIRTH_START = dt.date(1966, 1, 1)
BIRTH_DAYS = 14_600  # to 2005-12-21: every employee is over 16
ID_MULTIPLIER = 2_654_435_761
OWNER_BASE = 500_000_000  # person numbers of house owners, apart from tenants and workers
# How far back new arrivals happened (days before today), weighted: most within the 3 working
# days, a few reported late.
EVENT_AGES = (0, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6, 8, 12)
PEOPLE_INVALID = (
    "check_digit",
    "bad_date",
    "future_date",
    "old_date",
    "unknown_community",
    "no_name",
    "bad_phone",
    "imprecise_address",
    "duplicate",
    "wrong_event",
    "under_16",
)
HOUSE_INVALID = ("no_rooms", "until_before_from", "no_owner_id", "duplicate")


def _check_char(body: str) -> str:
    return CHECK[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


def _birth_texts() -> list[str]:
    return [
        f"{d.year:04d}{d.month:02d}{d.day:02d}"
        for d in (BIRTH_START + dt.timedelta(days=n) for n in range(BIRTH_DAYS))
    ]


@dataclass
class Person:
    """What a preloaded person's rows keep saying about them."""

    index: int
    org: str
    name: str
    id_number: str
    phone: str
    community: str  # code
    address: str
    arrived: dt.date


class Generator:
    """Deterministic rows for one seed: person number `i` always has the same ID number; names,
    phones, places and dates come from one random stream per file."""

    def __init__(self, seed: int, today: dt.date, out: Path) -> None:
        from onetrip.common import divisions
        from onetrip.common.identifiers import region_code_ever_existed

        bad = [r for r in REGIONS if not region_code_ever_existed(r)]
        if bad:
            raise SystemExit(f"region codes unknown to the validator: {bad}")
        self.seed = seed
        self.today = today
        self.out = out
        self.births = _birth_texts()
        self.capacity = len(REGIONS) * BIRTH_DAYS * 1000
        assert math.gcd(ID_MULTIPLIER, self.capacity) == 1
        found = divisions.load()
        self.communities: list[tuple[str, str, str]] = []
        for community in found.community_by_code.values():
            street = found.street_by_code[community.street_code]
            district = found.district_by_code[community.district_code]
            self.communities.append(
                (
                    community.code,
                    street.name + community.name,
                    district.name + street.name + community.name,
                )
            )
        self.communities.sort()
        self.spellings = {code: (code, street, full) for code, street, full in self.communities}
        self.next_person = 0
        self.preloaded: dict[str, list[Person]] = {}
        self.houses: dict[str, list[tuple[str, str, str]]] = {}  # org → (ref, community, address)
        self.used: set[int] = set()

    # -- atoms --

    def id_number(self, index: int, *, birth: str | None = None) -> str:
        mixed = (index * ID_MULTIPLIER + self.seed) % self.capacity
        region = REGIONS[mixed % len(REGIONS)]
        rest = mixed // len(REGIONS)
        body = f"{region}{birth or self.births[rest % BIRTH_DAYS]}{rest // BIRTH_DAYS:03d}"
        return body + _check_char(body)

    def new_index(self) -> int:
        self.next_person += 1
        return self.next_person

    @staticmethod
    def name(rng: random.Random) -> str:
        surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.01 else rng.choice(SURNAMES)
        return surname + "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.3 else 2))

    @staticmethod
    def phone(rng: random.Random) -> str:
        return f"{rng.choice(PHONE_PREFIXES)}{rng.randrange(10**8):08d}"

    def community(self, rng: random.Random) -> tuple[str, str]:
        """(code, as the clerk writes it)."""
        code, street_name, full_name = rng.choice(self.communities)
        spelling = rng.random()
        return code, code if spelling < 0.4 else street_name if spelling < 0.85 else full_name

    def spelled(self, rng: random.Random, code: str) -> str:
        c, street_name, full_name = self.spellings[code]
        spelling = rng.random()
        return c if spelling < 0.4 else street_name if spelling < 0.85 else full_name

    @staticmethod
    def address(rng: random.Random, kind: str) -> str:
        road, number = rng.choice(ROADS), rng.randint(1, 999)
        floor, room = rng.randint(1, 18), rng.randint(1, 6)
        if kind == "employer" and rng.random() < 0.5:
            return f"{road}{number}号员工宿舍{rng.randint(1, 12)}幢{floor}{room:02d}室"
        return f"{road}{number}号{rng.randint(1, 30)}幢{rng.randint(1, 4)}单元{floor}{room:02d}室"

    def event_date(self, rng: random.Random) -> dt.date:
        return self.today - dt.timedelta(days=rng.choice(EVENT_AGES))

    @staticmethod
    def date_text(rng: random.Random, day: dt.date) -> str:
        return day.isoformat() if rng.random() < 0.85 else f"{day.year}/{day.month}/{day.day}"

    # -- the preload pass --

    def preload(self, org: Org, count: int, writer: Any, sidecar: Any) -> None:
        rng = random.Random(f"{self.seed}-preload-{org.key}")
        people = self.preloaded.setdefault(org.key, [])
        arrive = org.words[0]
        for _ in range(count):
            index = self.new_index()
            code, spelled = self.community(rng)
            person = Person(
                index=index,
                org=org.key,
                name=self.name(rng),
                id_number=self.id_number(index),
                phone=self.phone(rng),
                community=code,
                address=self.address(rng, org.kind),
                arrived=self.today - dt.timedelta(days=rng.randint(40, 300)),
            )
            people.append(person)
            writer.writerow(
                [
                    arrive,
                    person.name,
                    person.id_number,
                    person.phone,
                    self.date_text(rng, person.arrived),
                    spelled,
                    person.address,
                    "",
                ]
            )
            sidecar.write(
                self._people_line(
                    org,
                    "arrived",
                    person.name,
                    person.id_number,
                    person.phone,
                    person.arrived,
                    code,
                    person.address,
                )
            )

    @staticmethod
    def _people_line(
        org: Org,
        event: str,
        name: str,
        id_number: str,
        phone: str,
        day: dt.date,
        community: str,
        address: str,
    ) -> str:
        return (
            "\t".join(
                (
                    org.key,
                    event,
                    org.relation,
                    name,
                    id_number,
                    phone,
                    day.isoformat(),
                    community,
                    address,
                )
            )
            + "\n"
        )

    # -- the updates of a timed file --

    def updates_for(self, org: Org, count: int, rng: random.Random) -> list[tuple[str, Person]]:
        """(kind, person) for `count` update rows of `org`'s file: departures and moves of its
        own preloaded people, and people of other organisations arriving here."""
        own = self.preloaded.get(org.key, [])
        departures = round(count * 0.35)
        moves = round(count * 0.15)
        others = count - departures - moves
        out: list[tuple[str, Person]] = []
        for person in own[:departures]:
            out.append(("departure", person))
            self.used.add(person.index)
        for person in own[departures : departures + moves]:
            out.append(("move", person))
            self.used.add(person.index)
        # People of other organisations: of the other kind first (a worker renting through an
        # agency), then anyone's still unused (a job change).
        candidates = [
            p
            for o in ORGS
            if o.key != org.key and o.kind != org.kind
            for p in self.preloaded.get(o.key, [])
        ]
        candidates += [
            p
            for o in ORGS
            if o.key != org.key and o.kind == org.kind
            for p in self.preloaded.get(o.key, [])
        ]
        rng.shuffle(candidates)
        taken = 0
        for person in candidates:
            if taken >= others:
                break
            if person.index in self.used:
                continue
            self.used.add(person.index)
            out.append(("elsewhere", person))
            taken += 1
        rng.shuffle(out)
        return out

    # -- timed files --

    def people_file(
        self,
        org: Org,
        rows: int,
        updates: int,
        writer: Any,
        sidecar: Any,
        rng: random.Random,
    ) -> Counter[str]:
        invalid = round(rows * INVALID_SHARE)
        planned = self.updates_for(org, updates, rng)
        slots = ["new"] * (rows - invalid - len(planned)) + ["update"] * len(planned)
        slots += ["bad"] * invalid
        rng.shuffle(slots)
        arrive = org.words[0]
        houses = self.houses.get(org.key, [])
        counts: Counter[str] = Counter()
        written: list[list[str]] = []  # recent valid new rows, for duplicates
        for slot in slots:
            if slot == "update":
                kind, person = planned.pop()
                row, event, day, code, address, phone = self._update_row(org, kind, person, rng)
                counts[kind] += 1
                if kind == "elsewhere" and day == person.arrived:
                    counts["elsewhere_same_day"] += 1
                writer.writerow(row)
                sidecar.write(
                    self._people_line(
                        org, event, person.name, person.id_number, phone, day, code, address
                    )
                )
                continue
            index = self.new_index()
            name, phone = self.name(rng), self.phone(rng) if rng.random() < 0.85 else ""
            if houses and org.kind != "employer":
                house_ref, code, address = rng.choice(houses)
                spelled = self.spelled(rng, code)
            else:
                house_ref = ""
                code, spelled = self.community(rng)
                address = self.address(rng, org.kind)
            day = self.event_date(rng)
            id_number = self.id_number(index)
            row = [
                arrive,
                name,
                id_number,
                phone,
                self.date_text(rng, day),
                spelled,
                address,
                house_ref,
            ]
            if slot == "new":
                counts["new"] += 1
                writer.writerow(row)
                sidecar.write(
                    self._people_line(org, "arrived", name, id_number, phone, day, code, address)
                )
                if len(written) < 1000:
                    written.append(row)
                elif rng.random() < 0.01:
                    written[rng.randrange(1000)] = row
                continue
            fault = rng.choice(PEOPLE_INVALID)
            if fault == "under_16" and org.kind != "employer":
                fault = "no_name"
            if fault == "duplicate" and not written:
                fault = "bad_phone"
            counts[f"invalid:{fault}"] += 1
            counts["invalid"] += 1
            writer.writerow(self._broken_person(row, fault, written, index, rng))
        assert not planned
        return counts

    def _update_row(
        self, org: Org, kind: str, person: Person, rng: random.Random
    ) -> tuple[list[str], str, dt.date, str, str, str]:
        arrive, leave = org.words
        if kind == "departure":
            day = self.event_date(rng)
            row = [
                leave,
                person.name,
                person.id_number,
                person.phone,
                self.date_text(rng, day),
                self.spelled(rng, person.community),
                person.address,
                "",
            ]
            return row, "left", day, person.community, person.address, person.phone
        if kind == "move":
            day = self.event_date(rng)
            phone = self.phone(rng) if rng.random() < 0.5 else person.phone
            code, spelled = self.community(rng)
            address = self.address(rng, org.kind)
            row = [
                arrive,
                person.name,
                person.id_number,
                phone,
                self.date_text(rng, day),
                spelled,
                address,
                "",
            ]
            return row, "arrived", day, code, address, phone
        # Arriving here: one in ten on the day of the first report, somewhere else.
        same_day = rng.random() < 0.10
        day = person.arrived if same_day else self.event_date(rng)
        houses = self.houses.get(org.key, [])
        if houses:
            house_ref, code, address = rng.choice(houses)
        else:
            house_ref, address = "", self.address(rng, org.kind)
            code, _ = self.community(rng)
        row = [
            arrive,
            person.name,
            person.id_number,
            person.phone,
            self.date_text(rng, day),
            self.spelled(rng, code),
            address,
            house_ref,
        ]
        if same_day and address == person.address:
            row[6] = address = address + "附房"
        return row, "arrived", day, code, address, person.phone

    def _broken_person(
        self, row: list[str], fault: str, written: list[list[str]], index: int, rng: random.Random
    ) -> list[str]:
        row = list(row)
        if fault == "check_digit":
            wrong = [c for c in "0123456789X" if c != row[2][17]]
            row[2] = row[2][:17] + rng.choice(wrong)
        elif fault == "bad_date":
            row[4] = rng.choice(
                (f"{self.today.year}-02-30", f"{self.today.year}/13/05", "2026.4.31")
            )
        elif fault == "future_date":
            row[4] = (self.today + dt.timedelta(days=rng.randint(2, 20))).isoformat()
        elif fault == "old_date":
            row[4] = (self.today - dt.timedelta(days=rng.randint(400, 900))).isoformat()
        elif fault == "unknown_community":
            row[5] = rng.choice(BAD_COMMUNITIES)
        elif fault == "no_name":
            row[1] = ""
        elif fault == "bad_phone":
            row[3] = rng.choice(("1380013800", "23800138000", "138001380001"))
        elif fault == "imprecise_address":
            row[6] = rng.choice(IMPRECISE_ADDRESSES)
        elif fault == "duplicate":
            row = list(rng.choice(written))
        elif fault == "wrong_event":
            row[0] = "入住" if row[0] in ("入职", "离职") else "入职"
        elif fault == "under_16":
            born = self.today.replace(year=self.today.year - rng.randint(12, 15), day=1)
            row[2] = self.id_number(index, birth=f"{born:%Y%m%d}")
        return row

    def houses_file(
        self, org: Org, rows: int, writer: Any, sidecar: Any, rng: random.Random
    ) -> Counter[str]:
        invalid = round(rows * INVALID_SHARE)
        slots = ["new"] * (rows - invalid) + ["bad"] * invalid
        rng.shuffle(slots)
        houses = self.houses.setdefault(org.key, [])
        counts: Counter[str] = Counter()
        written: list[list[str]] = []
        for slot in slots:
            serial = len(houses) + counts["invalid"] + 1
            ref = f"{org.key}-{serial:06d}"
            code, spelled = self.community(rng)
            address = self.address(rng, "rental_agency")
            owner = self.id_number(OWNER_BASE + self.seed * 1000 + serial + (org.serial << 20))
            let_from = self.today - dt.timedelta(days=rng.randint(30, 5 * 365))
            let_until = let_from + dt.timedelta(days=365 * rng.randint(1, 3))
            rooms = rng.randint(1, 5)
            row = [
                ref,
                spelled,
                address,
                self.name(rng),
                owner,
                self.phone(rng),
                str(rooms),
                self.date_text(rng, let_from),
                let_until.isoformat(),
            ]
            if slot == "new":
                houses.append((ref, code, address))
                counts["new"] += 1
                writer.writerow(row)
                sidecar.write(
                    "\t".join(
                        (
                            org.key,
                            ref,
                            code,
                            address,
                            row[3],
                            owner,
                            row[5],
                            row[6],
                            let_from.isoformat(),
                            row[8],
                        )
                    )
                    + "\n"
                )
                if len(written) < 1000:
                    written.append(row)
                continue
            fault = rng.choice(HOUSE_INVALID)
            if fault == "duplicate" and not written:
                fault = "no_rooms"
            counts[f"invalid:{fault}"] += 1
            counts["invalid"] += 1
            if fault == "no_rooms":
                row[6] = "0"
            elif fault == "until_before_from":
                row[8] = (let_from - dt.timedelta(days=30)).isoformat()
            elif fault == "no_owner_id":
                row[4] = ""
            else:
                row = list(rng.choice(written))
            writer.writerow(row)
        return counts


def _scaled_plan(rows: int) -> list[tuple[str, str, int]]:
    plan = [(org, kind, max(10, round(n * rows / FULL_ROWS))) for org, kind, n in PLAN]
    org, kind, n = plan[-1]
    plan[-1] = (org, kind, n + rows - sum(p[2] for p in plan))
    return plan


def _today() -> dt.date:
    """The date in the city (Asia/Shanghai), as the validator's `timezone.localdate()` sees it."""
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date()


def dataset(seed: int, rows: int, cache_root: Path, fresh: bool = False) -> dict[str, Any]:
    """The files for (seed, rows), generated once; returns the manifest."""
    folder = cache_root / f"seed{seed}-rows{rows}-v{CACHE_VERSION}"
    manifest_path = folder / "manifest.json"
    if manifest_path.exists() and not fresh:
        manifest = json.loads(manifest_path.read_text())
        made = dt.date.fromisoformat(manifest["today"])
        if 0 <= (_today() - made).days <= 30:
            return dict(manifest)
        log(f"cached data of {made} is too old for the validator's one-year window; regenerating")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    today = _today()
    gen = Generator(seed, today, folder)
    plan = _scaled_plan(rows)
    people_rows = sum(n for _o, kind, n in plan if kind != "houses")
    total_updates = round(rows * UPDATE_SHARE)
    files: list[dict[str, Any]] = []
    # The earlier reports: per organisation as many people as its files will update.
    preload: list[dict[str, Any]] = []
    with (folder / "preload.tsv").open("w", encoding="utf-8") as sidecar:
        for org in ORGS:
            org_rows = sum(n for o, kind, n in plan if o == org.key and kind != "houses")
            count = max(1, round(total_updates * org_rows / people_rows))
            name = f"preload-{org.key}.csv"
            with (folder / name).open("w", encoding="utf-8-sig", newline="") as out:
                writer = csv.writer(out, lineterminator="\r\n")
                writer.writerow(PEOPLE_HEADER)
                gen.preload(org, count, writer, sidecar)
            preload.append({"name": name, "org": org.key, "rows": count, "invalid": 0})
    people_sidecar = (folder / "people.tsv").open("w", encoding="utf-8")
    houses_sidecar = (folder / "houses.tsv").open("w", encoding="utf-8")
    assigned = 0
    people_files = [p for p in plan if p[1] != "houses"]
    for number, (key, kind, count) in enumerate(plan, start=1):
        org = ORG_BY_KEY[key]
        rng = random.Random(f"{seed}-{number}-{key}-{kind}")
        suffix = ".xlsx" if kind == "xlsx" else ".csv"
        label = {"employer": "员工", "rental_agency": "租客"}[org.kind]
        name = f"{number:02d}-{key}-{'房屋' if kind == 'houses' else label}{suffix}"
        path = folder / name
        log(f"generating {name}: {count:,} rows")
        if kind == "houses":
            with path.open("w", encoding="utf-8-sig", newline="") as out:
                writer = csv.writer(out, lineterminator="\r\n")
                writer.writerow(HOUSES_HEADER)
                counts = gen.houses_file(org, count, writer, houses_sidecar, rng)
        else:
            if (key, kind, count) == people_files[-1]:
                updates = total_updates - assigned
            else:
                updates = round(total_updates * count / people_rows)
            assigned += updates
            if kind == "xlsx":
                counts = _write_xlsx(path, gen, org, count, updates, people_sidecar, rng)
            else:
                encoding = "gb18030" if kind == "csv-gbk" else "utf-8-sig"
                with path.open("w", encoding=encoding, newline="") as out:
                    writer = csv.writer(out, lineterminator="\r\n")
                    writer.writerow(PEOPLE_HEADER)
                    counts = gen.people_file(org, count, updates, writer, people_sidecar, rng)
        files.append(
            {
                "name": name,
                "org": key,
                "format": kind,
                "rows": count,
                "invalid": counts["invalid"],
                "counts": dict(counts),
                "bytes": path.stat().st_size,
            }
        )
    people_sidecar.close()
    houses_sidecar.close()
    manifest = {
        "version": CACHE_VERSION,
        "seed": seed,
        "rows": rows,
        "today": today.isoformat(),
        "folder": str(folder),
        "files": files,
        "preload": preload,
        "seconds": round(time.perf_counter() - started, 1),
    }
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    log(
        f"generated {rows:,} rows (+ {sum(p['rows'] for p in preload):,} preload) in "
        f"{manifest['seconds']:.0f} s in {folder}"
    )
    return manifest


def _write_xlsx(
    path: Path, gen: Generator, org: Org, count: int, updates: int, sidecar: Any, rng: random.Random
) -> Counter[str]:
    """An .xlsx written by openpyxl (shared strings, cell references, dates as styled serial
    numbers, as Excel writes them), ID numbers and phones as text."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("人员")
    sheet.append(PEOPLE_HEADER)

    class Rows:
        def writerow(self, row: list[str]) -> None:
            cells: list[Any] = list(row)
            text = cells[4]
            with contextlib.suppress(ValueError):
                if "/" in text:
                    y, m, d = (int(part) for part in text.split("/"))
                    cells[4] = dt.date(y, m, d)
                else:
                    cells[4] = dt.date.fromisoformat(text)
            sheet.append([c if c != "" else None for c in cells])

    counts = gen.people_file(org, count, updates, Rows(), sidecar, rng)
    workbook.save(path)
    return counts


# --- Inside a zone: set-up steps and the raw limit (run as `reporting.py _worker ROLE ARG`) ----


def _worker_register(spec: dict[str, Any]) -> dict[str, Any]:
    """Sign the organisations up (each by its contact, signed in as a resident), add clerks as
    members and give each clerk a session, as a sign-in leaves it."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    from onetrip.portal.accounts.auth import SESSION_KEY
    from onetrip.portal.accounts.models import Resident
    from onetrip.portal.accounts.services import phone_hash_of
    from onetrip.portal.reporting.models import MemberRole, OrganisationMember
    from onetrip.portal.reporting.services import (
        OrganisationInput,
        member_add,
        organisation_register,
    )

    def resident(phone: str) -> Resident:
        found, _ = Resident.objects.get_or_create(
            phone_hash=phone_hash_of(phone), defaults={"phone": phone}
        )
        return found

    for org in spec["orgs"]:
        organisation_register(
            resident=resident(org["phone"]),
            data=OrganisationInput(
                credit_code=org["credit_code"],
                name=org["name"],
                kind=org["kind"],
                district_code=org["district"],
                address=org["address"],
                contact_name=org["contact"],
            ),
        )
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    sessions = {}
    for clerk in spec.get("clerks", []):
        admin = OrganisationMember.objects.get(
            organisation__credit_code=clerk["credit_code"], role=MemberRole.ADMIN
        )
        member_add(admin=admin, phone=clerk["phone"], name=clerk["name"], role=MemberRole.CLERK)
        session = store()
        session[SESSION_KEY] = str(resident(clerk["phone"]).pk)
        session.create()
        sessions[clerk["phone"]] = session.session_key
    return {"sessions": sessions}


def _worker_approve(spec: dict[str, Any]) -> dict[str, Any]:
    """The city administrator approves every organisation (`load_demo_staff`'s city_admin)."""
    from django.contrib.auth import get_user_model

    from onetrip.police.reporting.services import organisation_decide

    user = get_user_model().objects.get(username="city_admin")
    for code in spec["credit_codes"]:
        organisation_decide(user=user, credit_code=code, decision="approved")
    return {"approved": len(spec["credit_codes"])}


def _worker_imports(spec: dict[str, Any]) -> dict[str, Any]:
    """Keep each file as an upload does (`import_create`), without queueing its reading."""
    from onetrip.portal.reporting.models import ImportSource, Organisation
    from onetrip.portal.reporting.services import import_create

    references = []
    for item in spec["files"]:
        path = Path(item["path"])
        organisation = Organisation.objects.get(credit_code=item["credit_code"])
        report_import, created = import_create(
            organisation=organisation,
            source=ImportSource.COMMAND,
            filename=path.name,
            content=path.read_bytes(),
            run=False,
        )
        assert created, f"{path.name} was imported before"
        references.append(report_import.reference)
    return {"references": references}


def _worker_enqueue(spec: dict[str, Any]) -> dict[str, Any]:
    """What an upload's commit does: queue the reading of each import, in this order."""
    from onetrip.portal.reporting.tasks import import_run_task

    for reference in spec["references"]:
        import_run_task.enqueue(reference)
    return {"queued": len(spec["references"])}


def _worker_register_counts(spec: dict[str, Any]) -> dict[str, Any]:
    from onetrip.police.reporting.models import (
        PersonSource,
        RentalHouse,
        ReportConflict,
        ReportedPerson,
        ReportedStay,
    )

    return {
        "persons": ReportedPerson.objects.count(),
        "stays": ReportedStay.objects.count(),
        "open_stays": ReportedStay.objects.filter(ended_on__isnull=True).count(),
        "houses": RentalHouse.objects.count(),
        "sources": PersonSource.objects.count(),
        "conflicts": ReportConflict.objects.count(),
    }


RAW_PERSON = ("id_hash", "name", "id_number", "phone", "details_hash", "sex", "birth_date")
RAW_STAGE = (
    *RAW_PERSON,
    "org",
    "event",
    "relation",
    "started_on",
    "community_code",
    "address_detail",
    "address_hash",
)
RAW_HOUSE = (
    "organisation_id",
    "house_ref",
    "community_code",
    "address_detail",
    "owner_name",
    "owner_id_number",
    "owner_id_hash",
    "owner_phone",
    "rooms",
    "let_from",
    "let_until",
    "row_hash",
)


def _raw_rows(folder: Path, name: str) -> list[tuple[str, ...]]:
    """The staging rows of a people sidecar, hashed as the register hashes (before timing)."""
    from onetrip.common.crypto import lookup_hash

    orgs = {o.key: n for n, o in enumerate(ORGS, start=1)}
    rows: list[tuple[str, ...]] = []
    with (folder / name).open(encoding="utf-8") as handle:
        for line in handle:
            org, event, relation, name_, ident, phone, day, community, address = line.rstrip(
                "\n"
            ).split("\t")
            rows.append(
                (
                    lookup_hash(ident, purpose="id_number"),
                    name_,
                    ident,
                    phone,
                    lookup_hash(f"{name_}\x00{phone}", purpose="reported_person"),
                    "M" if int(ident[16]) % 2 else "F",
                    f"{ident[6:10]}-{ident[10:12]}-{ident[12:14]}",
                    str(orgs[org]),
                    event,
                    relation,
                    day,
                    community,
                    address,
                    lookup_hash(f"{community}\x00{address}", purpose="reported_address"),
                )
            )
    return rows


def _raw_houses(folder: Path) -> list[tuple[str, ...]]:
    from onetrip.common.crypto import lookup_hash

    orgs = {o.key: n for n, o in enumerate(ORGS, start=1)}
    rows: list[tuple[str, ...]] = []
    with (folder / "houses.tsv").open(encoding="utf-8") as handle:
        for line in handle:
            org, ref, community, address, owner, owner_id, phone, rooms, start, until = line.rstrip(
                "\n"
            ).split("\t")
            rows.append(
                (
                    str(orgs[org]),
                    ref,
                    community,
                    address,
                    owner,
                    owner_id,
                    lookup_hash(owner_id, purpose="id_number"),
                    phone,
                    rooms,
                    start,
                    until,
                    lookup_hash(line, purpose="reported_house"),
                )
            )
    return rows


def _copy_text(rows: list[tuple[str, ...]]) -> bytes:
    """COPY's text format (the data holds no tab, newline or backslash)."""
    return "".join("\t".join(r) + "\n" for r in rows).encode()


_PERSON_UPSERT = (
    "INSERT INTO raw_person (id_hash, name, id_number, phone, details_hash, sex, birth_date, "
    "first_reported_at, last_reported_at) "
    "SELECT {distinct} id_hash, name, id_number, phone, details_hash, sex, birth_date, {now}, "
    "{now} FROM raw_stage {where} "
    "ON CONFLICT (id_hash) DO UPDATE SET name = excluded.name, phone = excluded.phone, "
    "details_hash = excluded.details_hash, last_reported_at = excluded.last_reported_at"
)
_HOUSE_UPSERT = (
    "INSERT INTO raw_house (organisation_id, house_ref, community_code, station_id, "
    "address_detail, owner_name, owner_id_number, owner_id_hash, owner_phone, rooms, let_from, "
    "let_until, row_hash, import_reference, row, first_reported_at, last_reported_at) "
    "SELECT organisation_id, house_ref, community_code, 1, address_detail, owner_name, "
    "owner_id_number, owner_id_hash, owner_phone, rooms, let_from, let_until, row_hash, 'RAW', "
    "1, {now}, {now} FROM raw_house_stage {where} "
    "ON CONFLICT (organisation_id, house_ref) DO UPDATE SET community_code = "
    "excluded.community_code, address_detail = excluded.address_detail, owner_name = "
    "excluded.owner_name, owner_phone = excluded.owner_phone, rooms = excluded.rooms, "
    "let_until = excluded.let_until, row_hash = excluded.row_hash, last_reported_at = "
    "excluded.last_reported_at"
)
_STAY_INSERT = (
    "INSERT INTO raw_stay (person_id, organisation_id, relation, house_ref, community_code, "
    "station_id, address_detail, address_hash, started_on, reported_at, due_on, late, "
    "import_reference, row, ended_late, ended_import_reference) "
    "SELECT p.id, s.org, s.relation, '', s.community_code, 1, s.address_detail, s.address_hash, "
    "s.started_on, {now}, s.started_on, {false}, 'RAW', 1, {false}, '' "
    "FROM raw_stage s JOIN raw_person p ON p.id_hash = s.id_hash WHERE s.event = 'arrived' "
    "ON CONFLICT (organisation_id, person_id, relation, started_on) DO NOTHING"
)
_STAY_CLOSE = (
    "UPDATE raw_stay SET ended_on = s.started_on, ended_reported_at = {now}, ended_due_on = "
    "s.started_on, ended_import_reference = 'RAW', ended_row = 1 "
    "FROM raw_stage s JOIN raw_person p ON p.id_hash = s.id_hash "
    "WHERE s.event = 'left' AND raw_stay.person_id = p.id AND raw_stay.organisation_id = s.org "
    "AND raw_stay.relation = s.relation AND raw_stay.ended_on IS NULL"
)


def _worker_raw(spec: dict[str, Any]) -> dict[str, Any]:
    """The raw limit (module doc, `raw`): the preload untimed, then the timed rows."""
    from django.db import connection

    folder = Path(spec["folder"])
    tables = {
        "raw_person": "police_reporting_reportedperson",
        "raw_house": "police_reporting_rentalhouse",
        "raw_stay": "police_reporting_reportedstay",
    }
    dates = ("birth_date", "started_on", "let_from", "let_until")
    integers = ("org", "organisation_id", "rooms")

    def typed(column: str) -> str:
        return (
            f"{column} {'date' if column in dates else 'integer' if column in integers else 'text'}"
        )

    stage_types = ", ".join(typed(c) for c in RAW_STAGE)
    house_types = ", ".join(typed(c) for c in RAW_HOUSE)
    preload = _raw_rows(folder, "preload.tsv")
    people = _raw_rows(folder, "people.tsv")
    houses = _raw_houses(folder)
    postgres = connection.vendor == "postgresql"
    out: dict[str, Any] = {"people": len(people), "houses": len(houses), "preload": len(preload)}
    with connection.cursor() as cursor:
        if postgres:
            for copy, source in tables.items():
                cursor.execute(f"CREATE TABLE {copy} (LIKE {source} INCLUDING ALL)")
        else:
            for copy, source in tables.items():
                for (sql,) in cursor.execute(
                    "SELECT sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL "
                    "ORDER BY type DESC",
                    [source],
                ).fetchall():
                    sql = sql.replace(f'"{source}"', f'"{copy}"')
                    sql = re.sub(r'(INDEX\s+")([^"]+)"', rf'\1{copy}_\2"', sql)
                    sql = re.sub(
                        r"REFERENCES\s+\"[^\"]+\"\s*\(\"id\"\)( DEFERRABLE INITIALLY "
                        r"DEFERRED)?",
                        "",
                        sql,
                    )
                    cursor.execute(sql)

    def load(rows: list[tuple[str, ...]], house_rows: list[tuple[str, ...]]) -> dict[str, float]:
        """Staging and the person and house upserts in one transaction, timed; then the stays in
        a second one, timed apart. Returns seconds."""
        people_data, house_data = _copy_text(rows), _copy_text(house_rows)
        stage = f"CREATE TEMP TABLE raw_stage ({stage_types}{', n bigserial' if postgres else ''})"
        house_stage = f"CREATE TEMP TABLE raw_house_stage ({house_types})"
        timings: dict[str, float] = {}
        with connection.cursor() as cursor:
            if postgres:
                pg = cursor.connection
                started = time.perf_counter()
                with pg.transaction(), pg.cursor() as c:
                    c.execute(stage)
                    c.execute(house_stage)
                    with c.copy(f"COPY raw_stage ({', '.join(RAW_STAGE)}) FROM STDIN") as copy:
                        for at in range(0, len(people_data), 1 << 20):
                            copy.write(people_data[at : at + (1 << 20)])
                    with c.copy(
                        f"COPY raw_house_stage ({', '.join(RAW_HOUSE)}) FROM STDIN"
                    ) as copy:
                        copy.write(house_data)
                    c.execute("ANALYZE raw_stage")
                    c.execute("ANALYZE raw_house_stage")
                    timings["copy"] = time.perf_counter() - started
                    c.execute(
                        _PERSON_UPSERT.format(
                            distinct="DISTINCT ON (id_hash)",
                            now="now()",
                            where="ORDER BY id_hash, n DESC",
                        )
                    )
                    c.execute(_HOUSE_UPSERT.format(now="now()", where=""))
                timings["total"] = time.perf_counter() - started
                started = time.perf_counter()
                with pg.transaction(), pg.cursor() as c:
                    # Fresh statistics, or the planner takes the tables just loaded for empty.
                    c.execute("ANALYZE raw_person")
                    c.execute("ANALYZE raw_stay")
                    c.execute(_STAY_INSERT.format(now="now()", false="false"))
                    c.execute("ANALYZE raw_stay")
                    c.execute(_STAY_CLOSE.format(now="now()"))
                    c.execute("DROP TABLE raw_stage")
                    c.execute("DROP TABLE raw_house_stage")
                timings["stays"] = time.perf_counter() - started
            else:
                now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
                raw = connection.connection
                started = time.perf_counter()
                raw.execute("BEGIN IMMEDIATE")
                raw.execute(stage)
                raw.execute(house_stage)
                marks = ", ".join("?" * len(RAW_STAGE))
                raw.executemany(f"INSERT INTO raw_stage VALUES ({marks})", rows)  # noqa: S608
                marks = ", ".join("?" * len(RAW_HOUSE))
                raw.executemany(f"INSERT INTO raw_house_stage VALUES ({marks})", house_rows)  # noqa: S608
                raw.execute("ANALYZE raw_stage")
                timings["copy"] = time.perf_counter() - started
                raw.execute(
                    _PERSON_UPSERT.format(
                        distinct="",
                        now=now,
                        where="WHERE rowid IN (SELECT max(rowid) FROM raw_stage GROUP BY id_hash)",
                    )
                )
                raw.execute(_HOUSE_UPSERT.format(now=now, where="WHERE true"))
                raw.execute("COMMIT")
                timings["total"] = time.perf_counter() - started
                started = time.perf_counter()
                raw.execute("BEGIN IMMEDIATE")
                raw.execute("ANALYZE raw_person")
                raw.execute(_STAY_INSERT.format(now=now, false="0"))
                raw.execute("ANALYZE raw_stay")
                raw.execute(_STAY_CLOSE.format(now=now))
                raw.execute("DROP TABLE raw_stage")
                raw.execute("DROP TABLE raw_house_stage")
                raw.execute("COMMIT")
                timings["stays"] = time.perf_counter() - started
        return timings

    out["preload_timings"] = load(preload, [])
    out["timings"] = load(people, houses)
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            out[f"{table}_rows"] = cursor.fetchone()[0]
    return out


WORKERS = {
    "register": _worker_register,
    "approve": _worker_approve,
    "imports": _worker_imports,
    "enqueue": _worker_enqueue,
    "register-counts": _worker_register_counts,
    "raw": _worker_raw,
}


def worker_main(role: str, spec_json: str) -> None:
    import django

    django.setup()
    spec = json.loads(Path(spec_json).read_text()) if spec_json.endswith(".json") else {}
    print("RESULT " + json.dumps(WORKERS[role](spec), ensure_ascii=False), flush=True)


# --- Processes ---------------------------------------------------------------------------------


def load_average() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of one process, 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident set) of one process, in MB."""
    out = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1]) // 1024
    return out


def run_worker(env: dict[str, str], root: Path, role: str, spec: dict[str, Any]) -> dict[str, Any]:
    """One of this script's workers with `env` (a zone's settings); its result."""
    path = root / f"spec-{role}-{time.monotonic_ns()}.json"
    path.write_text(json.dumps(spec, ensure_ascii=False))
    env = {**env, "ONETRIP_LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [PY, str(Path(__file__).resolve()), "_worker", role, str(path)],
        cwd=REPO,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    path.unlink()
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[7:]))
    raise RuntimeError(f"{role}: no result in {done.stdout[-2000:]}")


def db_query(
    stack: str, database: str | None, sqlite_path: Path, sql: str
) -> list[tuple[Any, ...]]:
    """Rows from a zone's database, read outside the processes under test."""
    if stack == "postgres":
        import psycopg

        with psycopg.connect(f"{PG_BASE}/{database}", autocommit=True) as db:
            return list(db.execute(sql).fetchall())
    lite = sqlite3.connect(sqlite_path, timeout=30)
    try:
        return list(lite.execute(sql).fetchall())
    finally:
        lite.close()


@dataclass
class Zones:
    """Both zones' settings for one run: a temporary ONETRIP_VAR_DIR (SQLite files, ferry
    directory, keys, files) and, on PostgreSQL, databases of their own."""

    stack: str  # postgres | sqlite
    root: Path
    tag: str
    dbs: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)

    def create_databases(self, *zones: str) -> None:
        if self.stack != "postgres":
            return
        for zone in zones:
            name = f"{DB_PREFIX}_{self.tag}_{zone}"
            pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
            pg_admin(f'CREATE DATABASE "{name}"')
            self.dbs[zone] = name

    def env(self, zone: str | None = None) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ONETRIP_", "DJANGO_SETTINGS_MODULE"))
        }
        env.update(
            ONETRIP_VAR_DIR=str(self.root / "var"),
            # Nothing here sends an SMS; never reach a gateway someone else runs.
            ONETRIP_SMS_GATEWAY_URL="http://127.0.0.1:9",
            PYTHONUNBUFFERED="1",
            **self.extra_env,
        )
        for name, db in self.dbs.items():
            env[f"ONETRIP_{name.upper()}_DATABASE_URL"] = f"{PG_BASE}/{db}"
        if zone is not None:
            env["DJANGO_SETTINGS_MODULE"] = f"onetrip.settings.{zone}"
        return env

    def onetrip(self, zone: str, *args: str, quiet: bool = True) -> None:
        subprocess.run(
            [ONETRIP, "--zone", zone, *args],
            cwd=REPO,
            env=self.env(),
            check=True,
            stdout=subprocess.DEVNULL if quiet else None,
        )

    def run(self, zone: str, role: str, spec: dict[str, Any]) -> dict[str, Any]:
        return run_worker(self.env(zone), self.root, role, spec)

    def start(self, name: str, zone: str, args: list[str], profile: Path | None = None) -> None:
        cmd = [ONETRIP, "--zone", zone, *args]
        if profile is not None:
            cmd = [PY, "-m", "cProfile", "-o", str(profile), "-m", "onetrip.cli", *cmd[1:]]
        self.logs[name] = self.root / f"{name}.log"
        with self.logs[name].open("wb") as out:
            self.procs[name] = subprocess.Popen(
                cmd,
                cwd=REPO,
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self, timeout: float = 120) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()

    def query(self, zone: str, sql: str) -> list[tuple[Any, ...]]:
        return db_query(self.stack, self.dbs.get(zone), self.root / "var" / f"{zone}.sqlite3", sql)

    def backend_pids(self) -> dict[int, str]:
        """The PostgreSQL server processes serving this run's databases: pid → zone."""
        if self.stack != "postgres" or not self.dbs:
            return {}
        zone_of = {db: zone for zone, db in self.dbs.items()}
        names = ", ".join(f"'{n}'" for n in self.dbs.values())
        rows = self.query(
            next(iter(self.dbs)),
            f"SELECT pid, datname FROM pg_stat_activity WHERE datname IN ({names})",  # noqa: S608
        )
        return {int(pid): zone_of[name] for pid, name in rows}

    def analyze(self) -> None:
        """What autovacuum's analyze would have done by now (the CI server runs without it)."""
        import psycopg

        for database in self.dbs.values():
            with psycopg.connect(f"{PG_BASE}/{database}", autocommit=True) as db:
                db.execute("ANALYZE")

    def teardown(self, keep: bool) -> None:
        self.stop()
        if keep:
            log(f"kept {self.root} {self.dbs or ''}")
            return
        for name in self.dbs.values():
            with contextlib.suppress(Exception):
                pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(self.root, ignore_errors=True)


# --- Phases ------------------------------------------------------------------------------------


def raw_phase(stack: str, manifest: dict[str, Any], root: Path, keep: bool) -> dict[str, Any]:
    zones = Zones(stack, root / "raw", "raw")
    (zones.root / "var").mkdir(parents=True)
    try:
        zones.create_databases("police")
        log(f"{stack} raw: migrate a police database of its own")
        zones.onetrip("police", "migrate", "--no-input", "-v", "0")
        log(f"{stack} raw: COPY + INSERT … ON CONFLICT of the preload (untimed), then the rows")
        result = zones.run("police", "raw", {"folder": manifest["folder"]})
    finally:
        zones.teardown(keep)
    rows = result["people"] + result["houses"]
    t = result["timings"]
    result["rows"] = rows
    result["rate"] = rows / t["total"]
    result["rate_with_stays"] = rows / (t["total"] + t["stays"])
    log(
        f"{stack} raw: {rows:,} rows ({result['people']:,} people, {result['houses']:,} houses) "
        f"in {t['total']:.1f} s (staging {t['copy']:.1f} s) = {result['rate']:,.0f} rows/s; "
        f"stays {t['stays']:.1f} s more → {result['rate_with_stays']:,.0f} rows/s"
    )
    return result


def org_spec(org: Org) -> dict[str, str]:
    return {
        "credit_code": org.credit_code,
        "name": org.name,
        "kind": org.kind,
        "district": org.district,
        "address": f"杭州市{ROADS[org.serial % len(ROADS)]}{org.serial * 7}号",
        "contact": org.contact,
        "phone": org.phone,
    }


def wait_for(what: str, check: Any, timeout: float = 300, every: float = 0.5) -> float:
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > timeout:
            raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)
    return time.monotonic() - began


def approve(
    run: Any, query: Any, orgs: list[Org], clerks: list[dict[str, str]] | None = None
) -> dict[str, str]:
    """Sign `orgs` up on the portal, wait for the ferry, approve them on the police side, wait for
    the decision to come back; returns the clerks' sessions."""
    codes = [o.credit_code for o in orgs]
    listed = ", ".join(f"'{c}'" for c in codes)
    sessions = run(
        "portal", "register", {"orgs": [org_spec(o) for o in orgs], "clerks": clerks or []}
    )["sessions"]
    seconds = wait_for(
        "the sign-ups at the police",
        lambda: (
            query(
                "police",
                "SELECT count(*) FROM police_reporting_reportingorganisation "  # noqa: S608
                f"WHERE credit_code IN ({listed})",
            )[0][0]
            == len(codes)
        ),
    )
    log(f"  {len(codes)} sign-ups at the police {seconds:.1f} s after organisation_register")
    run("police", "approve", {"credit_codes": codes})
    seconds = wait_for(
        "the approvals on the portal",
        lambda: (
            query(
                "portal",
                "SELECT count(*) FROM portal_reporting_organisation "  # noqa: S608
                f"WHERE status = 'approved' AND credit_code IN ({listed})",
            )[0][0]
            == len(codes)
        ),
    )
    log(f"  approved by the city administrator; on the portal {seconds:.1f} s later")
    return dict(sessions)


IMPORT_COLUMNS = (
    "reference",
    "status",
    "rows_read",
    "rows_valid",
    "rows_rejected",
    "rows_applied",
    "rows_unchanged",
    "rows_conflicts",
    "rows_refused",
    "chunks_sent",
    "chunks_applied",
    "filename",
)


def imports_state(query: Any, references: list[str]) -> list[dict[str, Any]]:
    listed = ", ".join(f"'{r}'" for r in references)
    rows = query(
        "portal",
        f"SELECT {', '.join(IMPORT_COLUMNS)} FROM portal_reporting_reportimport "  # noqa: S608
        f"WHERE reference IN ({listed})",
    )
    return [dict(zip(IMPORT_COLUMNS, r, strict=True)) for r in rows]


@dataclass
class Monitor:
    """What the run did, sampled every second from the outside."""

    t0: float
    first_applied: float | None = None
    read_done: float | None = None
    done: float | None = None
    xlsx_read: float | None = None
    xlsx_peak_mb: dict[str, int] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    backends: dict[int, float] = field(default_factory=dict)
    backends_at_start: dict[int, float] = field(default_factory=dict)
    backend_zone: dict[int, str] = field(default_factory=dict)
    peak_mb: dict[str, int] = field(default_factory=dict)
    analyzed: int = 0

    def backend_seconds(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for pid, used in self.backends.items():
            zone = self.backend_zone[pid]
            out[zone] = out.get(zone, 0.0) + used - self.backends_at_start.get(pid, 0.0)
        return out


def pipeline_wait(
    zones: Zones,
    references: list[str],
    xlsx: str | None,
    monitor: Monitor,
    label: str,
    timeout: float,
) -> list[dict[str, Any]]:
    """Until every import is DONE (or refused), sampling progress, CPU and memory."""
    last_log = last_change = last_analyze = time.monotonic()
    analyzing: threading.Thread | None = None
    last_key: tuple[int, int] = (-1, -1)
    total_rows = 0
    while True:
        time.sleep(1.0)
        now = time.monotonic()
        state = imports_state(zones.query, references)
        for name, proc in zones.procs.items():
            monitor.cpu[name] = max(monitor.cpu.get(name, 0.0), proc_cpu(proc.pid))
            if name.startswith("worker"):
                memory = proc_memory(proc.pid)
                if memory:
                    monitor.peak_mb[name] = max(monitor.peak_mb.get(name, 0), memory["VmHWM"])
        for pid, zone in zones.backend_pids().items():
            used = proc_cpu(pid)
            monitor.backend_zone[pid] = zone
            monitor.backends_at_start.setdefault(pid, used)
            monitor.backends[pid] = max(monitor.backends.get(pid, 0.0), used)
        if (
            zones.stack == "postgres"
            and now - last_analyze >= ANALYZE_EVERY
            and not (analyzing is not None and analyzing.is_alive())
        ):
            last_analyze = now
            monitor.analyzed += 1
            analyzing = threading.Thread(target=zones.analyze, daemon=True)
            analyzing.start()
        statuses = [s["status"] for s in state]
        read = sum(s["rows_read"] for s in state)
        applied_chunks = sum(s["chunks_applied"] for s in state)
        total_rows = sum(s["rows_applied"] + s["rows_unchanged"] + s["rows_refused"] for s in state)
        if applied_chunks and monitor.first_applied is None:
            monitor.first_applied = now - monitor.t0
        if xlsx and monitor.xlsx_read is None:
            for s in state:
                if s["filename"] == xlsx and s["status"] not in ("queued", "reading"):
                    monitor.xlsx_read = now - monitor.t0
                    monitor.xlsx_peak_mb = {
                        n: proc_memory(p.pid).get("VmHWM", 0)
                        for n, p in zones.procs.items()
                        if n.startswith("worker")
                    }
        if monitor.read_done is None and all(s not in ("queued", "reading") for s in statuses):
            monitor.read_done = now - monitor.t0
        if (read, applied_chunks) != last_key:
            last_key, last_change = (read, applied_chunks), now
        if now - last_log >= 30:
            last_log = now
            elapsed = now - monitor.t0
            log(
                f"  {label} {elapsed:6.0f} s: read {read:,} ({read / elapsed:,.0f}/s), "
                f"answered {total_rows:,} ({total_rows / elapsed:,.0f}/s), chunks "
                f"{applied_chunks:,}/{sum(s['chunks_sent'] for s in state):,}, "
                f"{Counter(statuses)}; worker RSS "
                + ", ".join(
                    f"{proc_memory(p.pid).get('VmRSS', 0)} MB"
                    for n, p in zones.procs.items()
                    if n.startswith("worker")
                )
                + f"; load {load_average()}"
            )
        if all(s in ("done", "refused") for s in statuses) and len(state) == len(references):
            monitor.done = now - monitor.t0
            if analyzing is not None:
                analyzing.join()
            return state
        if now - last_change > 600 or now - monitor.t0 > timeout:
            for name, path in zones.logs.items():
                tail = path.read_text(errors="replace")[-3000:] if path.exists() else ""
                print(f"--- {name} ---\n{tail}", flush=True)
            raise SystemExit(f"{label}: no progress for 10 minutes (or over {timeout:.0f} s)")
        for name, proc in zones.procs.items():
            if proc.poll() is not None:
                raise SystemExit(f"{name} exited with {proc.returncode}; see {zones.logs[name]}")


def start_processes(zones: Zones, workers: int, profile_dir: Path | None) -> None:
    """The processes of `onetrip up` that carry an import: both agents and the reporting
    worker(s), with the same commands (devserver.services)."""

    def prof(name: str) -> Path | None:
        return profile_dir / f"{name}.prof" if profile_dir is not None else None

    zones.start("ferry-portal", "portal", ["ferry", "run"], prof("ferry-portal"))
    zones.start("ferry-police", "police", ["ferry", "run"], prof("ferry-police"))
    for n in range(1, workers + 1):
        zones.start(
            f"worker-reporting-{n}",
            "portal",
            ["db_worker", "--queue-name", "reporting", "--interval", "0.5", "--no-reload"],
            prof(f"worker-reporting-{n}"),
        )


def pipeline_phase(
    stack: str, manifest: dict[str, Any], root: Path, args: argparse.Namespace
) -> dict[str, Any]:
    zones = Zones(stack, root / "pipeline", "e2e")
    if args.ferry_batch_max:
        zones.extra_env["ONETRIP_FERRY_BATCH_MAX"] = str(args.ferry_batch_max)
    (zones.root / "var").mkdir(parents=True)
    folder = Path(manifest["folder"])
    profile_dir = args.profile_dir / stack if args.profile else None
    if profile_dir is not None:
        shutil.rmtree(profile_dir, ignore_errors=True)
        profile_dir.mkdir(parents=True)
    result: dict[str, Any] = {
        "stack": stack,
        "workers": args.reporting_workers,
        "batch_max": args.ferry_batch_max or "settings' default",
    }
    try:
        zones.create_databases("portal", "police")
        log(f"{stack} pipeline: keys, migrations, reference data, demo staff (as make up)")
        for zone in ("portal", "police"):
            zones.onetrip(zone, "ferry", "keygen")
        for zone in ("portal", "police"):
            zones.onetrip(zone, "migrate", "--no-input", "-v", "0")
            zones.onetrip(zone, "createcachetable")
        zones.onetrip("police", "load_reference")
        zones.onetrip("police", "load_demo_staff")
        start_processes(zones, args.reporting_workers, None)
        log(f"{stack} pipeline: {len(ORGS)} organisations sign up and are approved")
        approve(zones.run, zones.query, list(ORGS))

        # The earlier reports, untimed.
        preload = [
            {"path": str(folder / p["name"]), "credit_code": ORG_BY_KEY[p["org"]].credit_code}
            for p in manifest["preload"]
        ]
        references = zones.run("portal", "imports", {"files": preload})["references"]
        began = time.monotonic()
        zones.run("portal", "enqueue", {"references": references})
        rows = sum(p["rows"] for p in manifest["preload"])
        log(f"{stack} pipeline: preload pass, {rows:,} rows in {len(references)} imports")
        pipeline_wait(zones, references, None, Monitor(began), "preload", args.timeout)
        seconds = time.monotonic() - began
        result["preload"] = {"rows": rows, "seconds": seconds}
        log(f"  preload done in {seconds:.1f} s ({rows / seconds:,.0f} rows/s)")
        # Fresh processes for the timed run: each one's CPU, peak memory and profile its own.
        zones.stop()
        zones.analyze()
        # The uploads, untimed: each file kept (encrypted) as an upload keeps it.
        timed = [
            {"path": str(folder / f["name"]), "credit_code": ORG_BY_KEY[f["org"]].credit_code}
            for f in manifest["files"]
        ]
        log(f"{stack} pipeline: keeping {len(timed)} files as uploads (untimed)")
        references = zones.run("portal", "imports", {"files": timed})["references"]
        start_processes(zones, args.reporting_workers, profile_dir)
        time.sleep(3)
        xlsx = next((f["name"] for f in manifest["files"] if f["format"] == "xlsx"), None)
        rows = sum(f["rows"] for f in manifest["files"])
        log(
            f"{stack} pipeline: t0 — {rows:,} rows in {len(references)} imports queued "
            f"({args.reporting_workers} reporting worker(s)); load {load_average()}"
        )
        busy0, total0 = cpu_times()
        monitor = Monitor(time.monotonic())
        zones.run("portal", "enqueue", {"references": references})
        state = pipeline_wait(zones, references, xlsx, monitor, "timed", args.timeout)
        busy1, total1 = cpu_times()
        result["load_end"] = load_average()
        log(f"{stack} pipeline: every import DONE at {monitor.done:.1f} s; load {load_average()}")
        result.update(
            rows=rows,
            seconds=monitor.done,
            monitor=monitor,
            imports=state,
            busy=(busy1 - busy0) / (total1 - total0) if total1 > total0 else float("nan"),
        )
        result["register"] = zones.run("police", "register-counts", {})
        zones.stop()
        if profile_dir is not None:
            result["profiles"] = {p.stem: p for p in sorted(profile_dir.glob("*.prof"))}
            print_profiles(result["profiles"], args.profile_lines)
    finally:
        zones.teardown(args.keep)
    return result


def print_profiles(profiles: dict[str, Path], lines: int) -> None:
    for name, path in profiles.items():
        if not path.exists():
            print(f"\n  (no profile for {name})")
            continue
        text = io.StringIO()
        stats = pstats.Stats(str(path), stream=text)
        stats.sort_stats("tottime").print_stats(lines)
        stats.sort_stats("cumulative").print_stats(lines)
        kept = path.with_suffix(".txt")
        kept.write_text(text.getvalue())
        print(f"\n  cProfile of {name} (total {stats.total_tt:.1f} s; by own time):")  # type: ignore[attr-defined]
        body = text.getvalue().split("ncalls", 2)[1].splitlines()[1 : lines + 1]
        for line in body:
            print("   " + line.rstrip()[:150])
        print(f"\n  cProfile of {name} (cumulative):")
        body = text.getvalue().split("ncalls", 2)[2].splitlines()[1 : lines + 1]
        for line in body:
            print("   " + line.rstrip()[:150])


# --- Load: clerks uploading through the pages of `onetrip up` -----------------------------------

LOAD_ORGS = tuple(
    Org(
        f"L{n}",
        f"杭州示例{name}有限公司",
        "employer",
        district,
        100 + n,
        contact,
        f"1375712{n:04d}",
    )
    for n, (name, district, contact) in enumerate(
        (
            ("鼎盛机械制造", "330110", "方卫东"),
            ("华美服饰", "330109", "何丽萍"),
            ("顺通快递服务", "330105", "许文涛"),
            ("绿源保洁", "330102", "邓小梅"),
            ("金桥建筑劳务", "330106", "曾国平"),
            ("鲜丰果业", "330108", "彭晓峰"),
            ("云帆网络科技", "330106", "蒋婷"),
            ("新世纪酒店管理", "330102", "蔡建明"),
            ("恒通汽车配件", "330113", "余海燕"),
            ("百味食品", "330114", "杜志华"),
        ),
        start=1,
    )
)


class UpStack(Stack):
    """`onetrip up` on spare ports (its simulators too), without portal.py's ceiling server."""

    courier_port: int = 0

    def env(self) -> dict[str, str]:
        if not self.courier_port:
            self.courier_port = free_port()
        return {**super().env(), "ONETRIP_COURIER_PORT": str(self.courier_port)}

    def start(self) -> str:  # type: ignore[override]
        self.ports = {name: free_port() for name in ("portal", "police", "sms")}
        if self.name == "postgres":
            self.dbs = {zone: f"{DB_PREFIX}_up_{zone}" for zone in ("portal", "police")}
            for name in self.dbs.values():
                pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
                pg_admin(f'CREATE DATABASE "{name}"')
        with (self.root / "up.log").open("wb") as out:
            up = subprocess.Popen(
                [ONETRIP, "up"],
                cwd=REPO,
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append(up)
        portal = f"http://127.0.0.1:{self.ports['portal']}"
        wait_http(portal + "/", 300, up)
        wait_http(f"http://127.0.0.1:{self.ports['police']}/login/", 60, up)
        wait_http(f"http://127.0.0.1:{self.ports['sms']}/", 60, up)
        return portal

    def zone_env(self, zone: str) -> dict[str, str]:
        return {**self.env(), "DJANGO_SETTINGS_MODULE": f"onetrip.settings.{zone}"}

    def query(self, zone: str, sql: str) -> list[tuple[Any, ...]]:
        return db_query(self.name, self.dbs.get(zone), self.root / "var" / f"{zone}.sqlite3", sql)


class Browser:
    """One clerk's browser: a keep-alive HTTP/1.1 connection and a cookie jar."""

    IDLE_SECONDS = 1.5  # gunicorn closes keep-alive connections idle for 2 s

    def __init__(self, base_url: str, cookies: dict[str, str]) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.cookies = dict(cookies)
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
        self, method: str, path: str, *, data: bytes = b"", content_type: str = ""
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is not None and time.monotonic() - self.used_at > self.IDLE_SECONDS:
            await self.close()
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Accept-Language: zh-CN,zh;q=0.9",
        ]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if data or method == "POST":
            lines += [f"Content-Type: {content_type}", f"Content-Length: {len(data)}"]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + data)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            await self.close()
            raise ConnectionError("the server closed the connection")
        version, status = status_line.split(b" ", 2)[:2]
        headers: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie, _, _ = value.partition(";")
                key, _, val = cookie.partition("=")
                self.cookies[key.strip()] = val.strip()
            headers[name] = value
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        self.used_at = time.monotonic()
        if version == b"HTTP/1.0" or headers.get("connection", "").lower() == "close":
            await self.close()
        return int(status), headers, body


@dataclass
class Clerk:
    number: int
    org: Org
    phone: str
    name: str
    session: str = ""
    file: bytes = b""
    invalid: int = 0
    reference: str = ""
    done_after: float | None = None


CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
IMPORT_RE = re.compile(r"/imports/([A-Z0-9]+)/")


def clerk_files(clerks: list[Clerk], rows: int, seed: int) -> None:
    gen = Generator(seed, _today(), Path(tempfile.gettempdir()))
    for clerk in clerks:
        gen.next_person = 40_000_000 + clerk.number * 10_000
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(PEOPLE_HEADER)
        rng = random.Random(f"{seed}-clerk-{clerk.number}")
        counts = gen.people_file(clerk.org, rows, 0, writer, io.StringIO(), rng)
        clerk.file = out.getvalue().encode("utf-8-sig")
        clerk.invalid = counts["invalid"]


async def clerks_drive(base: str, clerks: list[Clerk], steps: dict[str, Step]) -> float:
    """Every clerk opens the organisation's page; then all upload at once and poll."""

    async def call(
        b: Browser, step: Step, method: str, path: str, expected: int, **kwargs: Any
    ) -> tuple[int, dict[str, str], bytes] | None:
        began = time.perf_counter()
        try:
            status, headers, body = await b.request(method, path, **kwargs)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            await b.close()
            step.record(began, None, expected, f"{type(exc).__name__}: {exc}")
            return None
        ok = step.record(began, status, expected, body.decode(errors="replace")[:300])
        return (status, headers, body) if ok else None

    browsers = {c.number: Browser(base, {"sessionid": c.session}) for c in clerks}
    tokens: dict[int, str] = {}

    async def open_page(c: Clerk) -> None:
        answer = await call(
            browsers[c.number], steps["page"], "GET", f"/org/{c.org.credit_code}/", 200
        )
        if answer is not None and (found := CSRF_RE.search(answer[2].decode())):
            tokens[c.number] = found.group(1)

    started = time.perf_counter()
    await asyncio.gather(*(open_page(c) for c in clerks))
    steps["page"].seconds = time.perf_counter() - started

    async def upload_and_watch(c: Clerk, burst: float) -> None:
        b = browsers[c.number]
        token = tokens.get(c.number)
        if token is None:
            return
        boundary = f"----OneTripBench{c.number:04d}{random.randrange(10**8):08d}"
        filename = f"员工入职登记-{c.number:02d}.csv"
        data = (
            (
                f"--{boundary}\r\nContent-Disposition: form-data; "
                f'name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'
            ).encode()
            + c.file
            + f"\r\n--{boundary}--\r\n".encode()
        )
        answer = await call(
            b,
            steps["upload"],
            "POST",
            f"/org/{c.org.credit_code}/upload/",
            302,
            data=data,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
        if answer is None or not (found := IMPORT_RE.search(answer[1].get("location", ""))):
            return
        c.reference = found.group(1)
        page = f"/org/{c.org.credit_code}/imports/{c.reference}/"
        await call(b, steps["import page"], "GET", page, 200)
        while time.perf_counter() - burst < 600:
            await asyncio.sleep(1.0)
            answer = await call(b, steps["status"], "GET", page + "status.json", 200)
            if answer is not None and json.loads(answer[2]).get("finished"):
                c.done_after = time.perf_counter() - burst
                return

    burst = time.perf_counter()
    await asyncio.gather(*(upload_and_watch(c, burst) for c in clerks))
    elapsed = time.perf_counter() - burst
    for name in ("upload", "import page", "status"):
        steps[name].seconds = elapsed
    for b in browsers.values():
        await b.close()
    return elapsed


def load_phase(stack: str, root: Path, args: argparse.Namespace) -> dict[str, Any]:
    up = UpStack(name=stack, root=root / "up")
    up.root.mkdir(parents=True)
    result: dict[str, Any] = {"stack": stack}
    try:
        log(f"{stack} load: onetrip up (keys, migrations, reference and demo data, servers)")
        base = up.start()
        orgs = list(LOAD_ORGS)
        clerks = [
            Clerk(n, orgs[(n - 1) % len(orgs)], f"1377712{n:04d}", Generator.name(random.Random(n)))
            for n in range(1, args.clerks + 1)
        ]
        log(f"{stack} load: {len(orgs)} employers sign up and are approved; {len(clerks)} clerks")
        sessions = approve(
            lambda zone, role, spec: run_worker(up.zone_env(zone), up.root, role, spec),
            up.query,
            orgs,
            [{"credit_code": c.org.credit_code, "phone": c.phone, "name": c.name} for c in clerks],
        )
        for c in clerks:
            c.session = sessions[c.phone]
        clerk_files(clerks, args.clerk_rows, args.seed)
        steps = {name: Step(name) for name in ("page", "upload", "import page", "status")}
        log(
            f"{stack} load: {len(clerks)} clerks open their page, then upload "
            f"{args.clerk_rows} rows each at once; load {load_average()}"
        )
        busy0, total0 = cpu_times()
        elapsed = asyncio.run(clerks_drive(base, clerks, steps))
        busy1, total1 = cpu_times()
        done = [c.done_after for c in clerks if c.done_after is not None]
        listed = ", ".join(f"'{c.reference}'" for c in clerks if c.reference) or "''"
        state = up.query(
            "portal",
            "SELECT status, count(*), sum(rows_read), sum(rows_rejected), sum(rows_applied), "  # noqa: S608
            "sum(rows_unchanged), sum(rows_refused) FROM portal_reporting_reportimport "
            f"WHERE reference IN ({listed}) GROUP BY status",
        )
        logs = up.root / "up.log"
        result.update(
            steps=steps,
            elapsed=elapsed,
            done=done,
            all_done=max(done) if len(done) == len(clerks) else None,
            clerks=len(clerks),
            imports=state,
            expected_invalid=sum(c.invalid for c in clerks),
            locked=count_in_log(logs, "database is locked"),
            tracebacks=count_in_log(logs, "Traceback"),
            busy=(busy1 - busy0) / (total1 - total0) if total1 > total0 else float("nan"),
            load=load_average(),
        )
        log(
            f"{stack} load: {len(done)}/{len(clerks)} imports seen finished; slowest after "
            f"{max(done, default=float('nan')):.1f} s; load {load_average()}"
        )
    finally:
        up.stop()
        up.teardown(args.keep)
    return result


# --- Reporting ---------------------------------------------------------------------------------


def report_pipeline(
    stack: str, manifest: dict[str, Any], pipe: dict[str, Any], raw: dict[str, Any] | None
) -> dict[str, Any]:
    """Print the pipeline's figures; returns the summary row."""
    m: Monitor = pipe["monitor"]
    imports = pipe["imports"]
    total = {k: sum(s[k] for s in imports) for k in IMPORT_COLUMNS[2:-1]}
    expected_invalid = sum(f["invalid"] for f in manifest["files"])
    rows = pipe["rows"]
    valid = total["rows_valid"]
    rate, valid_rate = rows / pipe["seconds"], valid / pipe["seconds"]
    print(
        f"\n  {stack}: pipeline, {rows:,} rows in {len(imports)} files "
        f"({pipe['workers']} reporting worker(s), ferry over `dir`, FERRY_BATCH_MAX "
        f"{pipe['batch_max']})"
    )
    print(
        f"    every import DONE after {pipe['seconds']:.1f} s: {rate:,.0f} rows/s read and "
        f"answered; {valid_rate:,.0f} valid rows/s applied"
    )
    print(
        f"    first chunk answered at {m.first_applied or float('nan'):.1f} s; reading of all "
        f"files ended at {m.read_done or float('nan'):.1f} s "
        f"({rows / (m.read_done or float('nan')):,.0f} rows/s parse+validate+commit)"
    )
    print(
        f"    imports: read {total['rows_read']:,}, valid {valid:,}, rejected "
        f"{total['rows_rejected']:,} (generated invalid: {expected_invalid:,}), applied "
        f"{total['rows_applied']:,}, unchanged {total['rows_unchanged']:,}, refused by the "
        f"register {total['rows_refused']:,}, conflicts {total['rows_conflicts']:,}; chunks "
        f"{total['chunks_applied']:,}/{total['chunks_sent']:,}"
    )
    reg = pipe["register"]
    print(
        f"    register (preload included): persons {reg['persons']:,}, stays {reg['stays']:,} "
        f"({reg['open_stays']:,} open), houses {reg['houses']:,}, sources {reg['sources']:,}, "
        f"conflicts {reg['conflicts']:,}"
    )
    cpu = dict(m.cpu)
    for zone, seconds in m.backend_seconds().items():
        cpu[f"PostgreSQL {zone}"] = seconds
    ours = sum(cpu.values())
    print(
        "    CPU seconds: "
        + ", ".join(f"{name} {seconds:.0f}" for name, seconds in cpu.items())
        + f" = {ours:.0f} s, {ours / rows * 1e6:.0f} µs a row (on two free CPUs at most "
        f"{2 * rows / ours:,.0f} rows/s); all CPUs {pipe['busy']:.0%} busy over the run, other "
        f"work on the machine included; load at the end {pipe['load_end']}"
        + (f"; ANALYZE run {m.analyzed} times" if stack == "postgres" else "")
    )
    print(
        "    CPU per 1,000 rows: "
        + ", ".join(f"{name} {seconds / rows * 1e6:.0f} ms" for name, seconds in cpu.items())
    )
    if m.xlsx_peak_mb:
        peaks = ", ".join(f"{mb} MB" for mb in m.xlsx_peak_mb.values())
        print(
            f"    reporting worker peak RSS (VmHWM) when the .xlsx import left READING "
            f"({m.xlsx_read:.1f} s): {peaks}; over the whole run: "
            + ", ".join(f"{mb} MB" for mb in m.peak_mb.values())
        )
    print(
        f"    preload pass (untimed): {pipe['preload']['rows']:,} rows in "
        f"{pipe['preload']['seconds']:.1f} s"
    )
    row = {
        "stack": stack,
        "rows": rows,
        "seconds": pipe["seconds"],
        "rate": rate,
        "valid_rate": valid_rate,
        "xlsx_mb": max(m.xlsx_peak_mb.values(), default=None),
    }
    if raw is not None:
        row["raw_rate"] = raw["timings"] and raw["rows"] / raw["timings"]["total"]
        row["raw_stays_rate"] = raw["rate_with_stays"]
        row["ratio"] = valid_rate / raw["rate"]
        print(
            f"    raw limit: {raw['rate']:,.0f} rows/s ({raw['rows']:,} valid rows: COPY and one "
            f"INSERT … ON CONFLICT per table, {raw['timings']['total']:.1f} s); with the stays "
            f"{raw['rate_with_stays']:,.0f} rows/s"
        )
        print(
            f"    pipeline / raw: **{valid_rate / raw['rate']:.1%}** (goal ≥ 25 %); against the "
            f"raw load with stays: {valid_rate / raw['rate_with_stays']:.1%}"
        )
    return row


def report_load(load: dict[str, Any]) -> None:
    steps: dict[str, Step] = load["steps"]
    print(f"\n  {load['stack']}: {load['clerks']} clerks uploading at once through `onetrip up`")
    print(
        f"  {'step':<12} {'requests':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'5xx':>4} "
        f"{'other':>5}"
    )
    for step in steps.values():
        print(
            f"  {step.name:<12} {len(step.latencies):>8} "
            f"{percentile(step.latencies, 0.50) * 1000:>7.0f} "
            f"{percentile(step.latencies, 0.99) * 1000:>7.0f} "
            f"{max(step.latencies, default=float('nan')) * 1000:>7.0f} "
            f"{step.server_errors:>4} {step.failures:>5}"
        )
        for example in step.examples:
            print(f"      e.g. {example}")
    print(
        f"  all {load['clerks']} imports done {load['all_done'] or float('nan'):.1f} s after the "
        f"uploads were sent (median {percentile(load['done'], 0.5):.1f} s); imports by status "
        f"(status, count, read, rejected, applied, unchanged, refused): {load['imports']} "
        f"(generated invalid: {load['expected_invalid']}); 'database is locked' "
        f"{load['locked']}, tracebacks {load['tracebacks']} in the servers' log; CPUs "
        f"{load['busy']:.0%} busy; load {load['load']}"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        worker_main(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--stack", choices=("postgres", "sqlite", "all"), default="all")
    parser.add_argument(
        "--phases", default="raw,pipeline,load", help="comma-separated: raw, pipeline, load"
    )
    parser.add_argument("--rows", type=int, default=FULL_ROWS, help="rows on PostgreSQL")
    parser.add_argument("--sqlite-rows", type=int, default=FULL_ROWS, help="rows on SQLite")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument(
        "--reporting-workers",
        type=int,
        default=1,
        help="`db_worker --queue-name reporting` processes (make up runs one)",
    )
    parser.add_argument(
        "--ferry-batch-max",
        type=int,
        default=0,
        help="ONETRIP_FERRY_BATCH_MAX for the pipeline's agents (default: the settings' own)",
    )
    parser.add_argument("--clerks", type=int, default=50)
    parser.add_argument("--clerk-rows", type=int, default=200)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run the reporting worker(s) and both agents under cProfile",
    )
    parser.add_argument("--profile-lines", type=int, default=25)
    parser.add_argument(
        "--profile-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "onetrip-reporting-profile",
    )
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="seconds per pipeline")
    parser.add_argument("--cache-dir", type=Path, default=CACHE_ROOT)
    parser.add_argument("--fresh", action="store_true", help="generate the files again")
    parser.add_argument("--keep", action="store_true", help="keep databases and temporary files")
    args = parser.parse_args()
    phases = {p.strip() for p in args.phases.split(",") if p.strip()}
    os.environ["DJANGO_SETTINGS_MODULE"] = "onetrip.settings.portal"
    import django

    django.setup()
    stacks = ("postgres", "sqlite") if args.stack == "all" else (args.stack,)
    print(
        f"reporting benchmark: phases {', '.join(sorted(phases))}; {os.cpu_count()} CPUs; "
        f"load average {load_average()} at the start",
        flush=True,
    )
    summary: list[dict[str, Any]] = []
    loads: list[dict[str, Any]] = []
    for stack in stacks:
        rows = args.rows if stack == "postgres" else args.sqlite_rows
        root = Path(tempfile.mkdtemp(prefix=f"onetrip-bench-reporting-{stack}-"))
        try:
            raw = pipe = None
            if phases & {"raw", "pipeline"}:
                manifest = dataset(args.seed, rows, args.cache_dir, args.fresh)
                print(
                    f"\n== {stack}: {rows:,} rows in {len(manifest['files'])} files, "
                    f"{sum(f['invalid'] for f in manifest['files']):,} invalid; preload "
                    f"{sum(p['rows'] for p in manifest['preload']):,} rows ==",
                    flush=True,
                )
                for f in manifest["files"]:
                    counts = f["counts"]
                    kinds = ", ".join(
                        f"{k} {counts.get(k, 0):,}"
                        for k in (
                            "new",
                            "departure",
                            "move",
                            "elsewhere",
                            "elsewhere_same_day",
                            "invalid",
                        )
                    )
                    print(
                        f"  {f['name']:<18} {f['rows']:>9,} rows {f['bytes'] / 2**20:6.1f} MB: "
                        f"{kinds}"
                    )
                if "raw" in phases:
                    raw = raw_phase(stack, manifest, root, args.keep)
                if "pipeline" in phases:
                    pipe = pipeline_phase(stack, manifest, root, args)
                    summary.append(report_pipeline(stack, manifest, pipe, raw))
                elif raw is not None:
                    summary.append(
                        {
                            "stack": stack,
                            "rows": rows,
                            "raw_rate": raw["rate"],
                            "raw_stays_rate": raw["rate_with_stays"],
                        }
                    )
            if "load" in phases:
                load = load_phase(stack, root, args)
                loads.append(load)
                report_load(load)
        finally:
            if not args.keep:
                shutil.rmtree(root, ignore_errors=True)
    print(
        "\n| stack | rows | pipeline (all rows) | valid rows applied | raw limit | "
        "pipeline / raw | raw with stays | .xlsx worker peak RSS |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")

    def fmt(row: dict[str, Any], key: str, unit: str = " rows/s") -> str:
        value = row.get(key)
        return f"{value:,.0f}{unit}" if isinstance(value, int | float) else "–"

    for row in summary:
        ratio = f"**{row['ratio']:.1%}**" if "ratio" in row else "–"
        cells = [fmt(row, k) for k in ("rate", "valid_rate", "raw_rate")]
        cells += [ratio, fmt(row, "raw_stays_rate"), fmt(row, "xlsx_mb", " MB")]
        print(f"| {row['stack']} | {row['rows']:,} | " + " | ".join(cells) + " |")
    print(f"\nload average at the end: {load_average()}", flush=True)


if __name__ == "__main__":
    main()

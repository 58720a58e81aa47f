"""The data of `benchmarks/workbench.py`: a police register of N persons and M permit cases, written
straight into a migrated police database (stations loaded) with PostgreSQL COPY.

    DJANGO_SETTINGS_MODULE=onetrip.settings.police ONETRIP_POLICE_DATABASE_URL=postgresql://… \\
        python benchmarks/workbench_data.py [--persons 1000000] [--cases 200000] [--jobs 2]

Rows are what the services write, without going through them:

- persons: one `ResidenceDeclaration` each (the register's residence registrations), in the
  station covering their community, with the personal fields encrypted by
  `onetrip.common.crypto.encrypt_text` and the keyed hashes of `lookup_hash` (`id_hash`,
  `phone_hash`) under the deployment's keys; 94 % registered (with a registration number and a
  second history row), 2 % returned, 4 % still waiting in the declaration queue. Four busy
  stations hold 60,000 persons each, the other stations share the rest.
- cases: `PermitCase` rows of registered persons at their station, each with its history
  (`PermitCaseEvent`), its three uploads (`PermitCaseDocument`, metadata only) and, once
  approved, its `ResidencePermit`. A busy station has 24,000 cases: 3,000 waiting for
  acceptance, 2,500 for review, 2,000 for approval, 1,500 for the card and 1,500 to be handed
  over, a few hundred in pre-review, returned or refused, the rest done; the other stations
  share the remaining cases in smaller proportions. About one case in twenty waiting after
  acceptance is past its legal clock (NAT-12). One waiting case in ten has been taken.
- staff: a window clerk, a reviewer and an approver at every station, and at each busy station a
  second clerk: `wb<n>_clerk1`, `wb<n>_clerk2`, `wb<n>_reviewer`, `wb<n>_approver`, n = 1…4
  for the busy stations (approvers with a confirmed TOTP device).

Everything is a pure function of the row's index and a fixed seed, so two runs give the same
data. The encryption and the COPY run in --jobs processes at once, each on its own connection
(with `session_replication_role = replica`: the rows are consistent by construction, so the
foreign keys are not checked row by row). Counters (registration numbers, permit numbers) and
identity sequences are moved past the rows written, then VACUUM ANALYZE.

Prints one JSON line at the end: counts and seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import django

BUSY = 4
BUSY_PERSONS = 60_000
BUSY_CASES = 24_000
CHUNK = 20_000
SEED = 20261201
REGIONS = ("330106", "340102", "410105", "420102", "430102", "500103", "510104", "360102",
           "320102", "370102", "130102", "610102")  # fmt: skip
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌丹宇浩"
ROADS = ("曙光路", "文三路", "天目山路", "莫干山路", "延安路", "解放路", "庆春路", "凤起路",
         "体育场路", "教工路", "古墩路", "文一西路")  # fmt: skip
# Waiting states of a case: (state, status, task).
STATES = {
    "prelim": ("prelim_review", ""),
    "materials": ("materials_required", ""),
    "rejected": ("rejected", ""),
    "accept": ("prereview_passed", "accept"),
    "review": ("accepted", "review"),
    "approve": ("accepted", "approve"),
    "produce": ("approved", "produce"),
    "hand_over": ("ready", "hand_over"),
    "delivered": ("delivered", ""),
    "collected": ("collected", ""),
}
BUSY_MIX = {"prelim": 400, "materials": 200, "rejected": 300, "accept": 3000, "review": 2500,
            "approve": 2000, "produce": 1500, "hand_over": 1500, "delivered": 1000}  # fmt: skip
OTHER_MIX = {"prelim": 0.02, "materials": 0.01, "rejected": 0.015, "accept": 0.04,
             "review": 0.03, "approve": 0.025, "produce": 0.02, "hand_over": 0.02,
             "delivered": 0.05}  # fmt: skip
DAY = dt.timedelta(days=1)


def id_number(i: int, birth: dt.date) -> str:
    region = REGIONS[i % len(REGIONS)]
    body = f"{region}{birth:%Y%m%d}{(i // len(REGIONS)) % 1000:03d}"
    return body + _CHECK[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def birth_of(i: int) -> dt.date:
    """Unique (region, birth date, sequence) for every i below 12 × 1000 × 12,000."""
    return dt.date(1965, 1, 1) + dt.timedelta(days=(i // (len(REGIONS) * 1000)) % 12_000)


def phone_of(i: int) -> str:
    return f"1{'3456789'[i % 7]}{i:09d}"


@dataclass(frozen=True)
class Station:
    id: int
    code: str
    district: str
    branch: str
    communities: tuple[str, ...]
    clerk: int
    reviewer: int
    approver: int
    takers: dict[str, tuple[int, ...]]  # task → staff ids who may have taken a case
    names: dict[int, str]  # staff id → username, for the history's actor


@dataclass(frozen=True)
class Plan:
    now: dt.datetime
    stations: list[Station]
    person_start: list[int]  # first person index of each station (and the total at the end)
    case_start: list[int]
    case_mix: list[dict[str, int]]
    dsn: str
    ids: dict[str, int]  # table → id offset
    field_keys: dict[str, bytes]
    lookup_key: bytes


PLAN: Plan | None = None  # set before the worker processes are forked


def station_of(starts: list[int], index: int) -> int:
    lo, hi = 0, len(starts) - 2
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= index:
            lo = mid
        else:
            hi = mid - 1
    return lo


def mix(i: int, salt: int) -> int:
    """A well-spread 40-bit number from (i, salt): cheaper than seeding a generator per row."""
    x = ((i + 1) * 0x9E3779B97F4A7C15 + salt * 0xC2B2AE3D27D4EB4F) & 0xFFFFFFFFFFFFFFFF
    x ^= x >> 29
    x = (x * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    return (x ^ (x >> 32)) & 0xFFFFFFFFFF


def person(i: int, plan: Plan) -> dict[str, Any]:
    """Person `i` in clear: the same every time it is asked for."""
    h, g = mix(i, 1), mix(i, 2)
    s = station_of(plan.person_start, i)
    station = plan.stations[s]
    local = i - plan.person_start[s]
    count = plan.person_start[s + 1] - plan.person_start[s]
    birth = birth_of(i)
    number = id_number(i, birth)
    rented = h % 10 < 6
    declared_at = plan.now - dt.timedelta(seconds=20 * 86400 + g % (1480 * 86400))
    status = "registered"
    if local >= count * 0.96:
        status = "declared"
        declared_at = plan.now - dt.timedelta(seconds=g % (12 * 86400))
    elif local >= count * 0.94:
        status = "returned"
    n = len(GIVEN)
    name = SURNAMES[(h >> 4) % len(SURNAMES)] + GIVEN[(h >> 10) % n]
    if i % 3:
        name += GIVEN[(h >> 16) % n]
    return {
        "index": i,
        "station": station,
        "local": local,
        "name": name,
        "id_number": number,
        "sex": "M" if int(number[16]) % 2 else "F",
        "birth_date": birth,
        "phone": phone_of(i),
        "community_code": station.communities[i % len(station.communities)],
        "address_detail": f"{ROADS[(h >> 22) % len(ROADS)]}{(g >> 8) % 399 + 1}号"
        f"{(g >> 17) % 29 + 1}幢{(g >> 22) % 2 + 1}单元{(g >> 24) % 29 + 1}0{(g >> 30) % 4 + 1}室",
        "housing_type": "rented" if rented else "owned",
        "landlord_name": SURNAMES[(g >> 3) % len(SURNAMES)] + GIVEN[(g >> 11) % n]
        if rented
        else "",
        "landlord_phone": f"139{(h >> 12) % 10**8:08d}" if rented else "",
        "reason": ("work", "work", "work", "study", "family")[(h >> 28) % 5],
        "arrival_date": (declared_at - dt.timedelta(days=(g >> 33) % 24 + 1)).date(),
        "employer_name": "杭州示例科技有限公司" if i % 4 else "",
        "declared_at": declared_at,
        "status": status,
    }


# ---------------------------------------------------------------------------------------------
# COPY rows shaped by the models: every concrete column, the values given, the rest defaulted
# ---------------------------------------------------------------------------------------------


class Table:
    def __init__(self, model: Any, now: dt.datetime) -> None:
        from django.db import models
        from psycopg.types.json import Jsonb

        self.name = model._meta.db_table
        self.fields = model._meta.concrete_fields
        self.columns = [f.column for f in self.fields]
        self.json = {f.attname for f in self.fields if isinstance(f, models.JSONField)}
        self.defaults: dict[str, Callable[[], Any]] = {}
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.defaults[f.attname] = lambda: now
            elif f.has_default():
                self.defaults[f.attname] = f.get_default
            elif f.null:
                self.defaults[f.attname] = lambda: None
            elif f.blank and isinstance(f, models.CharField | models.TextField):
                self.defaults[f.attname] = lambda: ""
        self.jsonb = Jsonb

    def row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        out = []
        for f in self.fields:
            if f.attname in values:
                value = values[f.attname]
            elif f.attname in self.defaults:
                value = self.defaults[f.attname]()
            else:
                raise KeyError(f"{self.name}.{f.attname}: no value and no default")
            if f.attname in self.json and value is not None:
                value = self.jsonb(value)
            out.append(value)
        return tuple(out)

    def copy(self, cursor: Any, rows: Iterable[dict[str, Any]]) -> int:
        n = 0
        statement = f'COPY "{self.name}" ({", ".join(self.columns)}) FROM STDIN'
        with cursor.copy(statement) as copy:
            for values in rows:
                copy.write_row(self.row(values))
                n += 1
        return n


def _tables() -> dict[str, Table]:
    from onetrip.police.permits.models import (
        PermitCase,
        PermitCaseDocument,
        PermitCaseEvent,
        ResidencePermit,
    )
    from onetrip.police.register.models import DeclarationHistory, ResidenceDeclaration

    assert PLAN is not None
    return {
        name: Table(model, PLAN.now)
        for name, model in (
            ("declaration", ResidenceDeclaration),
            ("history", DeclarationHistory),
            ("case", PermitCase),
            ("event", PermitCaseEvent),
            ("document", PermitCaseDocument),
            ("permit", ResidencePermit),
        )
    }


def _connect() -> Any:
    import psycopg

    assert PLAN is not None
    connection = psycopg.connect(PLAN.dsn)
    connection.execute("SET session_replication_role = replica")
    connection.execute("SET synchronous_commit = off")
    return connection


# ---------------------------------------------------------------------------------------------
# Persons
# ---------------------------------------------------------------------------------------------


def _declaration_rows(lo: int, hi: int, history: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    from onetrip.common.crypto import encrypt_text, lookup_hash

    assert PLAN is not None
    keys, key = PLAN.field_keys, PLAN.lookup_key
    base, hbase = PLAN.ids["declaration"], PLAN.ids["history"]

    def enc(value: str) -> str:
        return encrypt_text(value, keys=keys) if value else ""

    for i in range(lo, hi):
        p = person(i, PLAN)
        station: Station = p["station"]
        pk = base + i + 1
        received = p["declared_at"] + dt.timedelta(seconds=2 + mix(i, 3) % 38)
        row = {
            "id": pk,
            "reference": f"JZ{p['declared_at']:%y%m%d}{i:08d}",
            "station_id": station.id,
            "name": enc(p["name"]),
            "id_number": enc(p["id_number"]),
            "id_hash": lookup_hash(p["id_number"], purpose="id_number", key=key),
            "sex": p["sex"],
            "birth_date": p["birth_date"],
            "phone": enc(p["phone"]),
            "phone_hash": lookup_hash(p["phone"], purpose="phone", key=key),
            "community_code": p["community_code"],
            "address_detail": enc(p["address_detail"]),
            "housing_type": p["housing_type"],
            "landlord_name": enc(p["landlord_name"]),
            "landlord_phone": enc(p["landlord_phone"]),
            "reason": p["reason"],
            "arrival_date": p["arrival_date"],
            "employer_name": p["employer_name"],
            "declared_at": p["declared_at"],
            "received_at": received,
            "status": p["status"],
        }
        history.append(
            {
                "id": hbase + 2 * i + 1,
                "declaration_id": pk,
                "to_status": "declared",
                "actor": "ferry",
                "note": "",
                "at": received,
            }
        )
        if p["status"] != "declared":
            decided = received + dt.timedelta(seconds=3600 + mix(i, 4) % (71 * 3600))
            row.update(decided_by_id=station.clerk, decided_at=decided)
            if p["status"] == "registered":
                row.update(
                    registration_number=f"{station.code}{decided.year}{p['local'] + 1:06d}",
                    registered_on=decided.date(),
                )
            else:
                row.update(return_reason="住址门牌号不完整，请补充后重新申报")
            history.append(
                {
                    "id": hbase + 2 * i + 2,
                    "declaration_id": pk,
                    "from_status": "declared",
                    "to_status": p["status"],
                    "actor": station.names[station.clerk],
                    "note": row.get("return_reason", ""),
                    "at": decided,
                }
            )
        yield row


def persons_part(bounds: tuple[int, int]) -> int:
    tables = _tables()
    written = 0
    with _connect() as connection:
        for lo in range(bounds[0], bounds[1], CHUNK):
            hi = min(lo + CHUNK, bounds[1])
            history: list[dict[str, Any]] = []
            with connection.cursor() as cursor:
                written += tables["declaration"].copy(cursor, _declaration_rows(lo, hi, history))
                tables["history"].copy(cursor, history)
            connection.commit()
    return written


# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------


def case_state(k: int, plan: Plan) -> tuple[int, int, str]:
    """(station index, person index, state) of case k."""
    s = station_of(plan.case_start, k)
    local = k - plan.case_start[s]
    state = "collected"
    at = 0
    for name, n in plan.case_mix[s].items():
        if local < at + n:
            state = name
            break
        at += n
    return s, plan.person_start[s] + local, state


def _case_rows(
    lo: int, hi: int, extra: dict[str, list[dict[str, Any]]]
) -> Iterator[dict[str, Any]]:
    from onetrip.common.crypto import encrypt_text, lookup_hash

    assert PLAN is not None
    keys, key, now = PLAN.field_keys, PLAN.lookup_key, PLAN.now
    ids = PLAN.ids

    def enc(value: str) -> str:
        return encrypt_text(value, keys=keys) if value else ""

    def ago(low: float, high: float) -> dt.datetime:
        return now - dt.timedelta(days=rng.uniform(low, high))

    for k in range(lo, hi):
        s, i, state = case_state(k, PLAN)
        station = PLAN.stations[s]
        p = person(i, PLAN)
        rng = random.Random(SEED * 13 + k)
        status, task = STATES[state]
        pk = ids["case"] + k + 1
        waiting = bool(task)
        overdue = waiting and state != "accept" and k % 20 == 0
        # The timeline, backwards from now for a waiting case, forwards for a finished one.
        t: dict[str, dt.datetime] = {}
        if state == "prelim":
            t["submitted"] = ago(0, 5)
        elif state in ("materials", "rejected"):
            t["submitted"] = ago(5, 400)
            t["decided"] = t["submitted"] + dt.timedelta(hours=rng.uniform(2, 70))
        elif state == "accept":
            t["decided"] = ago(0, 10)
            t["submitted"] = t["decided"] - dt.timedelta(hours=rng.uniform(2, 70))
        else:
            if waiting:
                t["accepted"] = ago(16, 40) if overdue else ago(0.2, 14)
            else:
                t["accepted"] = ago(30, 700)
            t["decided"] = t["accepted"] - dt.timedelta(days=rng.uniform(1, 6))
            t["submitted"] = t["decided"] - dt.timedelta(hours=rng.uniform(2, 70))
            span = (now - t["accepted"]) if waiting else dt.timedelta(days=20)
            if state != "review":
                t["reviewed"] = t["accepted"] + span * rng.uniform(0.05, 0.3)
            if state not in ("review", "approve"):
                t["approved"] = t["reviewed"] + span * rng.uniform(0.05, 0.3)
                t["production"] = t["approved"] + span * rng.uniform(0.02, 0.1)
            if state in ("hand_over", "delivered", "collected"):
                t["ready"] = t["production"] + span * rng.uniform(0.1, 0.3)
            if state in ("delivered", "collected"):
                t["done"] = t["ready"] + dt.timedelta(days=rng.uniform(0.5, 9))
        submitted, received = t["submitted"], t["submitted"] + dt.timedelta(seconds=20)
        reference = f"PA{submitted:%y%m%d}{k:08d}"
        row: dict[str, Any] = {
            "id": pk,
            "reference": reference,
            "revision": 1,
            "kind": "first",
            "station_id": station.id,
            "name": enc(p["name"]),
            "id_number": enc(p["id_number"]),
            "id_hash": lookup_hash(p["id_number"], purpose="id_number", key=key),
            "phone": enc(p["phone"]),
            "phone_hash": lookup_hash(p["phone"], purpose="phone", key=key),
            "community_code": p["community_code"],
            "address_detail": enc(p["address_detail"]),
            "route": "residence",
            "housing": "rented_state_land" if p["housing_type"] == "rented" else "owned",
            "employer_name": p["employer_name"],
            "delivery": "post" if state == "delivered" else "pickup",
            "materials": ["C23", "C24"],
            "consented_at": submitted,
            "submitted_at": submitted,
            "received_at": received,
            "status": status,
            "channel": "window" if k % 25 == 0 and state != "prelim" else "online",
            "task": task,
        }
        events = [("", "prelim_review", received, "ferry", "")]
        if "decided" in t:
            decided = t["decided"]
            outcome = {"materials": "materials_required", "rejected": "rejected"}.get(
                state, "prereview_passed"
            )
            seconds = int((decided - submitted).total_seconds())
            row.update(
                decided_at=decided, decided_by_id=station.reviewer, prereview_seconds=seconds
            )
            if state == "materials":
                row["problems"] = [{"item": "C24", "text": "租赁合同缺少出租人签名页"}]
            if state == "rejected":
                row["reason"] = "申请人在本市居住未满半年，不符合申领条件"
            events.append(("prelim_review", outcome, decided, station.names[station.reviewer], ""))
        if "accepted" in t:
            accepted = t["accepted"]
            row.update(
                receipt_number=f"{station.code[-6:]}{k:010d}",
                accepted_at=accepted,
                accepted_by_id=station.clerk,
                due_on=accepted.date() + dt.timedelta(days=15),
                originals_seen=["C23", "C24"],
                ethnicity="汉",
                hukou_address=enc(f"{p['id_number'][:6]} 某县某镇某村{k % 90 + 1}号"),
            )
            events.append(
                ("prereview_passed", "accepted", accepted, station.names[station.clerk], "")
            )
        if "reviewed" in t:
            row.update(reviewed_at=t["reviewed"], reviewed_by_id=station.reviewer)
            events.append(
                ("accepted", "accepted", t["reviewed"], station.names[station.reviewer], "审核通过")
            )
        permit_number = ""
        if "approved" in t:
            approved = t["approved"]
            permit_number = f"{station.district}{approved:%Y}{k + 1:07d}"
            row.update(
                approved_at=approved,
                approved_by_id=station.approver,
                permit_number=enc(permit_number),
            )
            events.append(
                ("accepted", "approved", approved, station.names[station.approver], permit_number)
            )
            after_production = "approved"
            if state != "produce" or k % 2:
                row["status"] = status if state != "produce" else "in_production"
                after_production = "in_production"
                events.append(
                    ("approved", "in_production", t["production"], station.names[station.clerk], "")
                )
            if "ready" in t:
                events.append(
                    (after_production, "ready", t["ready"], station.names[station.clerk], "")
                )
            if "done" in t:
                events.append(("ready", status, t["done"], station.names[station.clerk], ""))
        # When the current task began waiting.
        since = {
            "accept": t.get("decided"),
            "review": t.get("accepted"),
            "approve": t.get("reviewed"),
            "produce": t.get("approved"),
            "hand_over": t.get("ready"),
        }.get(task)
        row["task_since"] = since
        if waiting and k % 10 == 3 and station.takers.get(task):
            row["assigned_to_id"] = rng.choice(station.takers[task])
            row["assigned_at"] = since + (now - since) * 0.5
        for n, (before, after, at, actor, note) in enumerate(events):
            extra["event"].append(
                {
                    "id": ids["event"] + k * 8 + n + 1,
                    "case_id": pk,
                    "revision": 1,
                    "from_status": before,
                    "status": after,
                    "actor": actor,
                    "note": note,
                    "at": at,
                }
            )
        for n, item in enumerate(("photo", "C23", "C24")):
            extra["document"].append(
                {
                    "id": ids["document"] + k * 3 + n + 1,
                    "reference": reference,
                    "case_id": pk,
                    "document_id": f"DOC{k:010d}{n}",
                    "item": item,
                    "media_type": "image/jpeg",
                    "sha256": uuid.UUID(int=rng.getrandbits(128)).hex * 2,
                    "size": rng.randrange(80_000, 900_000),
                    "stored_name": uuid.UUID(int=rng.getrandbits(128)).hex,
                    "original_name": enc(f"{item}.jpg"),
                    "revision": 1,
                    "current": True,
                    "received_at": submitted - dt.timedelta(seconds=30 - n),
                }
            )
        if permit_number:
            issued = t["approved"].date()
            extra["permit"].append(
                {
                    "id": ids["permit"] + k + 1,
                    "case_id": pk,
                    "permit_number": permit_number,
                    "station_id": station.id,
                    "id_hash": row["id_hash"],
                    "name": row["name"],
                    "sex": "男" if p["sex"] == "M" else "女",
                    "ethnicity": "汉",
                    "birth_date": p["birth_date"],
                    "id_number": row["id_number"],
                    "hukou_address": row["hukou_address"],
                    "residence_address": row["address_detail"],
                    "issuing_authority": station.branch,
                    "issued_on": issued,
                    "valid_until": issued + dt.timedelta(days=364),
                    "residence_since": issued,
                    "card_status": "active",
                    "issued_by_id": station.approver,
                    "handed_over_at": t.get("done") if state == "collected" else None,
                    "handed_over_by_id": station.clerk if state == "collected" else None,
                    "created_at": t["approved"],
                }
            )
        yield row


def cases_part(bounds: tuple[int, int]) -> int:
    tables = _tables()
    written = 0
    with _connect() as connection:
        for lo in range(bounds[0], bounds[1], CHUNK):
            hi = min(lo + CHUNK, bounds[1])
            extra: dict[str, list[dict[str, Any]]] = {"event": [], "document": [], "permit": []}
            with connection.cursor() as cursor:
                written += tables["case"].copy(cursor, _case_rows(lo, hi, extra))
                for name, rows in extra.items():
                    tables[name].copy(cursor, rows)
            connection.commit()
    return written


# ---------------------------------------------------------------------------------------------
# Orchestration (in the police zone's settings)
# ---------------------------------------------------------------------------------------------


def _staff(
    stations: list[Any], busy: set[int]
) -> tuple[dict[int, dict[str, list[int]]], dict[int, str]]:
    """Users and profiles of every station (and their approvers' TOTP devices); returns, per
    station id, role → user ids, and every user's name."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from onetrip.police.accounts.models import StaffProfile

    password = make_password("bench-workbench-" + uuid.uuid4().hex)
    wanted: list[tuple[str, str, Any]] = []
    number = 0
    for station in stations:
        if station.id in busy:
            number += 1
            prefix = f"wb{number}"
            roles = (("clerk1", "window_clerk"), ("clerk2", "window_clerk"),
                     ("reviewer", "reviewer"), ("approver", "approver"))  # fmt: skip
        else:
            prefix = f"wb_{station.code}"
            roles = (("clerk1", "window_clerk"), ("reviewer", "reviewer"), ("approver", "approver"))
        for suffix, role in roles:
            wanted.append((f"{prefix}_{suffix}", role, station))
    User.objects.filter(username__in=[w[0] for w in wanted]).delete()
    users = User.objects.bulk_create(
        [User(username=name, password=password, is_active=True) for name, _, _ in wanted]
    )
    StaffProfile.objects.bulk_create(
        [
            StaffProfile(user=user, full_name=f"测试{name[-8:]}", role=role, station=station)
            for user, (name, role, station) in zip(users, wanted, strict=True)
        ]
    )
    TOTPDevice.objects.bulk_create(
        [
            TOTPDevice(user=user, name="bench", confirmed=True)
            for user, (_, role, _) in zip(users, wanted, strict=True)
            if role == "approver"
        ]
    )
    out: dict[int, dict[str, list[int]]] = {}
    for user, (_, role, station) in zip(users, wanted, strict=True):
        out.setdefault(station.id, {}).setdefault(role, []).append(user.pk)
    return out, {user.pk: user.username for user in users}


def _spread(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if n < total % parts else 0) for n in range(parts)]


def _starts(counts: list[int]) -> list[int]:
    starts = [0]
    for n in counts:
        starts.append(starts[-1] + n)
    return starts


def _max_id(cursor: Any, table: str) -> int:
    cursor.execute(f'SELECT coalesce(max(id), 0) FROM "{table}"')  # noqa: S608 (our table names)
    return int(cursor.fetchone()[0])


def generate(persons: int, cases: int, jobs: int) -> dict[str, Any]:
    global PLAN
    began = time.perf_counter()
    django.setup()
    from django.conf import settings
    from django.db import connection, connections
    from django.utils import timezone

    from onetrip.common import divisions
    from onetrip.common.crypto import parse_keys
    from onetrip.common.identifiers import parse_resident_id
    from onetrip.police.stations.models import Station as StationModel

    stations = list(StationModel.objects.order_by("code").prefetch_related("streets"))
    if len(stations) < BUSY + 1:
        raise SystemExit("load the stations first (onetrip --zone police load_reference)")
    # The busy stations: the demo's 北山 and 湖滨 and two more, far apart in the list.
    by_street = {street.street_code: s for s in stations for street in s.streets.all()}
    busy_list = [by_street.get("330106002"), by_street.get("330102003")]
    busy_list = [s for s in busy_list if s is not None]
    for s in (stations[len(stations) // 3], stations[2 * len(stations) // 3], stations[-1]):
        if len(busy_list) < BUSY and s not in busy_list:
            busy_list.append(s)
    ordered = busy_list + [s for s in stations if s not in busy_list]
    staff, names = _staff(ordered, {s.id for s in busy_list})
    others = len(ordered) - BUSY
    busy_persons = min(BUSY_PERSONS, persons // (BUSY + 1))
    busy_cases = min(BUSY_CASES, cases // (BUSY + 1))
    person_counts = [busy_persons] * BUSY + _spread(persons - BUSY * busy_persons, others)
    case_counts = [busy_cases] * BUSY + _spread(cases - BUSY * busy_cases, others)
    scale = busy_cases / BUSY_CASES
    mixes = [{k: int(v * scale) for k, v in BUSY_MIX.items()}] * BUSY + [
        {k: int(v * n) for k, v in OTHER_MIX.items()} for n in case_counts[BUSY:]
    ]
    station_rows = []
    for s in ordered:
        communities = tuple(
            c.code
            for street in s.streets.all()
            for c in divisions.communities_of(street.street_code)
        ) or (f"{s.streets.all()[0].street_code}001",)
        roles = staff[s.id]
        station_rows.append(
            Station(
                id=s.id,
                code=s.code,
                district=s.district_code,
                branch=s.branch_name,
                communities=communities,
                clerk=roles["window_clerk"][0],
                reviewer=roles["reviewer"][0],
                approver=roles["approver"][0],
                takers={
                    "accept": tuple(roles["window_clerk"]),
                    "review": tuple(roles["reviewer"]),
                    "approve": tuple(roles["approver"]),
                    "produce": tuple(roles["window_clerk"]),
                    "hand_over": tuple(roles["window_clerk"]),
                },
                names={pk: names[pk] for ids in roles.values() for pk in ids},
            )
        )
    tables = {
        "declaration": "police_register_residencedeclaration",
        "history": "police_register_declarationhistory",
        "case": "police_permits_permitcase",
        "event": "police_permits_permitcaseevent",
        "document": "police_permits_permitcasedocument",
        "permit": "police_permits_residencepermit",
    }
    with connection.cursor() as cursor:
        ids = {name: _max_id(cursor, table) for name, table in tables.items()}
    db = settings.DATABASES["default"]
    dsn = f"host={db['HOST']} port={db['PORT'] or 5432} dbname={db['NAME']} user={db['USER']}"
    if db.get("PASSWORD"):
        dsn += f" password={db['PASSWORD']}"
    PLAN = Plan(
        now=timezone.now(),
        stations=station_rows,
        person_start=_starts(person_counts),
        case_start=_starts(case_counts),
        case_mix=mixes,
        dsn=dsn,
        ids=ids,
        field_keys=parse_keys(settings.ONETRIP_FIELD_KEYS),
        lookup_key=settings.ONETRIP_LOOKUP_KEY.encode(),
    )
    for i in (0, 1, persons // 2, persons - 1):  # every generated ID number must be valid
        parse_resident_id(person(i, PLAN)["id_number"])
    connections.close_all()
    timings: dict[str, float] = {"setup": time.perf_counter() - began}
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs) as pool:
        t0 = time.perf_counter()
        parts = [(lo, min(lo + CHUNK * 2, persons)) for lo in range(0, persons, CHUNK * 2)]
        done = sum(pool.imap_unordered(persons_part, parts))
        timings["persons"] = time.perf_counter() - t0
        print(f"  {done:,} persons in {timings['persons']:.0f}s", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        parts = [(lo, min(lo + CHUNK, cases)) for lo in range(0, cases, CHUNK)]
        done = sum(pool.imap_unordered(cases_part, parts))
        timings["cases"] = time.perf_counter() - t0
        print(f"  {done:,} cases in {timings['cases']:.0f}s", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    _finish(PLAN, tables, persons, cases)
    timings["counters_and_analyze"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - began
    return {
        "persons": persons,
        "cases": cases,
        "stations": len(ordered),
        "busy_stations": [s.code for s in busy_list],
        "seconds": {k: round(v, 1) for k, v in timings.items()},
    }


def _finish(plan: Plan, tables: dict[str, str], persons: int, cases: int) -> None:
    import psycopg

    with psycopg.connect(plan.dsn, autocommit=True) as db:
        for table in tables.values():
            sequence = f"pg_get_serial_sequence('\"{table}\"', 'id')"
            db.execute(f'SELECT setval({sequence}, (SELECT max(id) FROM "{table}"))')  # noqa: S608
        # Registration numbers of this year continue after the ones written; permit numbers
        # after the highest serial of each prefix.
        year = plan.now.year
        for n, station in enumerate(plan.stations):
            count = plan.person_start[n + 1] - plan.person_start[n]
            db.execute(
                "INSERT INTO police_register_registrationcounter (station_code, year, last) "
                "VALUES (%s, %s, %s) ON CONFLICT (station_code, year) "
                "DO UPDATE SET last = greatest(police_register_registrationcounter.last, "
                "excluded.last)",
                (station.code, year, count),
            )
        db.execute(
            "INSERT INTO police_permits_permitnumbercounter (prefix, last) "
            "SELECT 'P' || left(permit_number, 10), max(right(permit_number, 7)::int) "
            "FROM police_permits_residencepermit GROUP BY 1 "
            "ON CONFLICT (prefix) DO UPDATE SET last = greatest("
            "police_permits_permitnumbercounter.last, excluded.last)"
        )
        db.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    print(json.dumps(generate(args.persons, args.cases, args.jobs)), flush=True)


if __name__ == "__main__":
    main()

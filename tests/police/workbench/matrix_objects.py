"""The people and the objects of the role × station matrix (`test_access_matrix.py`).

Every role is logged in twice where its scope allows: at 北山 (own) and at 湖滨, or for the
district administrator in 上城 instead of 西湖 (other). The objects all lie in 北山 and are
made on demand, each at the step its routes act on, by staff who are none of the principals,
so no principal has taken a case or is barred by the four-eyes rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django.utils import timezone

from onetrip.police.accounts.models import CITY_ROLES, STATION_ROLES, Role
from tests.fixtures import staff, submitted_declaration
from tests.police.reporting.helpers import (
    matrix_conflict,
    matrix_organisation,
    matrix_reported_stay,
)

OWN_DISTRICT = "330106"  # 西湖区: 北山 lies in it
OTHER_DISTRICT = "330102"  # 上城区: 湖滨 lies in it

DECLARATION = "JZ26112799990001"
REGISTRATION = "JZ26112799990002"
APPOINTMENT = "YY26112799990001"
STAFF_TARGET = "target_beishan"
# One permit case at each step of pre-review and of the one stop, each its own applicant.
PERMIT_STEPS = (
    "permit",  # waiting for pre-review
    "case_accept",  # pre-review passed: waits at the window
    "case_review",  # accepted, with its receipt
    "case_approve",  # reviewed
    "case_produce",  # approved: the card is to be sent to production
    "case_arrived",  # in production
    "case_hand_over",  # the card is at the station
)
PERMIT_REFERENCES = {step: f"PA261127999900{n:02d}" for n, step in enumerate(PERMIT_STEPS, 1)}
ORIGINALS = ["A1", "A8", "A9", "B10", "B11/B12/B13/B14/B15/B16/B17"]


@dataclass(frozen=True, order=True)
class Principal:
    """One logged-in member of staff: a role at its own scope or at another one; or nobody."""

    role: str
    scope: str  # "own", "other", or "" for the anonymous visitor

    @property
    def label(self) -> str:
        return f"{self.role}@{self.scope}" if self.scope else "anonymous"


ANONYMOUS = Principal("anonymous", "")


def id_number(serial: int) -> str:
    """A valid GB 11643 number of 西湖区, born 1990-01-01, with its check character."""
    body = f"33010619900101{serial:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def principals() -> list[Principal]:
    """Every role at its own scope; every role with a station or district also elsewhere."""
    out = [Principal(role, "own") for role in Role.values]
    out += [Principal(role, "other") for role in (*STATION_ROLES, Role.DISTRICT_ADMIN)]
    return out


def _login(user: Any) -> Client:
    client = Client(HTTP_HOST="police.testserver")
    client.force_login(user)
    return client


@dataclass
class World:
    """The principals' clients and, made when first asked for, the objects of 北山."""

    beishan: Any
    hubin: Any
    clients: dict[Principal, Client] = field(default_factory=dict)
    references: set[str] = field(default_factory=set)
    _params: dict[str, dict[str, str]] = field(default_factory=dict)
    _pipeline: dict[str, Any] = field(default_factory=dict)

    def log_in_everyone(self) -> None:
        self.clients[ANONYMOUS] = Client(HTTP_HOST="police.testserver")
        for p in principals():
            if p.role in CITY_ROLES:
                user = staff(f"{p.role}_{p.scope}", p.role, None)
            elif p.role == Role.DISTRICT_ADMIN:
                district = OWN_DISTRICT if p.scope == "own" else OTHER_DISTRICT
                user = staff(f"{p.role}_{p.scope}", p.role, None, district)
            else:
                station = self.beishan if p.scope == "own" else self.hubin
                user = staff(f"{p.role}_{p.scope}", p.role, station)
            self.clients[p] = _login(user)

    # -- the objects --------------------------------------------------------------------------

    def params(self, kind: str | None) -> dict[str, str]:
        """The route parameters of one object of 北山, making it first if need be."""
        if kind is None:
            return {}
        if kind not in self._params:
            self._params[kind] = MAKERS[kind](self)
        return self._params[kind]

    def seed(self, kinds: tuple[str, ...]) -> None:
        for kind in kinds:
            self.params(kind)

    def pipeline_staff(self, role: str) -> Any:
        """The 北山 officer (not a principal) who moves the objects to their step."""
        if role not in self._pipeline:
            self._pipeline[role] = staff(f"pipe_{role}", role, self.beishan)
        return self._pipeline[role]


def _declaration(world: World) -> dict[str, str]:
    from onetrip.police.register.services import declaration_receive

    declaration_receive(message=submitted_declaration(DECLARATION))
    world.references.add(DECLARATION)
    return {"reference": DECLARATION}


def _registration(world: World) -> dict[str, str]:
    from onetrip.police.register.services import declaration_receive, declaration_verify

    message = submitted_declaration(REGISTRATION).model_copy(
        update={"id_number": id_number(201), "declared_at": timezone.now() - dt.timedelta(days=2)}
    )
    declaration_receive(message=message)
    declaration_verify(user=world.pipeline_staff(Role.WINDOW_CLERK), reference=REGISTRATION)
    world.references.add(REGISTRATION)
    return {"reference": REGISTRATION}


def _permit_at(step: str) -> Callable[[World], dict[str, str]]:
    """A permit case of 北山 moved through the one stop up to `step`."""

    def make(world: World) -> dict[str, str]:
        from onetrip.police.permits import casework
        from onetrip.police.permits.services import permit_prereview_pass
        from tests.police.permits.conftest import document, receive

        reference = PERMIT_REFERENCES[step]
        number = id_number(101 + PERMIT_STEPS.index(step))
        photo = document("photo", reference=reference)
        receive(photo, document("B11", reference=reference), reference=reference, id_number=number)
        world.references.add(reference)
        done = PERMIT_STEPS.index(step)
        clerk = world.pipeline_staff(Role.WINDOW_CLERK)
        reviewer = world.pipeline_staff(Role.REVIEWER)
        approver = world.pipeline_staff(Role.APPROVER)
        moves = [
            lambda: permit_prereview_pass(user=reviewer, reference=reference),
            lambda: (
                casework.permit_take(user=clerk, reference=reference),
                casework.permit_accept(
                    user=clerk,
                    reference=reference,
                    originals=ORIGINALS,
                    ethnicity="汉族",
                    hukou_address="浙江省温州市鹿城区五马街道1号",
                ),
            ),
            lambda: (
                casework.permit_take(user=reviewer, reference=reference),
                casework.permit_review(user=reviewer, reference=reference),
            ),
            lambda: (
                casework.permit_take(user=approver, reference=reference),
                casework.permit_approve(user=approver, reference=reference),
            ),
            lambda: (
                casework.permit_take(user=clerk, reference=reference),
                casework.permit_send_to_production(user=clerk, reference=reference),
            ),
            lambda: casework.permit_card_arrived(user=clerk, reference=reference),
        ]
        for move in moves[:done]:
            move()
        return {"reference": reference, "document_id": photo.document_id}

    return make


def _batch(world: World) -> dict[str, str]:
    """A production batch of 北山, exported: its approved card gathered and its file made."""
    from onetrip.police.permits.production import (
        production_batch_assemble,
        production_batch_export,
    )

    world.params("case_produce")
    clerk = world.pipeline_staff(Role.WINDOW_CLERK)
    batch = production_batch_assemble(user=clerk)
    production_batch_export(user=clerk, number=batch.number)
    world.references.add(batch.number)
    return {"number": batch.number}


def _window(world: World) -> dict[str, str]:
    from tests.police.windows.conftest import BEISHAN_WINDOW

    world.references.add(BEISHAN_WINDOW)
    return {"code": BEISHAN_WINDOW}


def _appointment(world: World) -> dict[str, str]:
    from onetrip.police.appointments.services import appointment_receive
    from tests.police.windows.conftest import booking

    appointment_receive(message=booking(APPOINTMENT))
    world.references.add(APPOINTMENT)
    return {"reference": APPOINTMENT}


def _quarantine(world: World) -> dict[str, str]:
    """A batch the police zone's ferry refused (the ferry page is the whole city's)."""
    import hashlib

    from onetrip.police.ferrybox.models import QuarantinedBatch

    raw = b"not a batch"
    row = QuarantinedBatch.objects.create(
        channel="portal-to-police",
        file_name="000001.batch",
        reason="unknown key id",
        sha256=hashlib.sha256(raw).hexdigest(),
        raw=raw,
    )
    return {"quarantine_id": str(row.pk)}


def _staff_member(world: World) -> dict[str, str]:
    """An account of 北山 for the system and security administrators' pages to act on."""
    staff(STAFF_TARGET, Role.WINDOW_CLERK, world.beishan)
    return {"username": STAFF_TARGET}


def _guidance_entry(world: World) -> dict[str, str]:
    """An FAQ entry waiting in review, written and sent by an editor who is no principal, so
    the city administrator may publish it."""
    from onetrip.police.guidance.services import guidance_draft_save, guidance_submit

    author = world._pipeline.get("content") or staff("pipe_content", Role.CITY_ADMIN, None)
    world._pipeline["content"] = author
    key = "faq-matrix-entry"
    data = {"title": "居住证能网上签注吗？", "body": "可以。", "category": "endorsement"}
    guidance_draft_save(user=author, key=key, kind="faq", data=data)
    guidance_submit(user=author, key=key)
    return {"key": key}


MAKERS: dict[str, Callable[[World], dict[str, str]]] = {
    "declaration": _declaration,
    "registration": _registration,
    **{step: _permit_at(step) for step in PERMIT_STEPS},
    "batch": _batch,
    "window": _window,
    "appointment": _appointment,
    "quarantine": _quarantine,
    "staff_member": _staff_member,
    "guidance_entry": _guidance_entry,
    "reported_stay": matrix_reported_stay,
    "organisation": matrix_organisation,
    "report_conflict": matrix_conflict,
}

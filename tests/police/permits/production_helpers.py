"""Helpers for the card production tests: approved cards at a station, the batch signing key,
the return file, and a record of the delivery messages asked for."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from onetrip.common.identifiers import id_check_char
from onetrip.police.permits import casework
from onetrip.police.permits.models import PermitCase, ResidencePermit
from onetrip.police.permits.production import production_key_generate, production_public_key
from onetrip.police.permits.services import permit_prereview_pass
from tests.fixtures import BEISHAN_COMMUNITY, staff

from .conftest import document, receive

HUBIN_COMMUNITY = "330102003001"
ORIGINALS = ["A1", "A8", "A9", "B10", "B11/B12/B13/B14/B15/B16/B17"]


def id_number(serial: int) -> str:
    """A valid ID number of a resident born in 1990 (region 330106), one per serial."""
    birth = dt.date(1990, 1, 1) + dt.timedelta(days=serial)
    body = f"330106{birth:%Y%m%d}{serial % 1000:03d}"
    return body + id_check_char(body)


class Team:
    """The staff of one station who take a case from pre-review to issue."""

    def __init__(self, station: Any, suffix: str) -> None:
        self.station = station
        self.reviewer = staff(f"rev_{suffix}", "reviewer", station)
        self.clerk = staff(f"clk_{suffix}", "window_clerk", station)
        self.approver = staff(f"apr_{suffix}", "approver", station)


def approve(
    team: Team, serial: int, *, community: str = BEISHAN_COMMUNITY, **extra: Any
) -> PermitCase:
    """One online application taken to "approved, waiting for production"."""
    reference = f"PA261127{serial:08d}"
    receive(
        document("photo", reference=reference),
        document("B11", reference=reference),
        reference=reference,
        id_number=id_number(serial),
        community=community,
        **extra,
    )
    permit_prereview_pass(user=team.reviewer, reference=reference)
    casework.permit_take(user=team.clerk, reference=reference)
    casework.permit_accept(
        user=team.clerk,
        reference=reference,
        originals=ORIGINALS,
        ethnicity="汉族",
        hukou_address="浙江省温州市鹿城区五马街道1号",
    )
    casework.permit_take(user=team.reviewer, reference=reference)
    casework.permit_review(user=team.reviewer, reference=reference)
    casework.permit_take(user=team.approver, reference=reference)
    return casework.permit_approve(user=team.approver, reference=reference)


def permit_of(case: PermitCase) -> ResidencePermit:
    return ResidencePermit.objects.get(case=case)


def return_csv(*rows: tuple[str, ...], header: str = "permit_number,result,reason") -> bytes:
    lines = [header, *(",".join(row) for row in rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture
def production_key(settings, tmp_path) -> Ed25519PublicKey:
    """A fresh signing key for the batches; returns its public half as the bureau holds it."""
    from cryptography.hazmat.primitives import serialization

    settings.ONETRIP_CARD_PRODUCTION_KEY = str(Path(tmp_path) / "keys" / "card-production.key")
    production_key_generate()
    _key_id, pem = production_public_key()
    key = serialization.load_pem_public_key(pem)
    assert isinstance(key, Ed25519PublicKey)
    return key


@pytest.fixture
def delivery_calls(monkeypatch) -> list[dict[str, Any]]:
    """Every `delivery_emit` the production asks for, passed on to the delivery service."""
    from onetrip.police.permits import production

    calls: list[dict[str, Any]] = []
    original = production.delivery_emit

    def record(**kwargs: Any) -> None:
        calls.append(kwargs)
        original(**kwargs)

    monkeypatch.setattr(production, "delivery_emit", record)
    return calls

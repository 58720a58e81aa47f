"""The portal mirrors the police zone's decisions; an older message never moves a decided
status back (DESIGN §7 "one case, one history"), but it still enters the history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from onetrip.contracts.declarations import DeclarationStatusChangedV1
from onetrip.portal.declarations.models import Declaration
from onetrip.portal.declarations.services import (
    DeclarationInput,
    declaration_apply_status_change,
    declaration_submit,
)
from tests.fixtures import valid_declaration

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def _submit(resident) -> Declaration:
    data = {k: v for k, v in valid_declaration().items() if k not in ("district", "street")}
    return declaration_submit(resident=resident, data=DeclarationInput(**data))


def _change(reference: str, status: str, at: dt.datetime, **extra) -> DeclarationStatusChangedV1:
    return DeclarationStatusChangedV1(
        reference=reference, status=status, station_name="北山派出所", changed_at=at, **extra
    )


def test_an_older_decision_never_moves_the_status_back(resident):
    declaration = _submit(resident)
    now = timezone.now()
    declaration_apply_status_change(
        message=_change(
            declaration.reference,
            "registered",
            now,
            registration_number="330106500020260000001",
            registered_on=now.date(),
        )
    )
    declaration_apply_status_change(
        message=_change(declaration.reference, "received", now - dt.timedelta(minutes=5))
    )
    declaration.refresh_from_db()
    assert declaration.status == "registered"
    assert declaration.registration_number == "330106500020260000001"
    statuses = [e.status for e in declaration.events.order_by("id")]
    assert statuses == ["submitted", "registered", "received"]


def test_received_then_returned_moves_forward(resident):
    declaration = _submit(resident)
    now = timezone.now()
    declaration_apply_status_change(message=_change(declaration.reference, "received", now))
    declaration_apply_status_change(
        message=_change(
            declaration.reference,
            "returned",
            now + dt.timedelta(minutes=1),
            reason="门牌号缺失，请补充",
        )
    )
    declaration.refresh_from_db()
    assert (declaration.status, declaration.return_reason) == ("returned", "门牌号缺失，请补充")

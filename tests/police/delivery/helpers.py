"""Steps the delivery tests share: the card reaching its station, the courier moving it, and
its callbacks handed to the police zone's endpoint."""

from __future__ import annotations

from typing import Any

import httpx
from django.test import Client

from onetrip.common.db import atomic_for
from onetrip.police.delivery.models import Shipment
from onetrip.police.permits.casework import permit_card_at_station
from onetrip.police.permits.models import PermitCase

from .conftest import REF, locked

CALLBACK_PATH = "/courier/callbacks/"


def arrive(clerk: Any, reference: str = REF) -> None:
    """The card reaches its station (what a batch's return or the manual entry does)."""
    with atomic_for(PermitCase):
        permit_card_at_station(case=locked(reference), user=clerk)


def shipment(reference: str = REF) -> Shipment:
    return Shipment.objects.filter(case__reference=reference).latest("id")


def advance(courier: Any, tracking_number: str, *script: str, **plan: bool) -> None:
    if plan:
        response = httpx.post(f"{courier.url}/_control/callbacks", json=plan)
        assert response.status_code == 200, response.text
    response = httpx.post(
        f"{courier.url}/_control/advance",
        json={"tracking_number": tracking_number, "script": list(script), "delay": 0.0},
    )
    assert response.status_code == 202, response.text
    assert courier.wait_idle(10)


def post_callback(headers: dict[str, str], body: bytes) -> Any:
    extra = {}
    for name, value in headers.items():
        if name.lower() == "x-courier-signature":
            extra["HTTP_X_COURIER_SIGNATURE"] = value
    return Client(HTTP_HOST="police.testserver").post(
        CALLBACK_PATH, data=body, content_type="application/json", **extra
    )


def deliver_callbacks(trap: Any) -> list[Any]:
    """Every callback the courier sent since the last call, in its order, to the endpoint."""
    answers = [post_callback(h, b) for h, b in trap.take()]
    assert all(a.status_code == 200 for a in answers), [a.content for a in answers]
    return answers


def fail_next(courier: Any, count: int, status: int = 503) -> None:
    response = httpx.post(
        f"{courier.url}/_control/fail-next", json={"count": count, "status": status}
    )
    assert response.status_code == 200, response.text

"""Building blocks of the card-delivery tests: an approved application, and the police zone's
delivery snapshots as the portal receives them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from onetrip.contracts.delivery import PermitDeliveryChangedV1, TrackingEventV1
from onetrip.portal.permits.applications import (
    permit_application_apply_status,
    permit_application_submit,
)
from onetrip.portal.permits.models import PermitApplication
from tests.fixtures import RESIDENT_PHONE

from .permit_helpers import FORM, draft, known_to_the_register, status

CODE = "482913"
POSTAL_ADDRESS = "杭州市西湖区曙光路 12 号 3 幢 201 室"
STATION = "北山派出所"


def approved(resident: Any, *, delivery: str = "pickup") -> PermitApplication:
    """An application the station has approved: its card is about to be made."""
    known_to_the_register(resident)
    form = {**FORM, "delivery": delivery}
    if delivery == "post":
        form["postal_address"] = POSTAL_ADDRESS
    application = draft(resident, form=form)
    application = permit_application_submit(
        resident=resident, reference=application.reference, consent=True
    )
    start = timezone.now() - dt.timedelta(hours=1)
    for minutes, code in enumerate(("accepted", "approved")):
        permit_application_apply_status(
            message=status(application, code, at=start + dt.timedelta(minutes=minutes))
        )
    application.refresh_from_db()
    return application


def snapshot(
    application: PermitApplication,
    sequence: int,
    change: str,
    stage: str,
    *,
    method: str = "pickup",
    code: str = "",
    at: dt.datetime | None = None,
    events: list[tuple[dt.datetime, str, str]] = (),  # type: ignore[assignment]
    **extra: Any,
) -> PermitDeliveryChangedV1:
    """The police zone's word on where the card is, numbered `sequence`."""
    return PermitDeliveryChangedV1(
        reference=application.reference,
        sequence=sequence,
        change=change,
        stage=stage,
        method=method,
        phone=RESIDENT_PHONE,
        station_code="330106500",
        station_name=STATION,
        pickup_code=code,
        events=[TrackingEventV1(at=t, status=s, detail=d) for t, s, d in events],
        changed_at=at or timezone.now(),
        **extra,
    )


def shipped(application: PermitApplication, sequence: int = 3, **extra: Any):
    """A posted card the courier has, with two events (the older one listed first)."""
    now = timezone.now()
    return snapshot(
        application,
        sequence,
        "courier_update",
        "in_transit",
        method="post",
        courier="EMS",
        tracking_number="EM123456789CN",
        events=[
            (now - dt.timedelta(hours=5), "picked_up", "北山派出所已交寄"),
            (now - dt.timedelta(hours=1), "in_transit", "已到达杭州转运中心"),
        ],
        **extra,
    )

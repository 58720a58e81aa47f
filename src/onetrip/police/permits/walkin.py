"""Walk-ins (窗口录入): a resident who comes to the window without an online application.

The clerk enters the application from the originals in front of them; the case opens in the
acceptance queue, taken by that clerk, with the materials list the route asks for (DOC-3), and
from there it is accepted, reviewed and approved like any other. It has a window reference
("WA…") of the same shape as the portal's, and its progress is not mirrored to the portal,
which never saw it.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from onetrip.common import divisions
from onetrip.common.crypto import lookup_hash
from onetrip.common.db import atomic_for
from onetrip.common.errors import ApplicationError, FieldError
from onetrip.common.identifiers import normalize_mobile, parse_resident_id
from onetrip.common.permit_eligibility import Route
from onetrip.common.permit_materials import Housing, materials_for
from onetrip.common.text import clean_text
from onetrip.police.accounts.models import Role
from onetrip.police.accounts.selectors import staff_profile
from onetrip.police.audit.services import audit_actor, audit_record

from .errors import PermitError
from .models import Channel, PermitCase, PermitCaseEvent, PermitStatus, Task
from .selectors import OBJECT_TYPE

WALK_IN_ROLES = frozenset({Role.WINDOW_CLERK, Role.STATION_ADMIN})
WALK_IN_KINDS = ("first", "reissue", "exchange")
ROUTES = {"employment": Route.EMPLOYMENT, "residence": Route.RESIDENCE, "study": Route.STUDY}
MINOR_AGE = 16


def _text(data: dict[str, Any], name: str, zh: str, en: str, *, max_length: int) -> str:
    return clean_text(
        str(data.get(name) or ""), field=name, label_zh=zh, label_en=en, max_length=max_length
    )


def _reference() -> str:
    return f"WA{timezone.localdate():%y%m%d}{secrets.randbelow(10**8):08d}"


def permit_walk_in_open(*, user: AbstractBaseUser, data: dict[str, Any]) -> PermitCase:
    """Open a walk-in case at the clerk's station; every faulty field is reported at once."""
    profile = staff_profile(user)
    if profile is None or profile.role not in WALK_IN_ROLES or profile.station is None:
        raise PermitError(
            "role_cannot_enter",
            "只有窗口受理民警可以录入窗口申请",
            "Only window clerks may enter walk-in applications",
            status=403,
        )
    errors: list[FieldError] = []
    values: dict[str, Any] = {}

    def take(name: str, parse: Any) -> None:
        try:
            values[name] = parse()
        except ApplicationError as exc:
            errors.append(FieldError(name, exc.code, exc.message_zh, exc.message_en))

    kind = str(data.get("kind") or "first")
    if kind not in WALK_IN_KINDS:
        errors.append(FieldError("kind", "kind", "请选择申领类型", "Choose the kind"))
    take("name", lambda: _text(data, "name", "姓名", "name", max_length=50))
    take("id_number", lambda: parse_resident_id(str(data.get("id_number") or "")))
    take("phone", lambda: normalize_mobile(str(data.get("phone") or ""), strict=True))
    take(
        "address_detail",
        lambda: _text(data, "address_detail", "详细地址", "address", max_length=200),
    )
    take("ethnicity", lambda: _text(data, "ethnicity", "民族", "ethnicity", max_length=20))
    community = str(data.get("community_code") or "")
    if not divisions.is_in_city(community):
        errors.append(
            FieldError(
                "community_code",
                "community",
                "请选择本市的居住社区",
                "Choose a community of the city",
            )
        )
    route = str(data.get("route") or "")
    if route not in ROUTES:
        errors.append(FieldError("route", "route", "请选择申领条件", "Choose the route"))
    housing = str(data.get("housing") or "")
    if route == "residence" and housing not in {h.value for h in Housing}:
        errors.append(FieldError("housing", "housing", "请选择住所类型", "Choose the housing"))
    for name in ("name", "address_detail", "ethnicity"):
        if name in values and not values[name]:
            errors.append(FieldError(name, "required", "此项必填", "Required"))
    if errors:
        raise PermitError(
            "walk_in_invalid",
            "录入的申请有需要更正的内容",
            "Some fields of the application need correcting",
            errors=errors,
        )
    resident = values["id_number"]
    now = timezone.now()
    minor = resident.age_on(timezone.localdate(now)) < MINOR_AGE
    items = materials_for(
        route=ROUTES[route],
        housing=Housing(housing) if route == "residence" else None,
        minor=minor,
    )
    with atomic_for(PermitCase, durable=True):
        case = PermitCase.objects.create(
            reference=_reference(),
            revision=1,
            kind=kind,
            station=profile.station,
            name=values["name"],
            id_number=resident.number,
            id_hash=lookup_hash(resident.number, purpose="id_number"),
            phone=values["phone"],
            phone_hash=lookup_hash(values["phone"], purpose="phone"),
            community_code=community,
            address_detail=values["address_detail"],
            route=route,
            housing=housing if route == "residence" else "",
            delivery="pickup",
            materials=[item.id for item in items],
            consented_at=now,
            submitted_at=now,
            received_at=now,
            status=PermitStatus.PREREVIEW_PASSED,
            channel=Channel.WINDOW,
            task=Task.ACCEPT,
            task_since=now,
            assigned_to=user,
            assigned_at=now,
            ethnicity=values["ethnicity"],
        )
        PermitCaseEvent.objects.create(
            case=case,
            revision=1,
            from_status="",
            status=case.status,
            actor=user.get_username(),
            note="窗口录入",
            at=now,
        )
        audit_record(
            **audit_actor(user),
            action="permit.walk_in",
            object_type=OBJECT_TYPE,
            object_id=case.reference,
            purpose="residence_permit_casework",
            detail={"kind": kind, "route": route},
        )
        return case

"""The workbench API (`/api/v1/` on the police zone): the same scope and rules as the pages.

Endpoints raise `ApplicationError`; the API's one handler turns it into the documented body."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.security import django_auth

from onetrip.common.api import error_responses, install_error_handlers
from onetrip.common.masking import mask_id_number, mask_name, mask_phone
from onetrip.police.register.models import ResidenceDeclaration
from onetrip.police.register.selectors import (
    declaration_get_for_staff,
    declaration_queue_for_staff,
)
from onetrip.police.register.services import declaration_return, declaration_verify

api = NinjaAPI(
    title="OneTrip workbench API",
    version="1",
    urls_namespace="police_api",
    auth=django_auth,
)
install_error_handlers(api)

# The personal-data fields a `DeclarationOut` shows, all masked.
API_FIELDS = ("name:masked", "id_number:masked", "phone:masked")


class DeclarationOut(Schema):
    reference: str
    status: str
    station_code: str
    name: str
    id_number: str
    phone: str
    community_code: str
    received_at: dt.datetime
    registration_number: str
    registered_on: dt.date | None
    return_reason: str


class VerifyIn(Schema):
    registered_on: dt.date | None = None


class ReturnIn(Schema):
    reason: str


def _out(d: ResidenceDeclaration) -> DeclarationOut:
    return DeclarationOut(
        reference=d.reference,
        status=d.status,
        station_code=d.station.code,
        name=mask_name(d.name),
        id_number=mask_id_number(d.id_number),
        phone=mask_phone(d.phone),
        community_code=d.community_code,
        received_at=d.received_at,
        registration_number=d.registration_number,
        registered_on=d.registered_on,
        return_reason=d.return_reason,
    )


@api.get("/declarations", response={200: list[DeclarationOut], **error_responses(401)})
def list_declarations(request: HttpRequest, status: str = "declared") -> list[DeclarationOut]:
    rows = declaration_queue_for_staff(user=request.user, status=status, purpose="api_list")
    return [_out(d) for d in rows]


@api.get(
    "/declarations/{reference}",
    response={200: DeclarationOut, **error_responses(401, 404)},
)
def get_declaration(request: HttpRequest, reference: str) -> DeclarationOut:
    return _out(
        declaration_get_for_staff(
            user=request.user, reference=reference, purpose="api_read", fields=API_FIELDS
        )
    )


@api.post(
    "/declarations/{reference}/verify",
    response={200: DeclarationOut, **error_responses(400, 401, 403, 404, 409)},
)
def verify_declaration(request: HttpRequest, reference: str, body: VerifyIn) -> DeclarationOut:
    return _out(
        declaration_verify(user=request.user, reference=reference, registered_on=body.registered_on)
    )


@api.post(
    "/declarations/{reference}/return",
    response={200: DeclarationOut, **error_responses(400, 401, 403, 404, 409)},
)
def return_declaration(request: HttpRequest, reference: str, body: ReturnIn) -> DeclarationOut:
    return _out(declaration_return(user=request.user, reference=reference, reason=body.reason))

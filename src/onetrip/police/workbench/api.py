"""The workbench API (`/api/v1/` on the police zone): the same scope and rules as the pages."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import NinjaAPI, Schema, Status
from ninja.security import django_auth

from onetrip.common.masking import mask_id_number, mask_name, mask_phone
from onetrip.police.audit.services import audit_read_personal_data
from onetrip.police.register.errors import DeclarationNotFound, RegisterError
from onetrip.police.register.models import ResidenceDeclaration
from onetrip.police.register.selectors import declaration_for_staff, declaration_queue
from onetrip.police.register.services import declaration_return, declaration_verify

api = NinjaAPI(
    title="OneTrip workbench API",
    version="1",
    urls_namespace="police_api",
    auth=django_auth,
)


class ErrorOut(Schema):
    code: str
    message: str
    message_en: str


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


NOT_FOUND = {"code": "not_found", "message": "未找到该申报", "message_en": "Declaration not found"}


@api.get("/declarations", response=list[DeclarationOut])
def list_declarations(request: HttpRequest, status: str = "declared") -> list[DeclarationOut]:
    return [_out(d) for d in declaration_queue(user=request.user, status=status)[:200]]


@api.get("/declarations/{reference}", response={200: DeclarationOut, 404: ErrorOut})
def get_declaration(request: HttpRequest, reference: str):  # type: ignore[no-untyped-def]
    try:
        d = declaration_for_staff(user=request.user, reference=reference)
    except DeclarationNotFound:
        return Status(404, NOT_FOUND)
    audit_read_personal_data(
        user=request.user,
        object_type="residence_declaration",
        object_id=d.reference,
        fields=["name", "id_number", "phone"],
        purpose="api_read",
    )
    return Status(200, _out(d))


def _error(exc: RegisterError) -> Status[dict[str, str]]:
    return Status(409, {"code": exc.code, "message": exc.message_zh, "message_en": exc.message_en})


@api.post(
    "/declarations/{reference}/verify",
    response={200: DeclarationOut, 404: ErrorOut, 409: ErrorOut},
)
def verify_declaration(request: HttpRequest, reference: str, body: VerifyIn):  # type: ignore[no-untyped-def]
    try:
        return Status(
            200,
            _out(
                declaration_verify(
                    user=request.user, reference=reference, registered_on=body.registered_on
                )
            ),
        )
    except DeclarationNotFound:
        return Status(404, NOT_FOUND)
    except RegisterError as exc:
        return _error(exc)


@api.post(
    "/declarations/{reference}/return",
    response={200: DeclarationOut, 404: ErrorOut, 409: ErrorOut},
)
def return_declaration(request: HttpRequest, reference: str, body: ReturnIn):  # type: ignore[no-untyped-def]
    try:
        return Status(
            200,
            _out(declaration_return(user=request.user, reference=reference, reason=body.reason)),
        )
    except DeclarationNotFound:
        return Status(404, NOT_FOUND)
    except RegisterError as exc:
        return _error(exc)

"""The channel API at `/api/v1/` (OpenAPI at `/api/v1/openapi.json`).

Every error answers one documented body (`onetrip.common.api.ErrorOut`): `{"code", "message"
(Chinese), "message_en", "errors": [...]}`, mapped from `ApplicationError` in one handler.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import MISSING, fields

from django.http import HttpRequest
from ninja import NinjaAPI, Schema, Status
from pydantic import create_model

from onetrip.common import divisions
from onetrip.common.api import error_responses, install_error_handlers
from onetrip.common.http import client_address
from onetrip.portal.accounts.models import Resident
from onetrip.portal.accounts.services import login_code_request, login_code_verify
from onetrip.portal.declarations.models import Declaration
from onetrip.portal.declarations.selectors import declaration_of_resident, declarations_of
from onetrip.portal.declarations.services import (
    DeclarationInput,
    declaration_progress_lookup,
    declaration_submit,
)

from .auth import TOKEN_MAX_AGE_SECONDS, ResidentBearer, token_for

api = NinjaAPI(
    title="OneTrip channel API",
    version="1",
    urls_namespace="portal_api",
    description="居住证服务平台渠道接口：居住登记自主申报与办理进度查询。",
)
install_error_handlers(api)


class PhoneIn(Schema):
    phone: str


class LoginIn(Schema):
    phone: str
    code: str


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"  # noqa: S105
    expires_in: int


# The API takes exactly what the page takes: the fields of DeclarationInput, all strings.
DeclarationIn = create_model(  # type: ignore[call-overload]
    "DeclarationIn",
    __base__=Schema,
    **{f.name: (str, ... if f.default is MISSING else f.default) for f in fields(DeclarationInput)},
)


class EventOut(Schema):
    status: str
    status_label: str
    note: str
    at: dt.datetime


class StatusOut(Schema):
    reference: str
    status: str
    status_label: str
    station_name: str
    registration_number: str
    registered_on: dt.date | None
    return_reason: str
    submitted_at: dt.datetime
    history: list[EventOut]


class DivisionOut(Schema):
    code: str
    name: str


def _status(d: Declaration) -> StatusOut:
    return StatusOut(
        reference=d.reference,
        status=d.status,
        status_label=str(d.get_status_display()),
        station_name=d.station_name,
        registration_number=d.registration_number,
        registered_on=d.registered_on,
        return_reason=d.return_reason,
        submitted_at=d.submitted_at,
        history=[
            EventOut(
                status=e.status, status_label=str(e.get_status_display()), note=e.note, at=e.at
            )
            for e in d.events.all()
        ],
    )


@api.post("/auth/sms-code", response={202: dict, **error_responses(400, 422, 429)}, tags=["auth"])
def request_sms_code(request: HttpRequest, body: PhoneIn) -> Status[dict[str, bool]]:
    """Send a login code by SMS to the resident's mobile."""
    login_code_request(phone=body.phone, client_ip=client_address(request))
    return Status(202, {"sent": True})


@api.post("/auth/token", response={200: TokenOut, **error_responses(400, 422)}, tags=["auth"])
def issue_token(request: HttpRequest, body: LoginIn) -> TokenOut:
    """Exchange the SMS code for a bearer token."""
    resident = login_code_verify(phone=body.phone, code=body.code)
    return TokenOut(token=token_for(resident), expires_in=TOKEN_MAX_AGE_SECONDS)


@api.post(
    "/declarations",
    auth=ResidentBearer(),
    response={201: StatusOut, **error_responses(400, 401, 422)},
    tags=["declarations"],
)
def submit_declaration(request: HttpRequest, body: DeclarationIn) -> Status[StatusOut]:  # type: ignore[valid-type]
    """居住登记自主申报 — declare residence; all problems are reported at once."""
    resident: Resident = request.auth  # type: ignore[attr-defined]
    data = DeclarationInput(**{f.name: getattr(body, f.name) for f in fields(DeclarationInput)})
    declaration = declaration_submit(resident=resident, data=data, channel="api")
    return Status(201, _status(declaration))


@api.get(
    "/declarations",
    auth=ResidentBearer(),
    response={200: list[StatusOut], **error_responses(401)},
    tags=["declarations"],
)
def my_declarations(request: HttpRequest) -> list[StatusOut]:
    return [_status(d) for d in declarations_of(resident=request.auth)]  # type: ignore[attr-defined]


@api.get(
    "/declarations/{reference}",
    auth=ResidentBearer(),
    response={200: StatusOut, **error_responses(401, 404)},
    tags=["declarations"],
)
def my_declaration(request: HttpRequest, reference: str) -> StatusOut:
    resident: Resident = request.auth  # type: ignore[attr-defined]
    return _status(declaration_of_resident(resident=resident, reference=reference))


@api.get(
    "/progress", response={200: StatusOut, **error_responses(404, 422, 429)}, tags=["progress"]
)
def progress(request: HttpRequest, reference: str, id_last6: str) -> StatusOut:
    """Progress without log-in: reference number plus the ID number's last six characters."""
    return _status(
        declaration_progress_lookup(
            client_ip=client_address(request), reference=reference, id_last6=id_last6
        )
    )


@api.get("/divisions/districts", response=list[DivisionOut], tags=["divisions"])
def districts(request: HttpRequest) -> list[DivisionOut]:
    return [DivisionOut(code=d.code, name=d.name) for d in divisions.districts() if d.current]


@api.get("/divisions/districts/{code}/streets", response=list[DivisionOut], tags=["divisions"])
def streets(request: HttpRequest, code: str) -> list[DivisionOut]:
    return [DivisionOut(code=s.code, name=s.name) for s in divisions.streets_of(code)]


@api.get("/divisions/streets/{code}/communities", response=list[DivisionOut], tags=["divisions"])
def communities(request: HttpRequest, code: str) -> list[DivisionOut]:
    return [DivisionOut(code=c.code, name=c.name) for c in divisions.communities_of(code)]

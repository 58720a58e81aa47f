"""The channel API at `/api/v1/` (OpenAPI at `/api/v1/openapi.json`).

Errors are structured and bilingual: `{"code", "message" (Chinese), "message_en", "errors": [...]}`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import MISSING, fields

from django.conf import settings
from django.http import HttpRequest
from ninja import NinjaAPI, Schema, Status
from pydantic import create_model

from onetrip.common import divisions
from onetrip.portal.accounts.errors import AccountError
from onetrip.portal.accounts.models import Resident
from onetrip.portal.accounts.services import login_code_request, login_code_verify
from onetrip.portal.declarations.errors import DeclarationInvalid, DeclarationNotFound
from onetrip.portal.declarations.models import Declaration
from onetrip.portal.declarations.selectors import (
    declaration_of_resident,
    declaration_progress,
    declarations_of,
)
from onetrip.portal.declarations.services import DeclarationInput, declaration_submit
from onetrip.portal.declarations.views import client_ip, rate_limited

from .auth import ResidentBearer, token_for

api = NinjaAPI(
    title="OneTrip channel API",
    version="1",
    urls_namespace="portal_api",
    description="居住证服务平台渠道接口：居住登记自主申报与办理进度查询。",
)


class FieldErrorOut(Schema):
    field: str
    code: str
    message: str
    message_en: str


class ErrorOut(Schema):
    code: str
    message: str
    message_en: str
    errors: list[FieldErrorOut] = []


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


def _account_error(exc: AccountError) -> dict[str, str]:
    return {"code": exc.code, "message": exc.message_zh, "message_en": exc.message_en}


@api.post("/auth/sms-code", response={202: dict, 400: ErrorOut, 429: ErrorOut}, tags=["auth"])
def request_sms_code(request: HttpRequest, body: PhoneIn):  # type: ignore[no-untyped-def]
    """Send a login code by SMS to the resident's mobile."""
    try:
        login_code_request(phone=body.phone)
    except AccountError as exc:
        return Status((429 if exc.code.endswith("throttled") else 400), _account_error(exc))
    return Status(202, {"sent": True})


@api.post("/auth/token", response={200: TokenOut, 400: ErrorOut}, tags=["auth"])
def issue_token(request: HttpRequest, body: LoginIn):  # type: ignore[no-untyped-def]
    """Exchange the SMS code for a bearer token."""
    try:
        resident = login_code_verify(phone=body.phone, code=body.code)
    except AccountError as exc:
        return Status(400, _account_error(exc))
    from .auth import TOKEN_MAX_AGE_SECONDS

    return Status(200, TokenOut(token=token_for(resident), expires_in=TOKEN_MAX_AGE_SECONDS))


@api.post(
    "/declarations",
    auth=ResidentBearer(),
    response={201: StatusOut, 400: ErrorOut},
    tags=["declarations"],
)
def submit_declaration(request: HttpRequest, body: DeclarationIn):  # type: ignore[valid-type,no-untyped-def]
    """居住登记自主申报 — declare residence; all problems are reported at once."""
    resident: Resident = request.auth  # type: ignore[attr-defined]
    data = DeclarationInput(**{f.name: getattr(body, f.name) for f in fields(DeclarationInput)})
    try:
        declaration = declaration_submit(resident=resident, data=data, channel="api")
    except DeclarationInvalid as exc:
        return Status(
            400,
            {
                "code": "invalid_declaration",
                "message": "申报信息有误，请更正后再提交",
                "message_en": "The declaration has errors; correct them and submit again",
                "errors": [e.as_dict() for e in exc.errors],
            },
        )
    return Status(201, _status(declaration))


@api.get("/declarations", auth=ResidentBearer(), response=list[StatusOut], tags=["declarations"])
def my_declarations(request: HttpRequest) -> list[StatusOut]:
    return [_status(d) for d in declarations_of(resident=request.auth)]  # type: ignore[attr-defined]


NOT_FOUND = {"code": "not_found", "message": "未找到该申报", "message_en": "Declaration not found"}


@api.get(
    "/declarations/{reference}",
    auth=ResidentBearer(),
    response={200: StatusOut, 404: ErrorOut},
    tags=["declarations"],
)
def my_declaration(request: HttpRequest, reference: str):  # type: ignore[no-untyped-def]
    try:
        return Status(
            200,
            _status(
                declaration_of_resident(resident=request.auth, reference=reference)  # type: ignore[attr-defined]
            ),
        )
    except DeclarationNotFound:
        return Status(404, NOT_FOUND)


@api.get("/progress", response={200: StatusOut, 404: ErrorOut, 429: ErrorOut}, tags=["progress"])
def progress(request: HttpRequest, reference: str, id_last6: str):  # type: ignore[no-untyped-def]
    """Progress without log-in: reference number plus the ID number's last six characters."""
    limit = settings.ONETRIP_PROGRESS_LOOKUPS_PER_MINUTE
    if rate_limited(f"progress:{client_ip(request)}", limit=limit, window_seconds=60):
        return Status(
            429,
            {
                "code": "rate_limited",
                "message": "查询过于频繁，请一分钟后再试",
                "message_en": "Too many lookups; try again in a minute",
            },
        )
    try:
        return Status(200, _status(declaration_progress(reference=reference, id_last6=id_last6)))
    except DeclarationNotFound:
        return Status(404, NOT_FOUND)


@api.get("/divisions/districts", response=list[DivisionOut], tags=["divisions"])
def districts(request: HttpRequest) -> list[DivisionOut]:
    return [DivisionOut(code=d.code, name=d.name) for d in divisions.districts() if d.current]


@api.get("/divisions/districts/{code}/streets", response=list[DivisionOut], tags=["divisions"])
def streets(request: HttpRequest, code: str) -> list[DivisionOut]:
    return [DivisionOut(code=s.code, name=s.name) for s in divisions.streets_of(code)]


@api.get("/divisions/streets/{code}/communities", response=list[DivisionOut], tags=["divisions"])
def communities(request: HttpRequest, code: str) -> list[DivisionOut]:
    return [DivisionOut(code=c.code, name=c.name) for c in divisions.communities_of(code)]

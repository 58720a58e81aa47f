"""What every Ninja API of the project shares: the one error body and its handlers.

`install_error_handlers(api)` maps `ApplicationError` (and Ninja's own validation and
authentication errors) to the documented body, so endpoints raise and never catch.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, ValidationError

from .errors import ApplicationError


class FieldErrorOut(Schema):
    field: str
    code: str
    message: str
    message_en: str


class ErrorOut(Schema):
    """Every error answer of every API: a stable code, Chinese first, English beside it."""

    code: str
    message: str
    message_en: str
    field: str | None = None
    errors: list[FieldErrorOut] = []
    retry_after: int | None = None


def error_responses(*statuses: int) -> dict[int, type[ErrorOut]]:
    """`{status: ErrorOut}` for an operation's `response=` mapping."""
    return {status: ErrorOut for status in statuses}


def install_error_handlers(api: NinjaAPI) -> None:
    def application_error(request: HttpRequest, exc: Any) -> HttpResponse:
        response = api.create_response(request, exc.as_body(), status=exc.status)
        if "retry_after" in exc.extra:
            response["Retry-After"] = str(int(exc.extra["retry_after"]))
        return response

    def validation_error(request: HttpRequest, exc: Any) -> HttpResponse:
        errors: list[dict[str, Any]] = []
        for item in exc.errors:
            location = [str(p) for p in item.get("loc", ()) if p not in ("body", "query", "path")]
            errors.append(
                {
                    "field": ".".join(location[-1:]) if location else "",
                    "code": str(item.get("type", "invalid")),
                    "message": "输入不符合要求",
                    "message_en": str(item.get("msg", "Invalid input")),
                }
            )
        body = ApplicationError(
            "invalid_request",
            "请求内容不符合接口要求，请按说明更正",
            "The request does not match the API; correct it as described",
            status=422,
        ).as_body()
        body["errors"] = errors
        return api.create_response(request, body, status=422)

    def authentication_error(request: HttpRequest, exc: Any) -> HttpResponse:
        body = ApplicationError("unauthorized", "请先登录", "Log in first", status=401).as_body()
        return api.create_response(request, body, status=401)

    api.add_exception_handler(ApplicationError, application_error)
    api.add_exception_handler(ValidationError, validation_error)
    api.add_exception_handler(AuthenticationError, authentication_error)

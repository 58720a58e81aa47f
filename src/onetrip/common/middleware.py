"""Request limits enforced before any view reads the body, so a hostile request is answered with
a clear 413 or 415 instead of failing deep inside a parser (a 10 MB JSON body, or a multipart body
sent to a JSON API, used to end in a 500).

Upload paths (`ONETRIP_UPLOAD_PATHS`, e.g. a permit application's documents) take a
multipart body, on the pages and in the API alike, up to `ONETRIP_MAX_UPLOAD_BYTES`; an
organisation's file (`ONETRIP_REPORT_UPLOAD_PATHS`) up to `ONETRIP_REPORT_MAX_BYTES`; every other
body is held to `DATA_UPLOAD_MAX_MEMORY_SIZE`, and the API takes JSON only."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.template import TemplateDoesNotExist, loader
from django.utils.http import url_has_allowed_host_and_scheme

from .errors import ApplicationError, in_language

API_PREFIX = "/api/"
BODY_METHODS = {"POST", "PUT", "PATCH"}


def _refusal(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return HttpResponse(
            json.dumps(error.as_body(), ensure_ascii=False),
            status=error.status,
            content_type="application/json; charset=utf-8",
        )
    try:
        # The zone's page for the status, rendered without the request (the body is unread).
        page = loader.render_to_string(
            f"{error.status}.html",
            {"message": in_language(error.message_zh, error.message_en), "back": _back(request)},
        )
    except TemplateDoesNotExist:
        page = None
    if page is not None:
        return HttpResponse(page, status=error.status)
    return HttpResponse(
        f"{error.message_zh}\n{error.message_en}\n",
        status=error.status,
        content_type="text/plain; charset=utf-8",
    )


def _back(request: HttpRequest) -> str:
    """The page the resident came from, when it is on this site (for a "back" link)."""
    referer = str(request.META.get("HTTP_REFERER", ""))
    try:
        host = request.get_host()
    except DisallowedHost:
        return ""
    return referer if url_has_allowed_host_and_scheme(referer, {host}) else ""


@lru_cache(maxsize=4)
def _upload_paths(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def is_upload(request: HttpRequest, setting: str = "ONETRIP_UPLOAD_PATHS") -> bool:
    """A multipart body sent to a path that takes files (the paths named by `setting`)."""
    paths = _upload_paths(tuple(getattr(settings, setting, ())))
    return (
        paths is not None
        and request.content_type == "multipart/form-data"
        and paths.fullmatch(request.path) is not None
    )


class RequestLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        upload = request.method in BODY_METHODS and is_upload(request)
        limit = int(
            settings.ONETRIP_MAX_UPLOAD_BYTES if upload else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )
        if request.method in BODY_METHODS and is_upload(request, "ONETRIP_REPORT_UPLOAD_PATHS"):
            # An organisation's file of up to 500,000 rows, with the form around it.
            upload, limit = True, int(settings.ONETRIP_REPORT_MAX_BYTES) + 1024 * 1024
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return _refusal(
                request,
                ApplicationError(
                    "body_too_large",
                    f"请求内容过大，上限为{_size(limit)}",
                    f"The request body is too large; the limit is {_size(limit)}",
                    status=413,
                ),
            )
        if (
            request.path.startswith(API_PREFIX)
            and request.method in BODY_METHODS
            and length > 0
            and not upload
            and request.content_type != "application/json"
        ):
            return _refusal(
                request,
                ApplicationError(
                    "unsupported_media_type",
                    "接口只接受 JSON 格式的请求内容（Content-Type: application/json）",
                    "The API accepts JSON bodies only (Content-Type: application/json)",
                    status=415,
                ),
            )
        return self.get_response(request)


def _size(limit: int) -> str:
    return f"{limit / 1024 / 1024:.0f} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"

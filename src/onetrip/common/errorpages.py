"""Nobody outside the server ever sees a traceback, whatever DEBUG says.

`ErrorPagesMiddleware` sits first in both zones' MIDDLEWARE:

- An exception a view does not handle is logged with its traceback and answered, on the APIs
  (`/api/…`), with the documented error body (`onetrip.common.api.ErrorOut`, code
  `server_error`, status 500), and on pages with the zone's plain error page `500.html`.
- On the APIs every other error answer that is not JSON — Django's 404 for an unknown path, 405,
  400, CSRF's 403, or a text/plain traceback a library returns when DEBUG is on — is replaced by
  the same error body, so an API client always gets JSON.
- On pages, a 500 that another middleware's exception produced while DEBUG is on (Django's
  debug page) is replaced by `500.html`; with DEBUG off Django already renders `500.html`.

Each zone's templates define `400.html`, `403.html`, `403_csrf.html`, `404.html` and `500.html`
on a layout that needs no request, session or database, so they render when those failed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader

from .errors import ApplicationError

logger = logging.getLogger("onetrip.errors")

API_PREFIX = "/api/"
# Exceptions Django itself turns into 400/403/404 answers (then made JSON on the APIs).
HANDLED_BY_DJANGO = (Http404, PermissionDenied, BadRequest, SuspiciousOperation)
API_ERRORS: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "请求无效", "Bad request"),
    401: ("unauthorized", "请先登录", "Log in first"),
    403: ("forbidden", "没有权限执行此操作", "Forbidden"),
    404: ("not_found", "请求的接口或资源不存在", "Not found"),
    405: ("method_not_allowed", "接口不支持该请求方法", "Method not allowed"),
    500: ("server_error", "服务器内部错误，请稍后再试", "Internal server error; try again later"),
}
_MARK = "_onetrip_error_answer"


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def api_error_response(status: int) -> HttpResponse:
    """The documented error body for `status` (the 4xx or 5xx class's meaning if unlisted)."""
    code, message_zh, message_en = (
        API_ERRORS.get(status) or API_ERRORS[500 if status >= 500 else 400]
    )
    body = ApplicationError(code, message_zh, message_en, status=status).as_body()
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=status,
        content_type="application/json; charset=utf-8",
    )
    setattr(response, _MARK, True)
    return response


def server_error_page() -> HttpResponse:
    """The zone's `500.html`, rendered without the request: no context processor, no session and
    no database, which may be what failed."""
    response = HttpResponseServerError(loader.render_to_string("500.html"))
    setattr(response, _MARK, True)
    return response


def _is_json(response: HttpResponse) -> bool:
    return str(response.get("Content-Type", "")).startswith("application/json")


class ErrorPagesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or getattr(response, _MARK, False):
            return response
        if is_api(request):
            if _is_json(response):
                return response
            replaced = api_error_response(response.status_code)
            if "Allow" in response:
                replaced["Allow"] = response["Allow"]
            return replaced
        if response.status_code == 500 and settings.DEBUG:
            return server_error_page()
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, HANDLED_BY_DJANGO):
            return None
        logger.error(
            "unhandled-exception method=%s path=%s exception=%s",
            request.method,
            request.path,
            type(exception).__name__,
            exc_info=exception,
        )
        if is_api(request):
            return api_error_response(500)
        return server_error_page()

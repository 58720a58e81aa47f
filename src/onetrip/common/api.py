"""What every Ninja API of the project shares: the one error body and its handlers, the helpers
that document an operation, and the docs page served from the package's own files.

`install_error_handlers(api)` maps `ApplicationError` (and Ninja's own validation, parsing,
CSRF and authentication errors) to the documented body, so endpoints raise and never catch.
`DocumentedAPI` is a `NinjaAPI` whose OpenAPI document describes every error answer (a
bilingual description, an example body, `Retry-After` on 429) and whose `/docs` page loads
Swagger UI from the installed django-ninja package instead of a CDN, so it also works on an
offline network.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import ninja
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import translation
from django.utils.html import escape
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import DocsBase
from pydantic import BeforeValidator

from .errors import ApplicationError

JSON = "application/json"


class FieldErrorOut(Schema):
    """一个字段的一个问题 / One problem with one input field."""

    field: str = Field(description="出错的字段名 / The input field", examples=["phone"])
    code: str = Field(description="稳定的错误代码 / Stable error code", examples=["phone_format"])
    message: str = Field(
        description="中文说明 / Message in Chinese", examples=["请输入11位中国大陆手机号码"]
    )
    message_en: str = Field(
        description="英文说明 / Message in English",
        examples=["Enter an 11-digit mainland China mobile number"],
    )


class ErrorOut(Schema):
    """所有接口的统一错误结构：稳定的代码，中文说明在前，英文在旁；个别错误另带说明中列出的字段
    （如 duplicate_declaration 的 reference）/ Every error answer of every API: a stable code,
    Chinese first, English beside it; a few errors add the fields their operation names (such
    as `reference` of duplicate_declaration)."""

    code: str = Field(
        description="稳定的错误代码，可用于程序判断 / Stable error code for programs",
        examples=["invalid_request"],
    )
    message: str = Field(
        description="中文说明，可直接展示给用户 / Message in Chinese, fit to show",
        examples=["请求内容不符合接口要求，请按说明更正"],
    )
    message_en: str = Field(
        description="英文说明 / Message in English",
        examples=["The request does not match the API; correct it as described"],
    )
    field: str | None = Field(
        None,
        description="错误所属的字段（如有）/ The input field the error belongs to, if any",
        examples=["phone"],
    )
    errors: list[FieldErrorOut] = Field(
        [],
        description="逐字段的全部问题（如有）/ Every problem by field, if several",
    )
    retry_after: int | None = Field(
        None,
        description="仅 429：多少秒后可重试，与 Retry-After 头相同 / "
        "429 only: seconds until a retry, as in the Retry-After header",
        examples=[42],
    )


# What each error status means, for every operation that can answer it.
ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "请求被业务规则拒绝，或请求内容不是有效的 JSON；原因见 code 与 errors / "
    "Refused by a business rule, or the body is not valid JSON; see code and errors",
    401: "未登录，或凭证无效、已过期 / Not logged in, or the credentials are invalid or expired",
    403: "无权执行此操作（岗位、辖区或 CSRF 校验）/ Not allowed (role, jurisdiction or CSRF check)",
    404: "不存在，或不在您可查看的范围内 / Not found, or outside what you may see",
    409: "当前状态不允许此操作 / The current state does not allow this",
    413: "请求内容过大 / The request body is too large",
    415: "请求内容须为 JSON（Content-Type: application/json）/ "
    "The body must be JSON (Content-Type: application/json)",
    422: "请求不符合接口说明：缺少字段、类型不对或取值不在列表内，见 errors / "
    "The request does not match this document: a missing field, a wrong type or a value "
    "outside the list; see errors",
    429: "请求过于频繁，请在 Retry-After 秒后重试 / Too many requests; retry after Retry-After "
    "seconds",
}

# What a success means, in both languages (Ninja writes only the English reason phrase).
SUCCESS_DESCRIPTIONS: dict[int, str] = {
    200: "成功 / OK",
    201: "已创建 / Created",
    202: "已受理，稍后完成 / Accepted, completed later",
}

# One example body for each error status; an operation may show its own instead.
ERROR_EXAMPLES: dict[int, dict[str, Any]] = {
    400: {
        "code": "malformed_json",
        "message": "请求内容不是有效的 JSON",
        "message_en": "The request body is not valid JSON",
        "errors": [],
    },
    401: {
        "code": "unauthorized",
        "message": "请先登录",
        "message_en": "Log in first",
        "errors": [],
    },
    403: {
        "code": "forbidden",
        "message": "无权执行此操作",
        "message_en": "You may not do this",
        "errors": [],
    },
    404: {"code": "not_found", "message": "未找到", "message_en": "Not found", "errors": []},
    409: {
        "code": "conflict",
        "message": "当前状态不允许此操作",
        "message_en": "The current state does not allow this",
        "errors": [],
    },
    413: {
        "code": "body_too_large",
        "message": "请求内容过大，上限为1024 KB",
        "message_en": "The request body is too large; the limit is 1024 KB",
        "errors": [],
    },
    415: {
        "code": "unsupported_media_type",
        "message": "接口只接受 JSON 格式的请求内容（Content-Type: application/json）",
        "message_en": "The API accepts JSON bodies only (Content-Type: application/json)",
        "errors": [],
    },
    422: {
        "code": "invalid_request",
        "message": "请求内容不符合接口要求，请按说明更正",
        "message_en": "The request does not match the API; correct it as described",
        "errors": [
            {
                "field": "phone",
                "code": "missing",
                "message": "输入不符合要求",
                "message_en": "Field required",
            }
        ],
    },
    429: {
        "code": "rate_limited",
        "message": "请求过于频繁，请42秒后再试",
        "message_en": "Too many requests; try again in 42 seconds",
        "errors": [],
        "retry_after": 42,
    },
}

RETRY_AFTER_HEADER = {
    "description": "多少秒后可以重试 / Seconds until a retry is accepted",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
    "example": 42,
}


def error_responses(*statuses: int) -> dict[int, type[ErrorOut]]:
    """`{status: ErrorOut}` for an operation's `response=` mapping."""
    return {status: ErrorOut for status in statuses}


def label_in(label: Any, language: str) -> str:
    """A (lazily translated) label in `language`."""
    with translation.override(language):
        return str(label)


def describe_codes(labels: Mapping[str, Any]) -> str:
    """`code=中文 (English), …` for a code list, for the description beside its `enum`."""
    return ", ".join(
        f"{code}={label_in(label, 'zh-hans')} ({label_in(label, 'en')})"
        for code, label in labels.items()
    )


def documented_str(**keywords: Any) -> Any:
    """`str` whose JSON schema carries `keywords` (maxLength, pattern, format, enum …).

    The keywords document what the service accepts; the service checks it and answers every
    problem at once, so the API does not refuse a value before the service has seen it."""
    return Annotated[str, Field(json_schema_extra=keywords)]


def code_list(labels: Mapping[str, Any]) -> Any:
    """`str` documented as one of the codes of `labels` (`enum`)."""
    return documented_str(enum=list(labels))


def _blank_is_none(value: Any) -> Any:
    return None if value in ("", "null") else value


def optional_code(labels: Mapping[str, Any]) -> Any:
    """An optional query parameter that must be one of the codes of `labels`; empty, `null` and
    absent all mean "not given" (a query string has no other way to say null)."""
    codes: Any = Literal.__getitem__(tuple(labels))
    return Annotated[codes | None, BeforeValidator(_blank_is_none)]


def examples(*, request: Any = None, responses: Mapping[int, Any] | None = None) -> dict[str, Any]:
    """`openapi_extra` for an operation: an example request body and example answers."""
    extra: dict[str, Any] = {}
    if request is not None:
        extra["requestBody"] = {"content": {JSON: {"example": request}}}
    if responses:
        extra["responses"] = {
            status: {"content": {JSON: {"example": body}}} for status, body in responses.items()
        }
    return extra


def _document_answers(schema: dict[str, Any]) -> None:
    """Give every documented answer its bilingual description and every error an example body,
    and document `Retry-After` on every 429."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                code = int(status)
                if code < 400:
                    if code in SUCCESS_DESCRIPTIONS:
                        response["description"] = SUCCESS_DESCRIPTIONS[code]
                    continue
                if code in ERROR_DESCRIPTIONS:
                    response["description"] = ERROR_DESCRIPTIONS[code]
                media = response.get("content", {}).get(JSON)
                if media is not None and code in ERROR_EXAMPLES:
                    media.setdefault("example", ERROR_EXAMPLES[code])
                if code == 429:
                    response.setdefault("headers", {})["Retry-After"] = RETRY_AFTER_HEADER


# Swagger UI's files as django-ninja ships them; the docs page loads nothing else.
SWAGGER_ASSETS: dict[str, str] = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.png": "image/png",
    "favicon.svg": "image/svg+xml",
}
SWAGGER_ASSET_DIR = Path(ninja.__file__).resolve().parent / "static" / "ninja"
ASSETS_PATH = "/docs/assets/{name}"

_DOCS_PAGE = """<!DOCTYPE html>
<html lang="zh-Hans">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{assets}swagger-ui.css">
<link rel="icon" href="{assets}favicon.svg" type="image/svg+xml">
<link rel="icon" href="{assets}favicon.png" type="image/png">
</head>
<body data-csrf-token="{csrf_token}" data-api-csrf="{api_csrf}">
<script type="application/json" id="swagger-settings">{settings}</script>
<div id="swagger-ui"></div>
<script src="{assets}swagger-ui-bundle.js"></script>
<script src="{assets}swagger-ui-init.js"></script>
</body>
</html>
"""


class OfflineSwagger(DocsBase):
    """Swagger UI from the files of the installed django-ninja package, served by the API
    itself under `docs/assets/`, so the page needs no other host (police networks are offline).
    The online validator badge is off for the same reason."""

    settings: Mapping[str, Any] = {
        "layout": "BaseLayout",
        "deepLinking": True,
        "validatorUrl": None,
        "defaultModelsExpandDepth": 1,
    }

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        openapi_url = self.get_openapi_url(api, kwargs)
        root = api.get_root_path(kwargs)
        csrf = _csrf_needed(api)
        settings = json.dumps({**self.settings, "url": openapi_url}).replace("</", "<\\/")
        html = _DOCS_PAGE.format(
            title=escape(api.title),
            assets=escape(f"{root}docs/assets/"),
            csrf_token=escape(get_token(request)) if csrf else "",
            api_csrf="true" if csrf else "",
            settings=settings,
        )
        return HttpResponse(html, content_type="text/html; charset=utf-8")


def _csrf_needed(api: NinjaAPI) -> bool:
    auth = api.auth if isinstance(api.auth, list | tuple) else [api.auth]
    return any(getattr(a, "csrf", False) for a in auth)


def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    """One of Swagger UI's files from the installed package (nothing else is served)."""
    if name not in SWAGGER_ASSETS:
        raise Http404(name)
    response = FileResponse(
        (SWAGGER_ASSET_DIR / name).open("rb"), content_type=SWAGGER_ASSETS[name]
    )
    response["Cache-Control"] = "public, max-age=86400"
    return response


class DocumentedAPI(NinjaAPI):
    """A `NinjaAPI` whose document describes every error answer and whose docs page works
    offline (`OfflineSwagger`). Call `install_error_handlers(api)` on it as on any API."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("docs", OfflineSwagger())
        super().__init__(**kwargs)
        self.get(ASSETS_PATH, auth=None, include_in_schema=False)(docs_asset)

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        _document_answers(schema)
        return schema


def _body(
    code: str, message_zh: str, message_en: str, status: int
) -> Callable[[NinjaAPI, HttpRequest], HttpResponse]:
    def respond(api: NinjaAPI, request: HttpRequest) -> HttpResponse:
        body = ApplicationError(code, message_zh, message_en, status=status).as_body()
        return api.create_response(request, body, status=status)

    return respond


# Ninja's own refusals (raised before the endpoint runs), in the one body.
_HTTP_ERRORS = {
    400: _body(
        "malformed_json",
        "请求内容不是有效的 JSON",
        "The request body is not valid JSON",
        400,
    ),
    403: _body(
        "csrf_failed",
        "安全校验失败，请刷新页面后重试（缺少或错误的 CSRF 令牌）",
        "The CSRF check failed; reload the page and try again",
        403,
    ),
}


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

    def http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        status = int(exc.status_code)
        if status in _HTTP_ERRORS:
            return _HTTP_ERRORS[status](api, request)
        return _body("http_error", "请求未能处理", str(exc) or "Request refused", status)(
            api, request
        )

    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return _body("not_found", "未找到", "Not found", 404)(api, request)

    api.add_exception_handler(ApplicationError, application_error)
    api.add_exception_handler(ValidationError, validation_error)
    api.add_exception_handler(AuthenticationError, authentication_error)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Http404, not_found)

"""The one error type of the application: a refusal a person can act on, in Chinese and English.

Every rule that refuses raises `ApplicationError` (or a subclass that fixes its HTTP status), so a
page, an API endpoint and the CLI all show the same words; each Ninja API maps it to one JSON body
(`onetrip.common.api`) and pages show `error.message` in the active language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import get_language


def in_language(zh: str, en: str) -> str:
    """`zh` unless the active language is English: the one language chooser."""
    return en if (get_language() or "").startswith("en") else zh


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field, so a form can put the message beside the field."""

    field: str
    code: str
    message_zh: str
    message_en: str

    @property
    def message(self) -> str:
        return in_language(self.message_zh, self.message_en)

    def as_dict(self) -> dict[str, str]:
        return {
            "field": self.field,
            "code": self.code,
            "message": self.message_zh,
            "message_en": self.message_en,
        }


class ApplicationError(Exception):
    """A refused request. `code` is stable and safe to log; messages never carry personal data.

    `status` is the HTTP status an API answers with (400 unless the subclass or caller says
    otherwise); `field` names the input the message belongs beside; `errors` lists several field
    problems reported at once; `extra` carries data a client needs (e.g. `retry_after`).
    """

    status: int = 400

    def __init__(
        self,
        code: str,
        message_zh: str,
        message_en: str,
        *,
        field: str = "",
        status: int | None = None,
        errors: list[FieldError] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message_zh)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field
        if status is not None:
            self.status = status
        self.errors = list(errors or [])
        self.extra = dict(extra or {})

    def __str__(self) -> str:
        return self.message_zh

    @property
    def message(self) -> str:
        """The message in the active language."""
        return in_language(self.message_zh, self.message_en)

    def by_field(self) -> dict[str, FieldError]:
        """The first problem for each field, for forms that show one message a field."""
        out: dict[str, FieldError] = {}
        if self.field:
            out[self.field] = FieldError(self.field, self.code, self.message_zh, self.message_en)
        for error in self.errors:
            out.setdefault(error.field, error)
        return out

    def as_body(self) -> dict[str, Any]:
        """The documented error body (`onetrip.common.api.ErrorOut`)."""
        body: dict[str, Any] = {
            "code": self.code,
            "message": self.message_zh,
            "message_en": self.message_en,
            "errors": [e.as_dict() for e in self.errors],
        }
        if self.field:
            body["field"] = self.field
        body.update(self.extra)
        return body


class NotFound(ApplicationError):
    """Also answered for what lies outside the caller's scope, so its existence does not leak."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(code, message_zh, message_en, status=404)


class Conflict(ApplicationError):
    """The request is valid but the object's state does not allow it (already decided, …)."""

    def __init__(self, code: str, message_zh: str, message_en: str, **kwargs: Any) -> None:
        super().__init__(code, message_zh, message_en, status=409, **kwargs)


class PermissionDenied(ApplicationError):
    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(code, message_zh, message_en, status=403)


class RateLimited(ApplicationError):
    """Too many requests; `retry_after` seconds is the real time until the window releases."""

    def __init__(
        self, code: str, message_zh: str, message_en: str, *, retry_after: int, field: str = ""
    ) -> None:
        super().__init__(
            code,
            message_zh,
            message_en,
            field=field,
            status=429,
            extra={"retry_after": retry_after},
        )

    @property
    def retry_after(self) -> int:
        return int(self.extra["retry_after"])


def command_error(exc: ApplicationError) -> CommandError:
    """The error as a management command reports it: both languages, for an operator's log."""
    return CommandError(f"{exc.message_zh} ({exc.message_en})")

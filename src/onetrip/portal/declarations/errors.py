"""Field-level errors a resident can act on, Chinese first with English beside it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import get_language


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message_zh: str
    message_en: str

    @property
    def message(self) -> str:
        lang = get_language() or "zh-hans"
        return self.message_en if lang.startswith("en") else self.message_zh

    def as_dict(self) -> dict[str, str]:
        return {
            "field": self.field,
            "code": self.code,
            "message": self.message_zh,
            "message_en": self.message_en,
        }


class DeclarationInvalid(Exception):
    """Every problem with a declaration at once, so the resident fixes them in one go."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(e.message_zh for e in errors))
        self.errors = errors

    def by_field(self) -> dict[str, FieldError]:
        out: dict[str, FieldError] = {}
        for error in self.errors:
            out.setdefault(error.field, error)
        return out


class DeclarationNotFound(Exception):
    pass

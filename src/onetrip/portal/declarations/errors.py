"""Errors of a declaration a resident can act on, Chinese first with English beside it."""

from __future__ import annotations

from onetrip.common.errors import ApplicationError, FieldError, NotFound

__all__ = ["DeclarationInvalid", "DeclarationNotFound", "FieldError"]


class DeclarationInvalid(ApplicationError):
    """Every problem with a declaration at once, so the resident fixes them in one go."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            "invalid_declaration",
            "申报信息有误，请更正后再提交",
            "The declaration has errors; correct them and submit again",
            errors=errors,
        )


class DeclarationNotFound(NotFound):
    """Also for a reference that is not the caller's, so strangers cannot learn which exist."""

    def __init__(self, reference: str = "") -> None:
        super().__init__("not_found", "未找到该申报", "Declaration not found")
        self.reference = reference

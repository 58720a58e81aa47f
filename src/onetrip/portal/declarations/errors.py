"""Errors of a declaration a resident can act on, Chinese first with English beside it."""

from __future__ import annotations

from onetrip.common.errors import ApplicationError, Conflict, FieldError, NotFound

__all__ = [
    "DeclarationCannotBeResubmitted",
    "DeclarationDuplicate",
    "DeclarationInvalid",
    "DeclarationNotFound",
    "FieldError",
]


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


class DeclarationDuplicate(Conflict):
    """The person already has an active declaration at this address; `reference` names it."""

    def __init__(self, reference: str) -> None:
        super().__init__(
            "duplicate_declaration",
            f"该身份证号已在此地址申报（编号 {reference}），无需重复申报，可在“我的申报”中查看进度",
            f"This ID number is already declared at this address (reference {reference}); "
            "follow that declaration in My declarations",
            field="id_number",
            extra={"reference": reference},
        )
        self.reference = reference


class DeclarationCannotBeResubmitted(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "not_returned",
            "只有被退回的申报可以更正后重新提交",
            "Only a returned declaration can be corrected and resubmitted",
        )

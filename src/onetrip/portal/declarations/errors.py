"""Errors of a declaration a resident can act on, Chinese first with English beside it."""

from __future__ import annotations

from onetrip.common.errors import ApplicationError, Conflict, FieldError, NotFound

__all__ = [
    "ChangeInvalid",
    "DeclarationCannotBeResubmitted",
    "DeclarationDuplicate",
    "DeclarationInvalid",
    "DeclarationNotFound",
    "FieldError",
    "RegistrationNotCurrent",
    "RequestPending",
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


class ChangeInvalid(ApplicationError):
    """Every problem with a change or a cancellation at once (ZJ-11)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            "invalid_change",
            "变更信息有误，请更正后再提交",
            "The change has errors; correct them and submit again",
            errors=errors,
        )


class RegistrationNotCurrent(Conflict):
    """Only a registration that stands can change or be cancelled (WF-1)."""

    def __init__(self, *, cancelled: bool) -> None:
        if cancelled:
            super().__init__(
                "registration_cancelled",
                "该居住登记已注销，不能再申报变更或注销",
                "This registration is cancelled; it can no longer change or be cancelled",
            )
        else:
            super().__init__(
                "not_registered",
                "该申报尚未登记，派出所核查登记后才能申报变更或注销",
                "This declaration is not registered yet; only a registration can change or be "
                "cancelled",
            )


class RequestPending(Conflict):
    """One request about a registration at a time, so the station applies them in the order the
    resident meant; `reference` names the one waiting."""

    def __init__(self, reference: str, *, cancel: bool) -> None:
        what_zh, what_en = ("注销申请", "cancellation") if cancel else ("变更申报", "change")
        super().__init__(
            "request_pending",
            f"您已有一项{what_zh}（编号 {reference}）正在等待派出所办理，请办理完成后再提交",
            f"A {what_en} (reference {reference}) is waiting for the station; submit again once "
            "it is done",
            extra={"reference": reference},
        )
        self.reference = reference

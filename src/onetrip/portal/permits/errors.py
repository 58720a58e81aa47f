"""Errors of a residence-permit application a resident can act on, Chinese first, English beside.

Upload refusals are `uploads.UploadError`; everything else an application service refuses is
one of these, each with a stable code."""

from __future__ import annotations

from onetrip.common.errors import ApplicationError, Conflict, FieldError, NotFound

__all__ = [
    "ApplicationCannotBeChanged",
    "ApplicationDuplicate",
    "ApplicationInvalid",
    "ApplicationLimitReached",
    "ApplicationNotDraft",
    "ApplicationNotFound",
    "ApplicationNotReturned",
    "DeliveryChangeInvalid",
    "DeliveryNotChangeable",
    "FieldError",
]


class ApplicationInvalid(ApplicationError):
    """Every problem at once (NAT-11: the resident fixes everything in one go); each is a
    `FieldError` whose `field` is a form field, a materials item or `consent`/`eligibility`."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            "invalid_application",
            "申请信息或材料有误，请按提示全部更正后再提交",
            "The application has problems; correct every one shown and submit again",
            errors=errors,
        )


class ApplicationNotFound(NotFound):
    """Also for an application that is another resident's, so strangers learn nothing."""

    def __init__(self, reference: str = "") -> None:
        super().__init__("not_found", "未找到该申请", "Application not found")
        self.reference = reference


class ApplicationNotDraft(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "not_draft",
            "申请已提交，不能再修改；如派出所要求补正，请按补正告知修改",
            "The application was submitted and cannot be changed; if the station asks for "
            "corrections, make them as its notice says",
        )


class ApplicationNotReturned(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "not_materials_required",
            "只有派出所要求补正材料的申请可以补正后重新提交",
            "Only an application the station returned for corrections can be resubmitted",
        )


class ApplicationCannotBeChanged(Conflict):
    """The application is with the station (or decided): nothing the resident sends changes it."""

    def __init__(self) -> None:
        super().__init__(
            "not_changeable",
            "申请正在办理或已办结，不能修改",
            "The application is being processed or is finished and cannot be changed",
        )


class ApplicationDuplicate(Conflict):
    """The applicant has another application in progress. `reference` names it only when it is
    the same resident's: someone who typed another person's ID number learns no reference."""

    def __init__(self, reference: str = "") -> None:
        if reference:
            zh = (
                f"该身份证号已有正在办理的居住证申请（编号 {reference}），"
                "请在“我的居住证申请”中查看进度"
            )
            en = (
                f"This ID number already has an application in progress (reference "
                f"{reference}); follow it in My permit applications"
            )
        else:
            zh = "该身份证号已有正在办理的居住证申请，办结前不能重复申请"
            en = "This ID number already has an application in progress; wait until it ends"
        super().__init__(
            "duplicate_application",
            zh,
            en,
            field="id_number",
            extra={"reference": reference} if reference else None,
        )
        self.reference = reference


class ApplicationLimitReached(Conflict):
    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(code, message_zh, message_en)


class DeliveryChangeInvalid(ApplicationError):
    """A change of delivery the resident typed that cannot be sent: every field problem at
    once, each a `FieldError` on `delivery` or `postal_address`."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            "invalid_delivery_change",
            "领取方式或邮寄地址有误，请按提示更正后再提交",
            "The delivery method or postal address has problems; correct them and send again",
            errors=errors,
        )


class DeliveryNotChangeable(Conflict):
    """The card has left the station (or was handed over), or was never to be made: the
    delivery can no longer be changed from the portal."""

    def __init__(self) -> None:
        super().__init__(
            "delivery_not_changeable",
            "证件已寄出或已领取，或申请尚未审批通过，现在不能变更领取方式或邮寄地址",
            "The card has left the station or been collected, or the application is not yet "
            "approved; the delivery can no longer be changed",
        )

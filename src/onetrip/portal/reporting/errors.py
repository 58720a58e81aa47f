"""Errors of organisation reporting, for the pages, the API and the command line."""

from onetrip.common.errors import ApplicationError, Conflict, NotFound, PermissionDenied


class ReportingError(ApplicationError):
    pass


class OrganisationNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "organisation_not_found",
            "未找到该单位，或您不是该单位的成员",
            "No such organisation, or you are not one of its members",
        )


class OrganisationNotApproved(PermissionDenied):
    def __init__(self, status_label: str) -> None:
        super().__init__(
            "organisation_not_approved",
            f"单位尚未通过分局审核（当前状态：{status_label}），审核通过后才能报送",
            "The organisation may report once the district has approved it "
            f"(status: {status_label})",
        )


class NotAnAdmin(PermissionDenied):
    def __init__(self) -> None:
        super().__init__(
            "member_not_admin",
            "只有单位管理员可以进行此操作",
            "Only the organisation's administrator may do this",
        )


class ImportNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("import_not_found", "未找到该报送批次", "No such import")


class IdempotencyKeyReused(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "idempotency_key_reused",
            "该幂等键已用于内容不同的另一批数据，请换一个新的幂等键",
            "This idempotency key was already used for a different batch; use a new key",
        )

from __future__ import annotations

from onetrip.common.errors import ApplicationError, Conflict, FieldError, NotFound, PermissionDenied


class GuidanceNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("guidance_not_found", "未找到该指南条目", "Guidance entry not found")


class GuidanceForbidden(PermissionDenied):
    def __init__(self) -> None:
        super().__init__(
            "guidance_forbidden",
            "只有内容编辑（市局管理员）可以编辑和发布指南内容",
            "Only content editors (city administrators) edit and publish guidance",
        )


class GuidanceConflict(Conflict):
    """A step out of order: sending what is not a draft, publishing what is not in review."""


class GuidanceInvalid(ApplicationError):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            "guidance_invalid",
            "内容有误，请按提示更正后再保存",
            "The content has errors; correct them and save again",
            errors=errors,
        )

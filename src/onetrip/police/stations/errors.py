from __future__ import annotations

from onetrip.common.errors import ApplicationError, FieldError, NotFound


class ReferenceDataError(ApplicationError):
    """Reference files that cannot be loaded; nothing of them was written."""

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"


class WindowError(ApplicationError):
    """A refused action on a window or its calendar; `status` says why (403 role, 400 input)."""


class WindowInvalid(ApplicationError):
    """Every problem with a window's settings or calendar at once, so the admin fixes them in
    one go; each names its field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            "window_invalid",
            "窗口设置有误，请按提示更正后再保存",
            "The window's settings have errors; correct them and save again",
            errors=errors,
        )


class WindowNotFound(NotFound):
    """Also raised for a window outside the staff member's scope, so its settings stay private
    to those who may see them."""

    def __init__(self, code: str = "") -> None:
        super().__init__("window_not_found", "未找到该办证窗口", "Service window not found")
        self.window_code = code

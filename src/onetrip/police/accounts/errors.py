from __future__ import annotations

from datetime import datetime

from onetrip.common.errors import ApplicationError


class StaffError(ApplicationError):
    """A refused staff-account action, Chinese first with English beside it."""

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"


class LoginRefused(StaffError):
    """Wrong username or password, or an account that may not use the workbench."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(code, message_zh, message_en, status=401)


class LoginLocked(StaffError):
    """Too many failed log-ins for this username (MLPS-3 b); retry after ``locked_until``."""

    def __init__(self, locked_until: datetime, minutes_left: int) -> None:
        super().__init__(
            "login_locked",
            f"登录失败次数过多，账户已暂时锁定，请{minutes_left}分钟后再试",
            f"Too many failed log-ins; the account is locked, try again in {minutes_left} min",
            status=429,
            extra={"retry_after": minutes_left * 60},
        )
        self.locked_until = locked_until
        self.minutes_left = minutes_left

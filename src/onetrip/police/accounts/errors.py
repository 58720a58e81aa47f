from __future__ import annotations

from datetime import datetime


class StaffError(Exception):
    """A refused staff-account action, Chinese first with English beside it."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


class LoginLocked(StaffError):
    """Too many failed log-ins for this username (MLPS-3 b); retry after ``locked_until``."""

    def __init__(self, locked_until: datetime, minutes_left: int) -> None:
        super().__init__(
            "login_locked",
            f"登录失败次数过多，账户已暂时锁定，请{minutes_left}分钟后再试",
            f"Too many failed log-ins; the account is locked, try again in {minutes_left} min",
        )
        self.locked_until = locked_until
        self.minutes_left = minutes_left

"""Errors of resident sign-in, each with a stable code and a message in Chinese and English."""

from __future__ import annotations

from onetrip.common.errors import ApplicationError


class AccountError(ApplicationError):
    """A sign-in step refused. `code` is stable and safe to log; `field` names the form field the
    message belongs beside ("phone" or "code"). Messages never contain the number or the code."""


def phone_format() -> AccountError:
    return AccountError(
        "phone_format",
        "请输入11位中国大陆手机号码",
        "Enter an 11-digit mainland China mobile number",
        field="phone",
    )


def code_throttled(seconds: int) -> AccountError:
    return AccountError(
        "code_throttled",
        f"验证码发送过于频繁，请{seconds}秒后再试",
        f"A code was sent a moment ago; try again in {seconds} seconds",
        field="phone",
        status=429,
        extra={"retry_after": seconds},
    )


def code_daily_throttled(limit: int, retry_after: int) -> AccountError:
    return AccountError(
        "code_daily_throttled",
        f"该号码今日已获取{limit}次验证码，请明天再试",
        f"This number has received {limit} codes today; try again tomorrow",
        field="phone",
        status=429,
        extra={"retry_after": retry_after},
    )


def code_format() -> AccountError:
    return AccountError(
        "code_format", "请输入6位数字验证码", "Enter the 6-digit code", field="code"
    )


def code_missing() -> AccountError:
    return AccountError(
        "code_missing",
        "请先获取短信验证码",
        "Request a code by SMS first",
        field="code",
    )


def code_expired() -> AccountError:
    return AccountError(
        "code_expired",
        "验证码已过期，请重新获取",
        "The code has expired; request a new one",
        field="code",
    )


def code_used() -> AccountError:
    return AccountError(
        "code_used",
        "验证码已使用，请重新获取",
        "The code has already been used; request a new one",
        field="code",
    )


def code_attempts() -> AccountError:
    return AccountError(
        "code_attempts",
        "验证码输入错误次数过多，请重新获取",
        "Too many wrong entries for this code; request a new one",
        field="code",
    )


def code_wrong(attempts_left: int) -> AccountError:
    return AccountError(
        "code_wrong",
        f"验证码不正确，还可尝试{attempts_left}次",
        f"The code is not correct; {attempts_left} tries left",
        field="code",
    )

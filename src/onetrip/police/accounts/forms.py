"""The workbench log-in form: Django's authentication plus per-username lockout (MLPS-3 b)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User

from .errors import LoginLocked
from .services import (
    login_check_not_locked,
    login_lockout,
    login_max_failures,
    login_record_failure,
    login_record_success,
)


def _bilingual(zh: str, en: str) -> str:
    return f"{zh} ({en})"


class StaffAuthenticationForm(AuthenticationForm):
    """Refuses a locked username before looking at the password, counts each wrong password,
    and admits only users with a staff profile."""

    error_messages = {
        "invalid_login": _bilingual(
            "用户名或密码错误。连续失败%(max)s次将锁定%(minutes)s分钟",
            "Wrong username or password. %(max)s failures in a row lock the account for "
            "%(minutes)s minutes",
        ),
        "inactive": _bilingual("该账户已停用", "This account is disabled"),
        "not_staff": _bilingual("该账户未配置民警岗位", "This account has no staff role"),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        try:
            login_check_not_locked(username=username)
        except LoginLocked as exc:
            raise forms.ValidationError(
                _bilingual(exc.message_zh, exc.message_en), code="locked"
            ) from exc
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            login_record_failure(username=username)
            try:
                login_check_not_locked(username=username)
            except LoginLocked as exc:
                raise forms.ValidationError(
                    _bilingual(exc.message_zh, exc.message_en), code="locked"
                ) from exc
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        login_record_success(username=username)
        return self.cleaned_data

    def get_invalid_login_error(self) -> forms.ValidationError:
        return forms.ValidationError(
            self.error_messages["invalid_login"],
            code="invalid_login",
            params={
                "max": login_max_failures(),
                "minutes": int(login_lockout().total_seconds() // 60),
            },
        )

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if not hasattr(user, "staff_profile"):
            raise forms.ValidationError(self.error_messages["not_staff"], code="not_staff")

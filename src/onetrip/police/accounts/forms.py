"""The workbench log-in forms: Django's authentication plus per-username lockout (MLPS-3 b),
the second factor's code (MLPS-3 d), and the password change (MLPS-3 a)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext

from .errors import StaffError
from .services import staff_login


def _bilingual(zh: str, en: str) -> str:
    return f"{zh} ({en})"


class StaffAuthenticationForm(AuthenticationForm):
    """Django's log-in form with the rules of :func:`staff_login` (lockout, staff only).

    The log-in page shows both languages: the officer has not chosen one yet."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        try:
            self.user_cache = staff_login(
                request=self.request, username=username, password=password
            )
        except StaffError as exc:
            raise forms.ValidationError(
                _bilingual(exc.message_zh, exc.message_en), code=exc.code
            ) from exc
        return self.cleaned_data


class TokenForm(forms.Form):
    """The six digits an authenticator shows; only their shape is checked here."""

    token = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        error_messages={
            "required": _bilingual("请输入6位验证码", "Enter the 6-digit code"),
            "invalid": _bilingual("验证码是6位数字", "The code is 6 digits"),
        },
    )


class PasswordChangeForm(forms.Form):
    """The officer's own password change; the rules are `staff_change_password`'s."""

    old = forms.CharField(strip=False, widget=forms.PasswordInput)
    new = forms.CharField(strip=False, widget=forms.PasswordInput, max_length=128)
    new_again = forms.CharField(strip=False, widget=forms.PasswordInput, max_length=128)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new") and data.get("new_again") and data["new"] != data["new_again"]:
            self.add_error("new_again", gettext("两次输入的新密码不一致"))
        return data

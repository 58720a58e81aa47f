"""The workbench log-in form: Django's authentication plus per-username lockout (MLPS-3 b)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

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

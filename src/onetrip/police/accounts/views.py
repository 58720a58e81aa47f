"""Log-in and log-out of the police workbench."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import resolve_url

from .forms import StaffAuthenticationForm

DJANGO_DEFAULT_LOGIN_REDIRECT = "/accounts/profile/"


class StaffLoginView(auth_views.LoginView):
    template_name = "police_accounts/login.html"
    authentication_form = StaffAuthenticationForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        """``LOGIN_REDIRECT_URL`` when the deployment sets one, else the workbench home."""
        target = settings.LOGIN_REDIRECT_URL
        if target == DJANGO_DEFAULT_LOGIN_REDIRECT:
            target = "/"
        return resolve_url(target)


class StaffLogoutView(auth_views.LogoutView):
    """POST only (Django's rule), then back to the log-in page."""

    def get_default_redirect_url(self) -> str:
        return resolve_url(settings.LOGOUT_REDIRECT_URL or settings.LOGIN_URL)

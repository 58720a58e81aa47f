"""Log-in and log-out of the police workbench: the password, then — where there is one or the
role needs one — the authenticator's code or its enrolment (MLPS-3 b, d)."""

from __future__ import annotations

import base64

import segno
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from .errors import StaffError
from .forms import StaffAuthenticationForm, TokenForm
from .selectors import LoginStep, staff_login_step
from .services import (
    staff_login_second_factor,
    staff_totp_enrol_begin,
    staff_totp_enrol_confirm,
)
from .staff_session import pending_begin, pending_get, session_begin

DJANGO_DEFAULT_LOGIN_REDIRECT = "/accounts/profile/"


def _bilingual(exc: StaffError) -> str:
    return f"{exc.message_zh} ({exc.message_en})"


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

    def form_valid(self, form: StaffAuthenticationForm) -> HttpResponse:  # type: ignore[override]
        """The password was right: log in, or ask for the second factor first."""
        user = form.get_user()
        step = staff_login_step(user=user)
        if step == LoginStep.DONE:
            session_begin(self.request, user)
            return redirect(self.get_success_url())
        pending_begin(self.request, user, next_url=self.get_success_url())
        return redirect("police_accounts:otp" if step == LoginStep.OTP else "police_accounts:enrol")


class StaffLogoutView(auth_views.LogoutView):
    """POST only (Django's rule), then back to the log-in page."""

    def get_default_redirect_url(self) -> str:
        return resolve_url(settings.LOGOUT_REDIRECT_URL or settings.LOGIN_URL)


def _expired(request: HttpRequest) -> HttpResponse:
    return redirect(settings.LOGIN_URL)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def otp(request: HttpRequest) -> HttpResponse:
    """The authenticator's code after an accepted password."""
    pending = pending_get(request)
    if pending is None:
        return _expired(request)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = staff_login_second_factor(user=pending.user, token=form.cleaned_data["token"])
        except StaffError as exc:
            form.add_error("token", _bilingual(exc))
        else:
            session_begin(request, pending.user, device=device)
            return redirect(pending.next_url)
    return render(request, "police_accounts/otp.html", {"form": form, "user_name": pending.user})


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (segno); made here from our own URI and
    segno's markup, so safe to put on the page as it is."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#1b1b1b")
    return mark_safe(svg)  # noqa: S308


def grouped_secret(device: TOTPDevice) -> str:
    """The device's key in base32, in groups of four, for typing into an authenticator."""
    secret = base64.b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator: its QR code (and key, to type in), then its first code. A role
    that needs a second factor gets here after its password and can do nothing else."""
    pending = pending_get(request)
    if pending is None:
        return _expired(request)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = staff_totp_enrol_confirm(user=pending.user, token=form.cleaned_data["token"])
        except StaffError as exc:
            form.add_error("token", _bilingual(exc))
        else:
            session_begin(request, pending.user, device=device)
            return redirect(pending.next_url)
    device = staff_totp_enrol_begin(user=pending.user)
    return render(
        request,
        "police_accounts/enrol.html",
        {
            "form": form,
            "user_name": pending.user,
            "qr_svg": qr_svg(device.config_url),
            "secret": grouped_secret(device),
        },
    )

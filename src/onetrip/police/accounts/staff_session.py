"""The staff session's own bookkeeping: when it began, when it was last used, whether the
password must be changed first, and the log-in waiting for its second factor.

Kept in the session (signed, server-side), so the per-request checks of
`middleware.StaffSessionMiddleware` cost no query. A log-in whose password was accepted but
whose second factor is still due is *pending*: the user is not logged in at all until the code
is right, so every page and the API treat the session as anonymous meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import login
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .selectors import staff_password_expired

STARTED_AT = "onetrip_staff_started_at"
LAST_SEEN_AT = "onetrip_staff_last_seen_at"
PASSWORD_CHANGE_DUE = "onetrip_staff_password_change_due"  # noqa: S105 - a session key
PENDING = "onetrip_staff_pending"

#: How long a password stays good for its second factor.
PENDING_SECONDS = 300


def now_ts() -> float:
    return timezone.now().timestamp()


def session_begin(request: HttpRequest, user: User, *, device: TOTPDevice | None = None) -> None:
    """Log ``user`` in (after every factor), with the device that verified them, and start
    the idle and absolute clocks; a password past its age is to be changed first."""
    request.session.pop(PENDING, None)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if device is not None:
        otp_login(request, device)
    now = now_ts()
    request.session[STARTED_AT] = now
    request.session[LAST_SEEN_AT] = now
    if staff_password_expired(user=user):
        request.session[PASSWORD_CHANGE_DUE] = True


@dataclass(frozen=True)
class PendingLogin:
    user: User
    next_url: str


def pending_begin(request: HttpRequest, user: User, *, next_url: str) -> None:
    """Remember a user whose password was accepted, for the second-factor page."""
    request.session.cycle_key()
    request.session[PENDING] = {"user_id": user.pk, "at": now_ts(), "next": next_url}


def pending_get(request: HttpRequest) -> PendingLogin | None:
    """The pending log-in, if any and still fresh, with a user who may still log in."""
    data = request.session.get(PENDING)
    if not isinstance(data, dict):
        return None
    if now_ts() - float(data.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    user = User.objects.filter(pk=int(data.get("user_id") or 0), is_active=True).first()
    if user is None:
        request.session.pop(PENDING, None)
        return None
    return PendingLogin(user=user, next_url=str(data.get("next") or "/"))


def pending_clear(request: HttpRequest) -> None:
    request.session.pop(PENDING, None)

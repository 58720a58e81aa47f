"""Staff sessions end on their own (MLPS-3 b) and a password past its age is changed first
(MLPS-3 a). Police zone only; a request without a staff log-in passes untouched."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from onetrip.police.audit.services import audit_record

from .errors import StaffError
from .selectors import staff_profiles_kept_for_request
from .staff_session import LAST_SEEN_AT, PASSWORD_CHANGE_DUE, STARTED_AT, now_ts

# The last-seen time is written at most this often, so a busy session is not saved on every
# request; the idle limit is in minutes, so this costs no precision that matters.
TOUCH_EVERY_SECONDS = 60
API_PREFIX = "/api/"
ALWAYS_OPEN_PREFIXES = ("/static/", "/i18n/")


class StaffProfilePerRequestMiddleware:
    """Read each officer's profile once per request (`staff_profile`), however many views,
    selectors, services and templates ask for it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with staff_profiles_kept_for_request():
            return self.get_response(request)


class StaffSessionMiddleware:
    """End a staff session after ``ONETRIP_STAFF_IDLE_MINUTES`` without a request or
    ``ONETRIP_STAFF_SESSION_MAX_HOURS`` after it began, whatever the activity; the next page
    is the log-in page saying "登录已超时，请重新登录" and the API answers 401. While the
    password must be changed, every page but the change page and log-out leads there."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            answer = self._check(request)
            if answer is not None:
                return answer
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        session = request.session
        now = now_ts()
        started = float(session.get(STARTED_AT) or now)
        last_seen = float(session.get(LAST_SEEN_AT) or now)
        reason = ""
        if now - last_seen > settings.ONETRIP_STAFF_IDLE_MINUTES * 60:
            reason = "idle"
        elif now - started > settings.ONETRIP_STAFF_SESSION_MAX_HOURS * 3600:
            reason = "max_age"
        if reason:
            return self._end(request, reason)
        if STARTED_AT not in session:
            session[STARTED_AT] = started
        if now - last_seen >= TOUCH_EVERY_SECONDS or LAST_SEEN_AT not in session:
            session[LAST_SEEN_AT] = now
        if session.get(PASSWORD_CHANGE_DUE):
            return self._password_first(request)
        return None

    def _end(self, request: HttpRequest, reason: str) -> HttpResponse | None:
        username = request.user.get_username() if request.user.is_authenticated else ""
        logout(request)
        if username:
            audit_record(
                actor=username,
                action="session.timeout",
                object_type="staff_account",
                object_id=username,
                detail={"reason": reason},
            )
        if request.path.startswith(API_PREFIX):
            return None  # now anonymous: the API answers 401 in its own words
        messages.warning(request, _("登录已超时，请重新登录"))
        return HttpResponseRedirect(f"{settings.LOGIN_URL}?next={quote(request.get_full_path())}")

    def _password_first(self, request: HttpRequest) -> HttpResponse | None:
        urlconf = getattr(request, "urlconf", None)
        try:
            change = reverse("workbench:password_change", urlconf=urlconf)
            open_paths = {change, reverse("police_accounts:logout", urlconf=urlconf)}
        except NoReverseMatch:
            return None  # a URL configuration without the workbench
        path = request.path
        if path in open_paths or path.startswith(ALWAYS_OPEN_PREFIXES):
            return None
        if path.startswith(API_PREFIX):
            error = StaffError(
                "password_change_due",
                "密码已超过有效期，请先在工作台修改密码",
                "The password has expired; change it on the workbench first",
                status=403,
            )
            return JsonResponse(error.as_body(), status=error.status)
        return HttpResponseRedirect(change)

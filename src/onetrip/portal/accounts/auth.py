"""The signed-in resident in the session: log in, log out, look up, require."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import rotate_token
from django.urls import reverse

from .models import Resident

# django.contrib.auth belongs to the police zone (staff); residents use their own session key.
SESSION_KEY = "portal_resident_id"
_CACHE_ATTR = "_portal_resident"


def resident_login(request: HttpRequest, resident: Resident) -> None:
    """Put `resident` in the session under a new session key (no session fixation)."""
    if request.session.get(SESSION_KEY) not in (None, str(resident.pk)):
        request.session.flush()
    else:
        request.session.cycle_key()
    request.session[SESSION_KEY] = str(resident.pk)
    rotate_token(request)
    setattr(request, _CACHE_ATTR, resident)


def resident_logout(request: HttpRequest) -> None:
    request.session.flush()
    setattr(request, _CACHE_ATTR, None)


def current_resident(request: HttpRequest) -> Resident | None:
    """The signed-in resident, or None. Looked up once per request."""
    if hasattr(request, _CACHE_ATTR):
        return getattr(request, _CACHE_ATTR)  # type: ignore[no-any-return]
    resident = None
    raw = request.session.get(SESSION_KEY)
    if raw:
        try:
            resident = Resident.objects.filter(pk=uuid.UUID(str(raw))).first()
        except ValueError:
            resident = None
    setattr(request, _CACHE_ATTR, resident)
    return resident


def resident_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send a visitor who is not signed in to the login page, and back here afterwards."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if current_resident(request) is None:
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('portal_accounts:login')}?{query}")
        return view(request, *args, **kwargs)

    return wrapper

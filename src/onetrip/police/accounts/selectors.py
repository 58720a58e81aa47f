"""Reads for staff accounts: a user's profile, the stations their role lets them see, the
second factor and password age of a log-in, and what each administrator may do (MLPS-10)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Max
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from onetrip.police.stations.models import Station

from .lockout import cool_off, failure_limit, normalize_username
from .models import STATION_ROLES, TOTP_REQUIRED_ROLES, Role, StaffProfile

# Within one request the profile is read once: a workbench page asks for it from its view, its
# selectors, its services and the header alike. Outside a request nothing is kept, so a service
# called twice around a change of role sees the change.
_REQUEST_PROFILES: ContextVar[dict[int, StaffProfile | None] | None] = ContextVar(
    "staff_profiles", default=None
)


@contextmanager
def staff_profiles_kept_for_request() -> Iterator[None]:
    token = _REQUEST_PROFILES.set({})
    try:
        yield
    finally:
        _REQUEST_PROFILES.reset(token)


def staff_profile(user: Any) -> StaffProfile | None:
    """The staff profile of ``user``, or None (anonymous, or a user who is not staff)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    kept = _REQUEST_PROFILES.get()
    if kept is not None and user.pk in kept:
        return kept[user.pk]
    # `get`, not `first`: one profile per user, and `first` would order by the model's
    # ordering (the username), joining the user table on every request for nothing.
    try:
        profile: StaffProfile | None = StaffProfile.objects.select_related("station").get(
            user_id=user.pk
        )
    except StaffProfile.DoesNotExist:
        profile = None
    if kept is not None:
        kept[user.pk] = profile
    return profile


def station_codes_in_scope(profile: StaffProfile) -> set[str] | None:
    """The station codes a staff member may work on; None means the whole city.

    Station roles see their own station, a district administrator every station of the district,
    a city administrator everything; the system, security and audit administrators no station
    at all (they never see case data, MLPS-10).
    """
    if profile.role == Role.CITY_ADMIN:
        return None
    if profile.role == Role.DISTRICT_ADMIN:
        return set(
            Station.objects.filter(district_code=profile.district_code).values_list(
                "code", flat=True
            )
        )
    if profile.role in STATION_ROLES and profile.station is not None:
        return {profile.station.code}
    return set()


def staff_of_station(station: Station) -> list[StaffProfile]:
    return list(StaffProfile.objects.filter(station=station).select_related("user"))


def staff_may_operate_ferry(profile: StaffProfile | None) -> bool:
    """Whether a member of staff may see the ferry page and act on it: city administrators.

    The ferry carries every station's traffic, and its actions (release, discard, clear an
    alarm) bear on the whole city."""
    return profile is not None and profile.role == Role.CITY_ADMIN


def staff_may_manage_staff(profile: StaffProfile | None) -> bool:
    """The system administrator's duty: staff accounts and their scopes (MLPS-10)."""
    return profile is not None and profile.role == Role.SYSTEM_ADMIN


def staff_may_administer_security(profile: StaffProfile | None) -> bool:
    """The security administrator's duty: locks, authenticators, the policy (MLPS-10)."""
    return profile is not None and profile.role == Role.SECURITY_ADMIN


def staff_may_read_audit(profile: StaffProfile | None) -> bool:
    """The audit administrator's duty: reading the audit log and checking its chain (MLPS-10)."""
    return profile is not None and profile.role == Role.AUDIT_ADMIN


# --- Log-in ---------------------------------------------------------------------------------


class LoginStep(StrEnum):
    """What follows an accepted password."""

    DONE = "done"  # no second factor: logged in
    OTP = "otp"  # a confirmed authenticator: its code
    ENROL = "enrol"  # the role needs one and there is none: enrol it first


def staff_totp_device(user: Any) -> TOTPDevice | None:
    """The user's confirmed authenticator, or None."""
    if user is None or user.pk is None:
        return None
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).order_by("pk").first()


def staff_totp_required(profile: StaffProfile | None) -> bool:
    """Whether the role must pass a second factor at every log-in (MLPS-3 d). Window clerks,
    reviewers and field officers may enrol one; once they have, it is asked for too."""
    return profile is not None and profile.role in TOTP_REQUIRED_ROLES


def staff_login_step(*, user: Any) -> LoginStep:
    """The step after the password: the code of a confirmed authenticator, or enrolment for a
    role that needs one, or nothing."""
    if staff_totp_device(user) is not None:
        return LoginStep.OTP
    profile = StaffProfile.objects.filter(user_id=user.pk).first()
    return LoginStep.ENROL if staff_totp_required(profile) else LoginStep.DONE


def staff_password_expired(*, user: Any, now: datetime | None = None) -> bool:
    """Whether the password is older than ``ONETRIP_STAFF_PASSWORD_MAX_DAYS`` (MLPS-3 a)."""
    changed = (
        StaffProfile.objects.filter(user_id=user.pk)
        .values_list("password_changed_at", flat=True)
        .first()
    )
    if changed is None:
        return False
    age = (now or timezone.now()) - changed
    return age > timedelta(days=settings.ONETRIP_STAFF_PASSWORD_MAX_DAYS)


def staff_security_policy() -> dict[str, int]:
    """The security policy in force, as the security administrator's page shows it. The values
    are deployment settings (environment variables), changed where the deployment is kept."""
    return {
        "login_max_failures": failure_limit(None, None),
        "login_lockout_minutes": int(cool_off().total_seconds() // 60),
        "idle_minutes": settings.ONETRIP_STAFF_IDLE_MINUTES,
        "session_max_hours": settings.ONETRIP_STAFF_SESSION_MAX_HOURS,
        "password_max_days": settings.ONETRIP_STAFF_PASSWORD_MAX_DAYS,
    }


def staff_for_administration() -> list[StaffProfile]:
    """Every staff account with its user and station, for the administrators' lists."""
    return list(StaffProfile.objects.select_related("user", "station").order_by("user__username"))


def staff_user(username: str) -> User | None:
    """The User of the staff account ``username``, or None (no such staff member)."""
    profile = StaffProfile.objects.select_related("user").filter(user__username=username).first()
    return profile.user if profile else None


def staff_with_totp() -> set[int]:
    """The user ids that have a confirmed authenticator."""
    return set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))


def login_locked_until(*, username: str) -> datetime | None:
    """When the log-in lock on ``username`` ends, or None when it is not locked: the lock
    lasts the cool-off from the failure that completed the count (`lockout`)."""
    attempts = AccessAttempt.objects.filter(
        username=normalize_username(username), attempt_time__gt=timezone.now() - cool_off()
    )
    if sum(a.failures_since_start for a in attempts) < failure_limit(None, None):
        return None
    last = attempts.aggregate(last=Max("attempt_time"))["last"]
    return last + cool_off() if last else None


def login_locked_usernames() -> list[tuple[str, int]]:
    """(username key, failures) of the usernames locked now, for the security administrator."""
    threshold = timezone.now() - cool_off()
    counts: dict[str, int] = {}
    for username, failures in AccessAttempt.objects.filter(
        attempt_time__gt=threshold, username__isnull=False
    ).values_list("username", "failures_since_start"):
        counts[username] = counts.get(username, 0) + failures
    limit = failure_limit(None, None)
    return sorted((u, n) for u, n in counts.items() if n >= limit)

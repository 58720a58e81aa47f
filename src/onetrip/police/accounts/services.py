"""Writes for staff accounts: creating staff with a valid scope, log-in with lockout (MLPS-3)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone

from onetrip.common import divisions
from onetrip.common.db import atomic_for
from onetrip.police.audit.services import audit_record
from onetrip.police.stations.models import Station

from .errors import LoginLocked, LoginRefused, StaffError
from .models import STATION_ROLES, LoginThrottle, Role, StaffProfile


def staff_check_scope(*, role: str, station: Station | None, district_code: str) -> None:
    """Raise :class:`StaffError` unless the scope fits the role.

    Station roles (受理, 审核, 审批, 所管理员, 现场办) need a station and no district; a district
    administrator needs a current district code and no station; a city administrator neither.
    """
    if role not in Role.values:
        raise StaffError("staff_role_unknown", f"未知岗位 {role}", f"Unknown role {role}")
    if role in STATION_ROLES:
        if station is None or station.pk is None:
            raise StaffError(
                "staff_station_required",
                "该岗位必须指定派出所",
                "This role needs a police station",
            )
        if district_code:
            raise StaffError(
                "staff_district_not_allowed",
                "派出所岗位不能指定分局",
                "A station role takes no district",
            )
        return
    if station is not None:
        raise StaffError(
            "staff_station_not_allowed",
            "管理员岗位不能指定派出所",
            "An administrator role takes no station",
        )
    if role == Role.DISTRICT_ADMIN:
        district = divisions.district(district_code) if district_code else None
        if district is None or not district.current:
            raise StaffError(
                "staff_district_required",
                "分局管理员必须指定现行区县代码",
                "A district administrator needs a current district code",
            )
    elif district_code:
        raise StaffError(
            "staff_district_not_allowed",
            "市局管理员不能指定分局",
            "A city administrator takes no district",
        )


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        detail = "; ".join(str(m) for m in exc.messages)
        raise StaffError(
            "staff_password_invalid",
            f"密码不符合要求: {detail}",
            f"The password does not meet the rules: {detail}",
        ) from exc


def staff_create(
    *,
    username: str,
    password: str,
    full_name: str,
    role: str,
    station: Station | None = None,
    district_code: str = "",
) -> User:
    """Create a staff member: a User with a usable password and a StaffProfile whose scope fits
    the role (:func:`staff_check_scope`). Raises :class:`StaffError`; nothing is written then."""
    staff_check_scope(role=role, station=station, district_code=district_code)
    if not full_name.strip():
        raise StaffError("staff_full_name_required", "请填写姓名", "The full name is required")
    username_field = User._meta.get_field("username")
    try:
        username_field.run_validators(username)
    except ValidationError as exc:
        raise StaffError(
            "staff_username_invalid", "用户名格式无效", "The username is not valid"
        ) from exc
    with atomic_for(StaffProfile):
        if User.objects.filter(username=username).exists():
            raise StaffError(
                "staff_username_taken", "用户名已被使用", "The username is already taken"
            )
        user = User(username=username)
        _check_password(password, user)
        user.set_password(password)
        user.save()
        StaffProfile.objects.create(
            user=user,
            full_name=full_name.strip(),
            role=role,
            station=station,
            district_code=district_code,
        )
    return user


def staff_change_scope(
    *, user: User, role: str, station: Station | None = None, district_code: str = ""
) -> StaffProfile:
    """Give an existing staff member another role and scope (validated like creation)."""
    staff_check_scope(role=role, station=station, district_code=district_code)
    with atomic_for(StaffProfile):
        profile = StaffProfile.objects.select_for_update().get(user=user)
        profile.role = role
        profile.station = station
        profile.district_code = district_code
        profile.save(update_fields=["role", "station", "district_code", "updated_at"])
    return profile


def staff_set_password(*, user: User, password: str) -> None:
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])


def staff_ensure(
    *,
    username: str,
    password: str,
    full_name: str,
    role: str,
    station: Station | None = None,
    district_code: str = "",
) -> tuple[User, bool]:
    """Create the staff member, or bring an existing one to this role, scope and password and
    make the account active again; returns the user and whether it was created.

    For reference accounts a deployment keeps in a known state (the demo staff); the scope and
    the password are checked as in :func:`staff_create`."""
    staff_check_scope(role=role, station=station, district_code=district_code)
    with atomic_for(StaffProfile):
        user = User.objects.filter(username=username).first()
        if user is None:
            return staff_create(
                username=username,
                password=password,
                full_name=full_name,
                role=role,
                station=station,
                district_code=district_code,
            ), True
        StaffProfile.objects.get_or_create(
            user=user,
            defaults={"full_name": full_name.strip(), "role": Role.CITY_ADMIN},
        )
        staff_change_scope(user=user, role=role, station=station, district_code=district_code)
        if not user.check_password(password) or not user.is_active:
            staff_set_password(user=user, password=password)
            user.is_active = True
            user.save(update_fields=["is_active"])
    return user, False


# --- Login throttling (MLPS-3 b) ------------------------------------------------------------


def login_max_failures() -> int:
    return int(settings.ONETRIP_LOGIN_MAX_FAILURES)


def login_lockout() -> timedelta:
    return timedelta(seconds=int(settings.ONETRIP_LOGIN_LOCKOUT_SECONDS))


def staff_login(*, request: HttpRequest | None, username: str, password: str) -> User:
    """Check a workbench log-in and return the staff user; raise `LoginLocked` or `LoginRefused`.

    A locked username is refused before the password is looked at, so even the right password
    does not open it. Each attempt takes its place in the count under the throttle row's lock
    before the password is checked, so parallel guesses get no more tries than serial ones;
    a success clears the count. Only users with a staff profile get in. Every outcome is
    audited."""
    last_try = _login_attempt_take(username=username, now=timezone.now())
    user = authenticate(request, username=username, password=password)
    if user is None:
        audit_record(
            actor=username[:150],
            action="login.locked" if last_try else "login.failure",
            object_type="staff_account",
            object_id=username[:150],
            success=False,
        )
        if last_try:
            login_check_not_locked(username=username)
        minutes = int(login_lockout().total_seconds() // 60)
        raise LoginRefused(
            "invalid_login",
            f"用户名或密码错误。连续失败{login_max_failures()}次将锁定{minutes}分钟",
            f"Wrong username or password. {login_max_failures()} failures in a row lock the "
            f"account for {minutes} minutes",
        )
    if not StaffProfile.objects.filter(user_id=user.pk).exists():
        raise LoginRefused("not_staff", "该账户未配置民警岗位", "This account has no staff role")
    login_record_success(username=username)
    assert isinstance(user, User)
    return user


def _login_attempt_take(*, username: str, now: datetime) -> bool:
    """Count this attempt as a failure until it proves otherwise; True when it is the last try
    before the lock (the lock is set now and a success lifts it). Raises `LoginLocked`."""
    key = _throttle_key(username)
    with atomic_for(StaffProfile):
        LoginThrottle.objects.get_or_create(username=key)
        throttle = LoginThrottle.objects.select_for_update().get(username=key)
        if throttle.locked_until and throttle.locked_until > now:
            minutes = max(1, math.ceil((throttle.locked_until - now).total_seconds() / 60))
            raise LoginLocked(throttle.locked_until, minutes)
        stale = throttle.last_failure_at is None or now - throttle.last_failure_at > login_lockout()
        throttle.failures = 1 if stale else throttle.failures + 1
        throttle.last_failure_at = now
        last_try = throttle.failures >= login_max_failures()
        if last_try:
            throttle.locked_until = now + login_lockout()
            throttle.failures = 0
        throttle.save()
    return last_try


def _throttle_key(username: str) -> str:
    return username.strip().lower()[:150]


def login_check_not_locked(*, username: str, now: datetime | None = None) -> None:
    """Raise :class:`LoginLocked` while ``username`` is locked. Call before checking a password:
    a locked account is refused even with the right password."""
    now = now or timezone.now()
    throttle = LoginThrottle.objects.filter(username=_throttle_key(username)).first()
    if throttle and throttle.locked_until and throttle.locked_until > now:
        minutes = max(1, math.ceil((throttle.locked_until - now).total_seconds() / 60))
        raise LoginLocked(throttle.locked_until, minutes)


def login_record_failure(*, username: str, now: datetime | None = None) -> LoginThrottle:
    """Count a failed log-in. The ``ONETRIP_LOGIN_MAX_FAILURES``-th (default 5) consecutive
    failure locks the username for ``ONETRIP_LOGIN_LOCKOUT_SECONDS`` (default 15 minutes);
    failures further apart than that window start a new count. Unknown usernames are counted
    exactly like real ones."""
    now = now or timezone.now()
    key = _throttle_key(username)
    with atomic_for(StaffProfile):
        LoginThrottle.objects.get_or_create(username=key)
        throttle = LoginThrottle.objects.select_for_update().get(username=key)
        stale = throttle.last_failure_at is None or now - throttle.last_failure_at > login_lockout()
        throttle.failures = 1 if stale else throttle.failures + 1
        throttle.last_failure_at = now
        locked = throttle.failures >= login_max_failures()
        if locked:
            throttle.locked_until = now + login_lockout()
            throttle.failures = 0
        throttle.save()
        audit_record(
            actor=username[:150],
            action="login.locked" if locked else "login.failure",
            object_type="staff_account",
            object_id=username[:150],
            success=False,
        )
    return throttle


def login_record_success(*, username: str) -> None:
    """A successful log-in clears the failure count and is audited (MLPS-5)."""
    with atomic_for(StaffProfile):
        LoginThrottle.objects.filter(username=_throttle_key(username)).delete()
        audit_record(
            actor=username,
            action="login.success",
            object_type="staff_account",
            object_id=username,
        )


def login_throttle_prune(*, now: datetime | None = None) -> int:
    """Delete throttle rows that neither lock nor count any more; returns how many."""
    now = now or timezone.now()
    deleted, _ = (
        LoginThrottle.objects.filter(last_failure_at__lt=now - login_lockout())
        .exclude(locked_until__gt=now)
        .delete()
    )
    return deleted

"""Writes for staff accounts: creating staff with a valid scope, log-in with lockout and a
second factor, password changes, and the duties of the three administrators (MLPS-3, MLPS-4,
MLPS-10). Every security-relevant outcome writes an audit row (MLPS-5)."""

from __future__ import annotations

import math
from typing import TypedDict

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from onetrip.common import divisions
from onetrip.common.db import atomic_for
from onetrip.police.audit.services import audit_actor, audit_record
from onetrip.police.stations.models import Station

from .errors import LoginLocked, LoginRefused, StaffError
from .lockout import attempts_of_one_username, cool_off, failure_limit, normalize_username
from .models import ADMINISTRATOR_ROLES, CITY_ROLES, STATION_ROLES, Role, StaffProfile
from .selectors import (
    LoginStep,
    login_locked_until,
    staff_login_step,
    staff_may_administer_security,
    staff_may_manage_staff,
    staff_profile,
)


def staff_check_scope(*, role: str, station: Station | None, district_code: str) -> None:
    """Raise :class:`StaffError` unless the scope fits the role.

    Station roles (受理, 审核, 审批, 所管理员, 现场办) need a station and no district; a district
    administrator needs a current district code and no station; a city administrator and the
    three security administrators (MLPS-10) neither.
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
        assert role in CITY_ROLES
        raise StaffError(
            "staff_district_not_allowed",
            "全市岗位（市局管理员，系统、安全、审计管理员）不能指定分局",
            "A city-wide role (city, system, security or audit administrator) takes no district",
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
    return _staff_create(
        username=username,
        password=password,
        full_name=full_name,
        role=role,
        station=station,
        district_code=district_code,
        password_rules=True,
    )


def _staff_create(
    *,
    username: str,
    password: str,
    full_name: str,
    role: str,
    station: Station | None,
    district_code: str,
    password_rules: bool,
) -> User:
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
        if password_rules:
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


def staff_set_password(*, user: User, password: str, password_rules: bool = True) -> None:
    """Set the password (checked against AUTH_PASSWORD_VALIDATORS) and restart its age.

    ``password_rules=False`` is for the published demo password only (`staff_ensure`)."""
    if password_rules:
        _check_password(password, user)
    with atomic_for(StaffProfile):
        user.set_password(password)
        user.save(update_fields=["password"])
        StaffProfile.objects.filter(user=user).update(
            password_changed_at=timezone.now(), updated_at=timezone.now()
        )


def staff_ensure(
    *,
    username: str,
    password: str,
    full_name: str,
    role: str,
    station: Station | None = None,
    district_code: str = "",
    password_rules: bool = True,
) -> tuple[User, bool]:
    """Create the staff member, or bring an existing one to this role, scope and password and
    make the account active again; returns the user and whether it was created.

    For reference accounts a deployment keeps in a known state (the demo staff); the scope and
    the password are checked as in :func:`staff_create`. ``password_rules=False`` keeps the
    published demo password of `load_demo_staff`, which no rule could make secret; nothing
    else passes it."""
    staff_check_scope(role=role, station=station, district_code=district_code)
    with atomic_for(StaffProfile):
        user = User.objects.filter(username=username).first()
        if user is None:
            return _staff_create(
                username=username,
                password=password,
                full_name=full_name,
                role=role,
                station=station,
                district_code=district_code,
                password_rules=password_rules,
            ), True
        StaffProfile.objects.get_or_create(
            user=user,
            defaults={"full_name": full_name.strip(), "role": Role.CITY_ADMIN},
        )
        staff_change_scope(user=user, role=role, station=station, district_code=district_code)
        if not user.check_password(password) or not user.is_active:
            staff_set_password(user=user, password=password, password_rules=password_rules)
            user.is_active = True
            user.save(update_fields=["is_active"])
    return user, False


# --- Log-in: lockout by django-axes (MLPS-3 b), second factor (MLPS-3 d) ---------------------


class _AuditObject(TypedDict):
    object_type: str
    object_id: str


def _account(username: str) -> _AuditObject:
    """The audit row's object: the account as typed, known or not."""
    return {"object_type": "staff_account", "object_id": username[:150] or "-"}


def _locked(username: str) -> LoginLocked:
    until = login_locked_until(username=username) or timezone.now() + cool_off()
    minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    return LoginLocked(until, minutes)


def staff_login(*, request: HttpRequest | None, username: str, password: str) -> User:
    """Check a workbench log-in's password and return the staff user; raise `LoginLocked` or
    `LoginRefused`.

    django-axes counts the failures per username (`lockout`): the
    ``ONETRIP_LOGIN_MAX_FAILURES``-th in a row locks it for ``ONETRIP_LOGIN_LOCKOUT_SECONDS``,
    and while it is locked even the right password is refused before it is looked at. A right
    password clears the count. Only users with a staff profile get in. Every outcome is
    audited; when a second factor follows (`staff_login_step`), the password's success is
    ``login.password`` and the log-in's is written by `staff_login_second_factor`.

    Callers without a request (a command) get a bare one: the lock is per username only."""
    request = request if request is not None else HttpRequest()
    credentials = {"username": username}
    with attempts_of_one_username(username):
        allowed = AxesProxyHandler.is_allowed(request, credentials)
        user = authenticate(request, username=username, password=password) if allowed else None
    if not allowed:
        audit_record(
            actor=username[:150], action="login.blocked", success=False, **_account(username)
        )
        raise _locked(username)
    if user is None:
        locked = bool(getattr(request, "axes_locked_out", False))
        audit_record(
            actor=username[:150],
            action="login.locked" if locked else "login.failure",
            success=False,
            **_account(username),
        )
        if locked:
            raise _locked(username)
        minutes = int(cool_off().total_seconds() // 60)
        limit = failure_limit(None, None)
        raise LoginRefused(
            "invalid_login",
            f"用户名或密码错误。连续失败{limit}次将锁定{minutes}分钟",
            f"Wrong username or password. {limit} failures in a row lock the account for "
            f"{minutes} minutes",
        )
    assert isinstance(user, User)
    if not StaffProfile.objects.filter(user_id=user.pk).exists():
        raise LoginRefused("not_staff", "该账户未配置民警岗位", "This account has no staff role")
    AxesProxyHandler.reset_attempts(username=normalize_username(username))
    step = staff_login_step(user=user)
    audit_record(
        **audit_actor(user),
        action="login.success" if step == LoginStep.DONE else "login.password",
        detail={"factors": ["password"], "next": str(step)},
        **_account(user.get_username()),
    )
    return user


def _totp_refused(throttled: bool) -> StaffError:
    if throttled:
        return StaffError(
            "totp_throttled",
            "验证码错误次数过多，请稍候再试",
            "Too many wrong codes; wait a moment and try again",
            status=429,
        )
    return StaffError(
        "totp_invalid",
        "验证码错误或已使用，请输入验证器当前显示的6位数字",
        "Wrong or already used code; enter the 6 digits the authenticator shows now",
        field="token",
    )


def _verify(device: TOTPDevice, token: str) -> tuple[bool, bool]:
    """(accepted, throttled): django-otp refuses even the right code for a while after wrong
    ones (1 s, 2 s, 4 s, …) and never accepts a code twice."""
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return False, True
    return bool(device.verify_token(token.strip())), False


def staff_login_second_factor(*, user: User, token: str) -> TOTPDevice:
    """Check the TOTP code of a user whose password was accepted and return the device that
    accepted it; raise :class:`StaffError` otherwise. Audits the log-in's success or the wrong
    code. A wrong code is counted by the device (django-otp's growing delay), in its own
    transaction, so the count survives the refusal."""
    with atomic_for(StaffProfile):
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            raise StaffError("totp_not_enrolled", "尚未绑定验证器", "No authenticator is enrolled")
        accepted, throttled = _verify(device, token)
        audit_record(
            **audit_actor(user),
            action="login.success" if accepted else "login.otp_failure",
            success=accepted,
            detail={"factors": ["password", "totp"]} if accepted else {},
            **_account(user.get_username()),
        )
    if not accepted:
        raise _totp_refused(throttled)
    return device


def staff_totp_enrol_begin(*, user: User) -> TOTPDevice:
    """The authenticator being enrolled: the user's unconfirmed TOTP device, made once and
    shown again until a first code confirms it."""
    with atomic_for(StaffProfile):
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="workbench", confirmed=False)
    return device


def staff_totp_enrol_confirm(*, user: User, token: str) -> TOTPDevice:
    """Confirm the device of :func:`staff_totp_enrol_begin` with its first code; it replaces
    any earlier device (one authenticator per person). Audited either way."""
    with atomic_for(StaffProfile):
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None:
            raise StaffError(
                "totp_enrolment_missing",
                "绑定已失效，请重新扫描二维码",
                "The enrolment expired; scan the QR code again",
            )
        accepted, throttled = _verify(device, token)
        if accepted:
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
        audit_record(
            **audit_actor(user),
            action="totp.enrol",
            success=accepted,
            **_account(user.get_username()),
        )
    if not accepted:
        raise _totp_refused(throttled)
    return device


def staff_totp_demo_ensure(*, user: User, key_hex: str) -> TOTPDevice:
    """Give a demo account the published demo TOTP secret (`load_demo_staff`, demo only)."""
    with atomic_for(StaffProfile):
        device = TOTPDevice.objects.filter(user=user, confirmed=True, key=key_hex).first()
        if device is None:
            TOTPDevice.objects.filter(user=user).delete()
            device = TOTPDevice.objects.create(user=user, name="demo", key=key_hex, confirmed=True)
    return device


# --- Passwords (MLPS-3 a) --------------------------------------------------------------------


def staff_change_password(*, user: User, old_password: str, new_password: str) -> None:
    """The officer's own password change: the current password first, then a new one that
    meets the rules and differs from it; restarts the password's age. Audited either way."""
    problem: StaffError | None = None
    if not user.check_password(old_password):
        problem = StaffError(
            "password_old_wrong", "当前密码不正确", "The current password is wrong", field="old"
        )
    elif new_password == old_password:
        problem = StaffError(
            "password_unchanged",
            "新密码不能与当前密码相同",
            "The new password must differ from the current one",
            field="new",
        )
    else:
        try:
            _check_password(new_password, user)
        except StaffError as exc:
            problem = StaffError(exc.code, exc.message_zh, exc.message_en, field="new")
    with atomic_for(StaffProfile):
        if problem is None:
            staff_set_password(user=user, password=new_password)
        audit_record(
            **audit_actor(user),
            action="password.change",
            success=problem is None,
            detail={"refused": problem.code} if problem else {},
            **_account(user.get_username()),
        )
    if problem is not None:
        raise problem


# --- The three administrators (MLPS-10) ------------------------------------------------------


def _check_duty(actor: User, allowed: bool, duty: str) -> StaffProfile:
    profile = staff_profile(actor)
    if profile is None or not allowed:
        audit_record(
            **audit_actor(actor),
            action="duty.refused",
            object_type="duty",
            object_id=duty,
            success=False,
        )
        raise StaffError(
            "duty_not_yours",
            "您的岗位无权执行此操作",
            "Your role may not do this",
            status=403,
        )
    return profile


def _check_target(actor: User, target: User) -> StaffProfile:
    """A system administrator manages the operational staff: never an account of the three
    administrators (the deployment keeps those, `staff_ensure`), nor their own."""
    profile = StaffProfile.objects.filter(user=target).first()
    if profile is None or profile.role in ADMINISTRATOR_ROLES or target.pk == actor.pk:
        raise StaffError(
            "staff_target_not_allowed",
            "系统管理员不能管理本人或系统、安全、审计管理员的账户",
            "A system administrator manages neither their own account nor an administrator's",
            status=403,
        )
    return profile


def _scope_detail(role: str, station: Station | None, district_code: str) -> dict[str, str]:
    return {"role": role, "station": station.code if station else "", "district": district_code}


def staff_admin_create(
    *,
    actor: User,
    username: str,
    password: str,
    full_name: str,
    role: str,
    station: Station | None = None,
    district_code: str = "",
) -> User:
    """A system administrator creates an account of an operational role; audited."""
    _check_duty(actor, staff_may_manage_staff(staff_profile(actor)), "manage_staff")
    if role in ADMINISTRATOR_ROLES:
        raise StaffError(
            "staff_target_not_allowed",
            "系统管理员不能创建系统、安全、审计管理员账户",
            "A system administrator cannot create administrator accounts",
            status=403,
        )
    with atomic_for(StaffProfile):
        user = staff_create(
            username=username,
            password=password,
            full_name=full_name,
            role=role,
            station=station,
            district_code=district_code,
        )
        audit_record(
            **audit_actor(actor),
            action="staff.create",
            detail=_scope_detail(role, station, district_code),
            **_account(username),
        )
    return user


def staff_admin_change_scope(
    *, actor: User, user: User, role: str, station: Station | None = None, district_code: str = ""
) -> StaffProfile:
    """A system administrator gives an operational account another role and scope; audited."""
    _check_duty(actor, staff_may_manage_staff(staff_profile(actor)), "manage_staff")
    _check_target(actor, user)
    if role in ADMINISTRATOR_ROLES:
        raise StaffError(
            "staff_target_not_allowed",
            "系统管理员不能授予系统、安全、审计管理员岗位",
            "A system administrator cannot grant an administrator role",
            status=403,
        )
    with atomic_for(StaffProfile):
        profile = staff_change_scope(
            user=user, role=role, station=station, district_code=district_code
        )
        audit_record(
            **audit_actor(actor),
            action="staff.change_scope",
            detail=_scope_detail(role, station, district_code),
            **_account(user.get_username()),
        )
    return profile


def staff_admin_set_active(*, actor: User, user: User, active: bool) -> None:
    """A system administrator disables a surplus or expired account, or enables it again
    (MLPS-4); audited."""
    _check_duty(actor, staff_may_manage_staff(staff_profile(actor)), "manage_staff")
    _check_target(actor, user)
    with atomic_for(StaffProfile):
        User.objects.filter(pk=user.pk).update(is_active=active)
        audit_record(
            **audit_actor(actor),
            action="staff.activate" if active else "staff.deactivate",
            **_account(user.get_username()),
        )


def staff_security_unlock(*, actor: User, username: str) -> int:
    """A security administrator lifts the log-in lock of ``username`` before it ends by
    itself; returns how many failure records were cleared. Audited."""
    _check_duty(actor, staff_may_administer_security(staff_profile(actor)), "security")
    with atomic_for(StaffProfile):
        cleared = int(AxesProxyHandler.reset_attempts(username=normalize_username(username)))
        audit_record(
            **audit_actor(actor),
            action="login.unlock",
            detail={"cleared": cleared},
            **_account(normalize_username(username)),
        )
    return cleared


def staff_security_reset_totp(*, actor: User, user: User) -> int:
    """A security administrator removes a staff member's authenticators (a lost phone); the
    next log-in enrols a new one. Not their own: that would let a password alone replace the
    second factor. Returns how many devices went. Audited."""
    _check_duty(actor, staff_may_administer_security(staff_profile(actor)), "security")
    if user.pk == actor.pk:
        raise StaffError(
            "totp_reset_self",
            "不能重置本人的验证器，请由另一位安全管理员办理",
            "You cannot reset your own authenticator; ask another security administrator",
            status=403,
        )
    with atomic_for(StaffProfile):
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        audit_record(
            **audit_actor(actor),
            action="totp.reset",
            detail={"removed": removed},
            **_account(user.get_username()),
        )
    return int(removed)

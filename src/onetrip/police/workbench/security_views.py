"""Workbench pages of staff security: every officer's own password and authenticator
(MLPS-3 a, d), and the pages of the three administrators (MLPS-10) — staff accounts for the
system administrator, locks and authenticators for the security administrator, the audit log
and its chain for the audit administrator.

Each administrator's page answers 404 to anyone else, as out-of-scope pages do on the
workbench; the services check the duty again and audit every action.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import password_validators_help_texts
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from onetrip.common.audit_chain import AuditKeyError
from onetrip.common.errors import ApplicationError
from onetrip.police.accounts.forms import PasswordChangeForm, TokenForm
from onetrip.police.accounts.models import ADMINISTRATOR_ROLES, Role, StaffProfile
from onetrip.police.accounts.selectors import (
    login_locked_usernames,
    staff_for_administration,
    staff_may_administer_security,
    staff_may_manage_staff,
    staff_may_read_audit,
    staff_profile,
    staff_security_policy,
    staff_totp_device,
    staff_totp_required,
    staff_user,
    staff_with_totp,
)
from onetrip.police.accounts.services import (
    staff_admin_change_scope,
    staff_admin_create,
    staff_admin_set_active,
    staff_change_password,
    staff_security_reset_totp,
    staff_security_unlock,
    staff_totp_enrol_begin,
    staff_totp_enrol_confirm,
)
from onetrip.police.accounts.staff_session import PASSWORD_CHANGE_DUE
from onetrip.police.accounts.views import grouped_secret, qr_svg
from onetrip.police.audit.selectors import AuditQuery, AuditVerification
from onetrip.police.audit.services import audit_log_page_for_staff, audit_verify_for_staff
from onetrip.police.stations.selectors import station_by_code

#: Roles a system administrator gives: the operational ones, never the three administrators'.
OPERATIONAL_ROLES = [(v, label) for v, label in Role.choices if v not in ADMINISTRATOR_ROLES]


def _duty(request: HttpRequest, may: Callable[[StaffProfile | None], bool]) -> StaffProfile:
    profile = staff_profile(request.user)
    if profile is None or not may(profile):
        raise Http404(_("页面不存在"))
    return profile


# --- Every officer: password and authenticator -----------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """Change one's own password; the only page open while an expired one must be changed."""
    profile = _duty(request, lambda p: p is not None)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        assert isinstance(user, User)
        try:
            staff_change_password(
                user=user,
                old_password=form.cleaned_data["old"],
                new_password=form.cleaned_data["new"],
            )
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            update_session_auth_hash(request, user)
            request.session.pop(PASSWORD_CHANGE_DUE, None)
            messages.success(request, _("密码已修改"))
            return redirect("workbench:home")
    return render(
        request,
        "workbench/security/password.html",
        {
            "form": form,
            "profile": profile,
            "due": bool(request.session.get(PASSWORD_CHANGE_DUE)),
            "help_texts": _password_help(),
        },
    )


def _password_help() -> list[str]:
    return [str(text) for text in password_validators_help_texts()]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def authenticator(request: HttpRequest) -> HttpResponse:
    """One's own second factor: whether it is enrolled, and enrolment where it is not."""
    profile = _duty(request, lambda p: p is not None)
    user = request.user
    assert isinstance(user, User)
    device = staff_totp_device(user)
    form = TokenForm(request.POST or None)
    if device is None and request.method == "POST" and form.is_valid():
        try:
            device = staff_totp_enrol_confirm(user=user, token=form.cleaned_data["token"])
        except ApplicationError as exc:
            form.add_error("token", exc.message)
        else:
            otp_login(request, device)
            messages.success(request, _("验证器已绑定，今后登录须输入其验证码"))
            return redirect("workbench:authenticator")
    context: dict[str, object] = {
        "profile": profile,
        "device": device,
        "required": staff_totp_required(profile),
        "form": form,
    }
    if device is None:
        pending = staff_totp_enrol_begin(user=user)
        context.update(qr_svg=qr_svg(pending.config_url), secret=grouped_secret(pending))
    return render(request, "workbench/security/authenticator.html", context)


# --- System administrator: staff accounts ---------------------------------------------------


def _station(code: str) -> object:
    code = code.strip()
    return station_by_code(code) if code else None


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_accounts(request: HttpRequest) -> HttpResponse:
    """The system administrator's list of staff accounts, and the creation of one."""
    profile = _duty(request, staff_may_manage_staff)
    error = ""
    if request.method == "POST":
        data = request.POST
        station = _station(data.get("station", ""))
        try:
            if data.get("station", "").strip() and station is None:
                raise ApplicationError(
                    "station_unknown", "派出所代码不存在", "No station has this code"
                )
            staff_admin_create(
                actor=request.user,  # type: ignore[arg-type]
                username=data.get("username", "").strip(),
                password=data.get("password", ""),
                full_name=data.get("full_name", ""),
                role=data.get("role", ""),
                station=station,  # type: ignore[arg-type]
                district_code=data.get("district_code", "").strip(),
            )
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, _("账户已创建"))
            return redirect("workbench:staff_accounts")
    return render(
        request,
        "workbench/security/staff.html",
        {
            "profile": profile,
            "rows": staff_for_administration(),
            "roles": OPERATIONAL_ROLES,
            "administrator_roles": ADMINISTRATOR_ROLES,
            "error": error,
            "posted": request.POST if error else {},
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def staff_account_change(request: HttpRequest, username: str) -> HttpResponse:
    """The system administrator changes an account's role and scope, or disables or enables it."""
    _duty(request, staff_may_manage_staff)
    target = _target(username)
    data = request.POST
    try:
        if data.get("action") in ("activate", "deactivate"):
            staff_admin_set_active(
                actor=request.user,  # type: ignore[arg-type]
                user=target,
                active=data["action"] == "activate",
            )
        else:
            station = _station(data.get("station", ""))
            if data.get("station", "").strip() and station is None:
                raise ApplicationError(
                    "station_unknown", "派出所代码不存在", "No station has this code"
                )
            staff_admin_change_scope(
                actor=request.user,  # type: ignore[arg-type]
                user=target,
                role=data.get("role", ""),
                station=station,  # type: ignore[arg-type]
                district_code=data.get("district_code", "").strip(),
            )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("账户已更新"))
    return redirect("workbench:staff_accounts")


def _target(username: str) -> User:
    target = staff_user(username)
    if target is None:
        raise Http404(_("页面不存在"))
    return target


# --- Security administrator: locks, authenticators, policy ----------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def security_admin(request: HttpRequest) -> HttpResponse:
    """The security administrator's page: the policy in force, locked usernames, and who has
    an authenticator."""
    profile = _duty(request, staff_may_administer_security)
    with_totp = staff_with_totp()
    rows = [
        {"profile": p, "has_totp": p.user_id in with_totp, "required": staff_totp_required(p)}
        for p in staff_for_administration()
    ]
    return render(
        request,
        "workbench/security/policy.html",
        {
            "profile": profile,
            "policy": staff_security_policy(),
            "locked": login_locked_usernames(),
            "rows": rows,
        },
    )


@login_required
@require_POST
def security_unlock(request: HttpRequest) -> HttpResponse:
    _duty(request, staff_may_administer_security)
    try:
        staff_security_unlock(
            actor=request.user,  # type: ignore[arg-type]
            username=request.POST.get("username", ""),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已解除锁定"))
    return redirect("workbench:security_admin")


@login_required
@require_POST
def security_reset_totp(request: HttpRequest, username: str) -> HttpResponse:
    _duty(request, staff_may_administer_security)
    try:
        staff_security_reset_totp(actor=request.user, user=_target(username))  # type: ignore[arg-type]
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("验证器已重置，该账户下次登录时重新绑定"))
    return redirect("workbench:security_admin")


# --- Audit administrator: the audit log and its chain ---------------------------------------


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def _audit_query(request: HttpRequest) -> AuditQuery:
    get = request.GET
    success = {"1": True, "0": False}.get(get.get("success", ""))
    return AuditQuery(
        date_from=_date(get.get("from", "")),
        date_to=_date(get.get("to", "")),
        actor=get.get("actor", "").strip()[:150],
        action=get.get("action", "").strip()[:64],
        success=success,
        object_id=get.get("object", "").strip()[:64],
    )


def _before(request: HttpRequest) -> int | None:
    value = request.GET.get("before", "")
    return int(value) if value.isdigit() and 0 < len(value) < 19 else None


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit administrator's viewer: filters, one page at a time, and — by POST — the
    check of the whole chain and its anchors. Every view and check is itself audited."""
    profile = _duty(request, staff_may_read_audit)
    user = request.user
    verification: AuditVerification | None = None
    verify_error = ""
    if request.method == "POST":
        try:
            verification = audit_verify_for_staff(user=user)
        except AuditKeyError:
            verify_error = _("审计密钥缺失或格式错误，无法校验审计链")
    query = _audit_query(request)
    before = _before(request)
    page = audit_log_page_for_staff(user=user, query=query, before=before)
    params = request.GET.copy()
    params.pop("before", None)
    return render(
        request,
        "workbench/security/audit.html",
        {
            "profile": profile,
            "query": query,
            "filters": request.GET,
            "success": request.GET.get("success", ""),
            "page": page,
            "next_query": params.urlencode(),
            "first_page": before is None,
            "verification": verification,
            "verify_error": verify_error,
        },
    )

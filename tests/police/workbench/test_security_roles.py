"""The three administrators of the security management centre (MLPS-10, MLPS-4): system,
security and audit administrator are city-scoped roles, each does only their own job, sees no
case data, and each of their actions is audited."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from onetrip.police.accounts.errors import StaffError
from onetrip.police.accounts.models import ADMINISTRATOR_ROLES, Role, StaffProfile
from onetrip.police.accounts.selectors import (
    login_locked_until,
    staff_profile,
    station_codes_in_scope,
)
from onetrip.police.accounts.services import (
    staff_admin_change_scope,
    staff_admin_create,
    staff_admin_set_active,
    staff_login,
    staff_security_reset_totp,
    staff_security_unlock,
)
from onetrip.police.audit.models import AuditEvent
from onetrip.police.audit.selectors import AuditQuery
from onetrip.police.audit.services import (
    AuditAccessRefused,
    audit_log_page_for_staff,
    audit_verify_for_staff,
)
from tests.fixtures import staff

pytestmark = pytest.mark.django_db(databases=["default", "police"])

NEW_PASSWORD = "Fresh-Start-2024"


@pytest.fixture
def sysadmin(reference_data):
    return staff("sys_admin", Role.SYSTEM_ADMIN, None)


@pytest.fixture
def secadmin(reference_data):
    return staff("sec_admin", Role.SECURITY_ADMIN, None)


@pytest.fixture
def auditor(reference_data):
    return staff("audit_admin", Role.AUDIT_ADMIN, None)


def client_for(user: User) -> Client:
    c = Client(HTTP_HOST="police.testserver")
    c.force_login(user)
    return c


def audited(actor: str, action: str) -> list[bool]:
    return list(
        AuditEvent.objects.filter(actor=actor, action=action).values_list("success", flat=True)
    )


# --- The roles and their scope ------------------------------------------------------------


@pytest.mark.parametrize("role", ADMINISTRATOR_ROLES)
def test_mlps10_administrators_are_city_scoped_and_see_no_case_data(role, beishan):
    user = staff(f"u_{role}", role, None)
    profile = staff_profile(user)
    assert profile is not None and profile.station is None and profile.district_code == ""
    assert station_codes_in_scope(profile) == set()
    c = client_for(user)
    page = c.get("/declarations/")
    # No declaration's reference (JZ and 14 digits); "JZ" alone may occur in a CSRF token.
    assert page.status_code == 200
    assert not re.search(r"JZ\d{14}", page.content.decode())
    assert c.get("/api/v1/declarations").json() == []
    assert c.get("/permits/").status_code in (403, 404)
    assert c.get("/ferry/").status_code == 404
    with pytest.raises(StaffError):
        staff(f"x_{role}", role, beishan)


@pytest.mark.parametrize("role", ADMINISTRATOR_ROLES)
def test_mlps10_database_refuses_an_administrator_with_a_station(role, beishan):
    user = User.objects.create_user(f"raw_{role}")
    with pytest.raises(IntegrityError), transaction.atomic(using="police"):
        StaffProfile.objects.create(user=user, full_name="甲", role=role, station=beishan)


# --- System administrator: accounts, nothing else -----------------------------------------


def test_mlps10_system_admin_manages_staff_accounts_audited(sysadmin, beishan):
    clerk = staff_admin_create(
        actor=sysadmin,
        username="new_clerk",
        password=NEW_PASSWORD,
        full_name="新民警",
        role=Role.WINDOW_CLERK,
        station=beishan,
    )
    staff_admin_change_scope(actor=sysadmin, user=clerk, role=Role.REVIEWER, station=beishan)
    staff_admin_set_active(actor=sysadmin, user=clerk, active=False)
    clerk.refresh_from_db()
    assert not clerk.is_active
    assert StaffProfile.objects.get(user=clerk).role == Role.REVIEWER
    for action in ("staff.create", "staff.change_scope", "staff.deactivate"):
        assert audited("sys_admin", action) == [True], action
    event = AuditEvent.objects.get(action="staff.create")
    assert (event.object_id, event.actor_role) == ("new_clerk", Role.SYSTEM_ADMIN)


def test_mlps10_system_admin_cannot_make_or_touch_an_administrator(sysadmin, secadmin, beishan):
    with pytest.raises(StaffError) as info:
        staff_admin_create(
            actor=sysadmin,
            username="shadow",
            password=NEW_PASSWORD,
            full_name="甲",
            role=Role.AUDIT_ADMIN,
        )
    assert info.value.status == 403
    with pytest.raises(StaffError):
        staff_admin_set_active(actor=sysadmin, user=secadmin, active=False)
    with pytest.raises(StaffError):
        staff_admin_change_scope(actor=sysadmin, user=sysadmin, role=Role.CITY_ADMIN)
    clerk = staff("clerk_beishan", Role.WINDOW_CLERK, beishan)
    with pytest.raises(StaffError):
        staff_admin_change_scope(actor=sysadmin, user=clerk, role=Role.SECURITY_ADMIN)


def test_mlps10_system_admin_cannot_do_security_or_audit_work(sysadmin, beishan):
    clerk = staff("clerk_beishan", Role.WINDOW_CLERK, beishan)
    TOTPDevice.objects.create(user=clerk, confirmed=True)
    with pytest.raises(StaffError):
        staff_security_unlock(actor=sysadmin, username="clerk_beishan")
    with pytest.raises(StaffError):
        staff_security_reset_totp(actor=sysadmin, user=clerk)
    with pytest.raises(AuditAccessRefused):
        audit_log_page_for_staff(user=sysadmin, query=AuditQuery())
    c = client_for(sysadmin)
    assert c.get("/security/audit/").status_code == 404
    assert c.get("/security/locks/").status_code == 404
    assert c.get("/security/staff/").status_code == 200
    assert audited("sys_admin", "duty.refused") == [False, False]
    assert audited("sys_admin", "audit.view") == [False]


# --- Security administrator: locks and authenticators, nothing else -----------------------


def test_mlps10_security_admin_unlocks_and_resets_authenticators_audited(secadmin, beishan):
    clerk = staff("clerk_beishan", Role.WINDOW_CLERK, beishan)
    for _ in range(5):
        with pytest.raises(StaffError):
            staff_login(request=None, username="clerk_beishan", password="wrong-Password-1")
    assert login_locked_until(username="clerk_beishan") is not None
    c = client_for(secadmin)
    page = c.get("/security/locks/").content.decode()
    assert "clerk_beishan" in page and "解除锁定" in page
    c.post("/security/locks/unlock/", {"username": "clerk_beishan"})
    assert login_locked_until(username="clerk_beishan") is None
    TOTPDevice.objects.create(user=clerk, confirmed=True)
    c.post("/security/locks/clerk_beishan/reset-authenticator/")
    assert not TOTPDevice.objects.filter(user=clerk).exists()
    assert audited("sec_admin", "login.unlock") == [True]
    assert audited("sec_admin", "totp.reset") == [True]


def test_mlps10_security_admin_cannot_reset_their_own_authenticator(secadmin):
    TOTPDevice.objects.create(user=secadmin, confirmed=True)
    with pytest.raises(StaffError) as info:
        staff_security_reset_totp(actor=secadmin, user=secadmin)
    assert info.value.code == "totp_reset_self"


def test_mlps10_security_admin_cannot_manage_accounts_or_read_the_audit_log(secadmin, beishan):
    clerk = staff("clerk_beishan", Role.WINDOW_CLERK, beishan)
    with pytest.raises(StaffError):
        staff_admin_create(
            actor=secadmin,
            username="x",
            password=NEW_PASSWORD,
            full_name="甲",
            role=Role.WINDOW_CLERK,
            station=beishan,
        )
    with pytest.raises(StaffError):
        staff_admin_set_active(actor=secadmin, user=clerk, active=False)
    with pytest.raises(AuditAccessRefused):
        audit_verify_for_staff(user=secadmin)
    c = client_for(secadmin)
    assert c.get("/security/staff/").status_code == 404
    assert c.get("/security/audit/").status_code == 404
    assert c.post("/security/staff/clerk_beishan/", {"action": "deactivate"}).status_code == 404
    assert User.objects.get(pk=clerk.pk).is_active


# --- Audit administrator: reads the log, changes nothing ----------------------------------


def test_mlps10_audit_admin_cannot_manage_accounts_or_security(auditor, beishan):
    clerk = staff("clerk_beishan", Role.WINDOW_CLERK, beishan)
    TOTPDevice.objects.create(user=clerk, confirmed=True)
    with pytest.raises(StaffError):
        staff_admin_set_active(actor=auditor, user=clerk, active=False)
    with pytest.raises(StaffError):
        staff_security_unlock(actor=auditor, username="clerk_beishan")
    with pytest.raises(StaffError):
        staff_security_reset_totp(actor=auditor, user=clerk)
    c = client_for(auditor)
    for path in ("/security/staff/", "/security/locks/"):
        assert c.get(path).status_code == 404
    assert c.post("/security/locks/clerk_beishan/reset-authenticator/").status_code == 404
    assert TOTPDevice.objects.filter(user=clerk).exists()
    assert audited("audit_admin", "duty.refused") == [False, False, False]


def test_mlps10_audit_admin_cannot_change_the_audit_log(auditor):
    c = client_for(auditor)
    before = list(AuditEvent.objects.values_list("sequence", "hash"))
    # The viewer offers no way to write: no form posts anything but the chain check.
    page = c.get("/security/audit/").content.decode()
    assert page.count('method="post"') == 2  # the chain check and the header's log-out
    assert c.put("/security/audit/").status_code == 405
    assert c.delete("/security/audit/").status_code == 405
    after = list(AuditEvent.objects.values_list("sequence", "hash"))
    assert after[: len(before)] == before


def test_mlps10_header_links_each_administrator_to_their_own_page(sysadmin, secadmin, auditor):
    pages = {
        u.username: client_for(u).get("/security/password/").content.decode()
        for u in (sysadmin, secadmin, auditor)
    }
    assert "/security/staff/" in pages["sys_admin"]
    assert "/security/locks/" not in pages["sys_admin"]
    assert "/security/locks/" in pages["sec_admin"]
    assert "/security/audit/" in pages["audit_admin"]
    assert "/security/audit/" not in pages["sec_admin"]

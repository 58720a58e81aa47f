"""`staff_login` and `staff_ensure`: the log-in and reference-account rules, callable from the
form, an API or the CLI alike (MLPS-3 b, MLPS-5)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from onetrip.police.accounts.errors import LoginLocked, LoginRefused
from onetrip.police.accounts.models import Role, StaffProfile
from onetrip.police.accounts.services import staff_create, staff_ensure, staff_login
from onetrip.police.audit.models import AuditEvent

pytestmark = pytest.mark.django_db(databases=["default", "police"])

PASSWORD = "a-Long-pass-2024"


@pytest.fixture
def officer(beishan):
    return staff_create(
        username="clerk_beishan",
        password=PASSWORD,
        full_name="陈晓明",
        role=Role.WINDOW_CLERK,
        station=beishan,
    )


def test_mlps5_right_password_logs_in_and_is_audited(officer):
    assert staff_login(request=None, username="clerk_beishan", password=PASSWORD) == officer
    assert AuditEvent.objects.filter(action="login.success", actor="clerk_beishan").count() == 1


def test_mlps3_wrong_password_is_refused_with_the_lockout_rule(officer):
    with pytest.raises(LoginRefused) as info:
        staff_login(request=None, username="clerk_beishan", password="wrong")
    assert info.value.code == "invalid_login"
    assert "连续失败5次将锁定15分钟" in info.value.message_zh
    assert AuditEvent.objects.filter(action="login.failure").count() == 1


def test_mlps3_fifth_failure_locks_even_the_right_password(officer):
    for _ in range(4):
        with pytest.raises(LoginRefused):
            staff_login(request=None, username="clerk_beishan", password="wrong")
    with pytest.raises(LoginLocked) as info:
        staff_login(request=None, username="clerk_beishan", password="wrong")
    assert info.value.status == 429
    assert info.value.extra["retry_after"] == 15 * 60
    with pytest.raises(LoginLocked):
        staff_login(request=None, username="clerk_beishan", password=PASSWORD)


def test_a_user_without_a_staff_profile_is_refused():
    User.objects.create_user("plain", password=PASSWORD)
    with pytest.raises(LoginRefused) as info:
        staff_login(request=None, username="plain", password=PASSWORD)
    assert info.value.code == "not_staff"
    assert not AuditEvent.objects.filter(action="login.success").exists()


def test_staff_ensure_creates_then_restores_role_password_and_activity(beishan):
    user, created = staff_ensure(
        username="clerk_beishan",
        password=PASSWORD,
        full_name="陈晓明",
        role=Role.WINDOW_CLERK,
        station=beishan,
    )
    assert created
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.set_password("changed-Pass-99")
    user.save()
    again, created = staff_ensure(
        username="clerk_beishan",
        password=PASSWORD,
        full_name="陈晓明",
        role=Role.REVIEWER,
        station=beishan,
    )
    assert not created and again.pk == user.pk
    again.refresh_from_db()
    assert again.is_active and again.check_password(PASSWORD)
    assert StaffProfile.objects.get(user=again).role == Role.REVIEWER


def test_staff_ensure_gives_a_plain_user_a_profile(beishan):
    User.objects.create_user("city_admin", password="x")
    user, created = staff_ensure(
        username="city_admin", password=PASSWORD, full_name="吴芳", role=Role.CITY_ADMIN
    )
    assert not created
    assert StaffProfile.objects.get(user=user).role == Role.CITY_ADMIN

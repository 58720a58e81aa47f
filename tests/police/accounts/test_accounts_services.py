"""Staff accounts: scope by role, selectors, and the log-in lockout by django-axes (MLPS-3 b)."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.utils import timezone

from onetrip.police.accounts.errors import LoginLocked, LoginRefused, StaffError
from onetrip.police.accounts.models import Role, StaffProfile
from onetrip.police.accounts.selectors import (
    login_locked_until,
    staff_of_station,
    staff_profile,
    station_codes_in_scope,
)
from onetrip.police.accounts.services import (
    staff_change_scope,
    staff_check_scope,
    staff_create,
    staff_login,
    staff_set_password,
)

pytestmark = pytest.mark.django_db(databases=["default", "police"])

PASSWORD = "a-Long-pass-2024"


@pytest.mark.parametrize(
    "role",
    [Role.WINDOW_CLERK, Role.REVIEWER, Role.APPROVER, Role.STATION_ADMIN, Role.FIELD_OFFICER],
)
def test_station_roles_are_created_in_a_station(beishan, role):
    user = staff_create(
        username=f"u_{role}", password=PASSWORD, full_name=" 陈晓明 ", role=role, station=beishan
    )
    assert user.check_password(PASSWORD)
    profile = staff_profile(user)
    assert profile is not None
    assert (profile.role, profile.station, profile.district_code) == (role, beishan, "")
    assert profile.full_name == "陈晓明"
    assert station_codes_in_scope(profile) == {"330106500020"}
    assert profile.role_label_en


def test_district_admin_sees_every_station_of_the_district(beishan, xixi, hubin):
    user = staff_create(
        username="district_xihu",
        password=PASSWORD,
        full_name="孙浩",
        role=Role.DISTRICT_ADMIN,
        district_code="330106",
    )
    profile = staff_profile(user)
    assert profile is not None and profile.station is None
    assert station_codes_in_scope(profile) == {"330106500020", "330106500040"}
    assert profile.get_role_display() == "分局管理员"
    assert profile.role_label_en == "District administrator"


def test_city_admin_sees_the_whole_city(beishan):
    user = staff_create(
        username="city_admin", password=PASSWORD, full_name="吴芳", role=Role.CITY_ADMIN
    )
    profile = staff_profile(user)
    assert profile is not None
    assert station_codes_in_scope(profile) is None


@pytest.mark.parametrize(
    ("role", "use_station", "district_code", "code"),
    [
        (Role.WINDOW_CLERK, False, "", "staff_station_required"),
        (Role.REVIEWER, True, "330106", "staff_district_not_allowed"),
        (Role.DISTRICT_ADMIN, False, "", "staff_district_required"),
        (Role.DISTRICT_ADMIN, False, "330103", "staff_district_required"),  # retired 下城区
        (Role.DISTRICT_ADMIN, False, "999999", "staff_district_required"),
        (Role.DISTRICT_ADMIN, True, "330106", "staff_station_not_allowed"),
        (Role.CITY_ADMIN, True, "", "staff_station_not_allowed"),
        (Role.CITY_ADMIN, False, "330106", "staff_district_not_allowed"),
        ("chief", False, "", "staff_role_unknown"),
    ],
)
def test_scope_must_fit_the_role(beishan, role, use_station, district_code, code):
    station = beishan if use_station else None
    with pytest.raises(StaffError) as info:
        staff_create(
            username="x",
            password=PASSWORD,
            full_name="某某",
            role=role,
            station=station,
            district_code=district_code,
        )
    assert info.value.code == code
    assert info.value.message_zh and info.value.message_en
    assert not User.objects.filter(username="x").exists()


def test_unsaved_station_is_refused():
    from onetrip.police.stations.models import Station

    with pytest.raises(StaffError) as info:
        staff_check_scope(role=Role.WINDOW_CLERK, station=Station(code="1"), district_code="")
    assert info.value.code == "staff_station_required"


def test_username_must_be_free_and_valid_and_full_name_given(beishan):
    staff_create(username="clerk", password=PASSWORD, full_name="甲", role=Role.CITY_ADMIN)
    cases = [
        ({"username": "clerk"}, "staff_username_taken"),
        ({"username": "bad name!"}, "staff_username_invalid"),
        ({"username": "new", "full_name": "  "}, "staff_full_name_required"),
    ]
    for overrides, code in cases:
        kwargs = {"password": PASSWORD, "full_name": "乙", "role": Role.CITY_ADMIN, **overrides}
        with pytest.raises(StaffError) as info:
            staff_create(**kwargs)
        assert info.value.code == code
    assert User.objects.count() == 1


def test_configured_password_rules_apply(settings):
    settings.AUTH_PASSWORD_VALIDATORS = [
        {
            "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
            "OPTIONS": {"min_length": 12},
        }
    ]
    with pytest.raises(StaffError) as info:
        staff_create(username="short", password="abc", full_name="甲", role=Role.CITY_ADMIN)
    assert info.value.code == "staff_password_invalid"
    assert not User.objects.filter(username="short").exists()
    user = staff_create(username="long", password=PASSWORD, full_name="甲", role=Role.CITY_ADMIN)
    with pytest.raises(StaffError):
        staff_set_password(user=user, password="abc")


def test_database_refuses_a_profile_whose_scope_does_not_fit(beishan):
    user = User.objects.create_user("raw", password=PASSWORD)
    with pytest.raises(IntegrityError), transaction.atomic(using="police"):
        StaffProfile.objects.create(user=user, full_name="甲", role=Role.WINDOW_CLERK)
    with pytest.raises(IntegrityError), transaction.atomic(using="police"):
        StaffProfile.objects.create(
            user=user, full_name="甲", role=Role.CITY_ADMIN, station=beishan
        )


def test_change_scope(beishan, hubin):
    user = staff_create(
        username="mover", password=PASSWORD, full_name="甲", role=Role.REVIEWER, station=beishan
    )
    profile = staff_change_scope(user=user, role=Role.APPROVER, station=hubin)
    assert (profile.role, profile.station) == (Role.APPROVER, hubin)
    with pytest.raises(StaffError):
        staff_change_scope(user=user, role=Role.CITY_ADMIN, station=hubin)
    assert staff_of_station(hubin) == [profile]
    assert staff_of_station(beishan) == []


def test_staff_profile_of_non_staff():
    assert staff_profile(AnonymousUser()) is None
    assert staff_profile(None) is None
    assert staff_profile(User.objects.create_user("plain", password=PASSWORD)) is None


# --- MLPS-3 b: lockout after 5 failures for 15 minutes ----------------------------------------


def fail(username: str, times: int = 1) -> list[str]:
    """`times` wrong passwords for `username`; the error code of each."""
    codes = []
    for _ in range(times):
        with pytest.raises((LoginRefused, LoginLocked)) as info:
            staff_login(request=None, username=username, password="wrong-Password-1")
        codes.append(info.value.code)
    return codes


@pytest.fixture
def officer(beishan):
    return staff_create(
        username="clerk_beishan",
        password=PASSWORD,
        full_name="陈晓明",
        role=Role.WINDOW_CLERK,
        station=beishan,
    )


def test_mlps3_five_failures_lock_the_username_for_fifteen_minutes(officer):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert fail("clerk_beishan", 4) == ["invalid_login"] * 4
        clock.shift(timedelta(seconds=4))
        with pytest.raises(LoginLocked) as info:
            staff_login(request=None, username="clerk_beishan", password="wrong-Password-1")
        assert info.value.code == "login_locked"
        assert info.value.minutes_left == 15
        assert "15分钟" in info.value.message_zh
        clock.shift(timedelta(minutes=14, seconds=30))
        with pytest.raises(LoginLocked) as info:
            staff_login(request=None, username="clerk_beishan", password=PASSWORD)
        assert info.value.minutes_left == 1
        clock.shift(timedelta(seconds=35))
        assert login_locked_until(username="clerk_beishan") is None
        assert staff_login(request=None, username="clerk_beishan", password=PASSWORD) == officer


def test_mlps3_lock_is_per_username_and_ignores_case_and_spaces(officer):
    fail(" Clerk_Beishan ", 5)
    with pytest.raises(LoginLocked):
        staff_login(request=None, username="clerk_beishan", password=PASSWORD)
    assert fail("reviewer_beishan") == ["invalid_login"]


def test_mlps3_success_resets_the_count(officer):
    fail("clerk_beishan", 4)
    staff_login(request=None, username="clerk_beishan", password=PASSWORD)
    assert fail("clerk_beishan", 4) == ["invalid_login"] * 4
    assert login_locked_until(username="clerk_beishan") is None


def test_mlps3_failures_far_apart_start_a_new_count(officer):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(6):
            assert fail("clerk_beishan") == ["invalid_login"]
            clock.shift(timedelta(minutes=20))
    assert AccessAttempt.objects.get(username="clerk_beishan").failures_since_start == 1


def test_mlps3_unknown_usernames_are_throttled_too():
    assert fail("nobody-here", 5)[-1] == "login_locked"
    assert fail("nobody-here") == ["login_locked"]


def test_mlps3_limits_are_settings(officer, settings):
    settings.ONETRIP_LOGIN_MAX_FAILURES = 2
    settings.ONETRIP_LOGIN_LOCKOUT_SECONDS = 60
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert fail("clerk_beishan", 2) == ["invalid_login", "login_locked"]
        clock.shift(timedelta(seconds=61))
        assert staff_login(request=None, username="clerk_beishan", password=PASSWORD) == officer


def test_mlps3_tries_while_locked_do_not_extend_the_lock(officer):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        fail("clerk_beishan", 5)
        until = login_locked_until(username="clerk_beishan")
        clock.shift(timedelta(minutes=10))
        assert fail("clerk_beishan", 3) == ["login_locked"] * 3
        assert login_locked_until(username="clerk_beishan") == until

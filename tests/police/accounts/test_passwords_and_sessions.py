"""Password rules and periodic change (MLPS-3 a); idle and absolute session limits (MLPS-3 b)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from onetrip.police.accounts.errors import StaffError
from onetrip.police.accounts.models import Role, StaffProfile
from onetrip.police.accounts.passwords import CharacterClassesValidator, character_classes
from onetrip.police.accounts.selectors import staff_password_expired
from onetrip.police.accounts.services import staff_change_password, staff_create
from onetrip.police.audit.models import AuditEvent

pytestmark = pytest.mark.django_db(databases=["default", "police"])

PASSWORD = "Strong-Pass-2024"


@pytest.fixture
def clerk(beishan):
    return staff_create(
        username="clerk_beishan",
        password=PASSWORD,
        full_name="陈晓明",
        role=Role.WINDOW_CLERK,
        station=beishan,
    )


@pytest.fixture
def client():
    return Client(HTTP_HOST="police.testserver")


def login(client) -> None:
    response = client.post("/login/", {"username": "clerk_beishan", "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()


# --- MLPS-3 a: complexity ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "classes"),
    [("abcdefgh", 1), ("abcdEFGH", 2), ("abcdEF12", 3), ("ab-EF-12", 4), ("密码密码", 1)],
)
def test_mlps3_character_classes_are_counted(password, classes):
    assert character_classes(password) == classes


@pytest.mark.parametrize(
    "password",
    [
        "Short-1a",  # 8 characters
        "alllowercaseletters",  # one class
        "lowercase-and-symbols",  # two classes
        "Password1234",  # common
        "clerk_beishan-2024",  # like the username
    ],
)
def test_mlps3_weak_passwords_are_refused(password, beishan):
    from django.contrib.auth.models import User

    with pytest.raises(ValidationError):
        validate_password(password, User(username="clerk_beishan"))


def test_mlps3_three_of_four_classes_and_twelve_characters_pass():
    validate_password("Harbour-lights-7")
    validate_password("harbourlights7!")
    with pytest.raises(ValidationError):
        CharacterClassesValidator(min_classes=4).validate("harbourlights7!")


def test_mlps3_staff_creation_applies_the_rules(beishan):
    with pytest.raises(StaffError) as info:
        staff_create(username="weak", password="onetrip-demo", full_name="甲", role=Role.CITY_ADMIN)
    assert info.value.code == "staff_password_invalid"


# --- MLPS-3 a: changing one's password -----------------------------------------------------


def test_mlps3_change_needs_the_current_password_and_a_new_rule_abiding_one(clerk):
    with pytest.raises(StaffError) as info:
        staff_change_password(user=clerk, old_password="wrong", new_password="Another-Pass-99")
    assert (info.value.code, info.value.field) == ("password_old_wrong", "old")
    with pytest.raises(StaffError) as info:
        staff_change_password(user=clerk, old_password=PASSWORD, new_password=PASSWORD)
    assert info.value.code == "password_unchanged"
    with pytest.raises(StaffError) as info:
        staff_change_password(user=clerk, old_password=PASSWORD, new_password="weakweakweak")
    assert (info.value.code, info.value.field) == ("staff_password_invalid", "new")
    staff_change_password(user=clerk, old_password=PASSWORD, new_password="Another-Pass-99")
    clerk.refresh_from_db()
    assert clerk.check_password("Another-Pass-99")
    outcomes = list(
        AuditEvent.objects.filter(action="password.change").values_list("success", flat=True)
    )
    assert outcomes == [False, False, False, True]


def test_mlps3_password_page_changes_it_and_keeps_the_session(client, clerk):
    login(client)
    page = client.get("/security/password/").content.decode()
    assert "修改密码" in page and "12" in page
    response = client.post(
        "/security/password/",
        {"old": PASSWORD, "new": "Another-Pass-99", "new_again": "Another-Pass-99"},
    )
    assert response["Location"] == "/"
    assert client.get("/declarations/").status_code == 200
    response = client.post(
        "/security/password/", {"old": "Another-Pass-99", "new": "x", "new_again": "y"}
    )
    assert "两次输入的新密码不一致" in response.content.decode()


# --- MLPS-3 a: periodic change -------------------------------------------------------------


def test_mlps3_password_older_than_ninety_days_is_expired(clerk):
    changed = StaffProfile.objects.get(user=clerk).password_changed_at
    assert not staff_password_expired(user=clerk, now=changed + timedelta(days=90))
    assert staff_password_expired(user=clerk, now=changed + timedelta(days=90, seconds=1))


def test_mlps3_an_expired_password_is_changed_before_any_other_page(client, clerk, settings):
    StaffProfile.objects.filter(user=clerk).update(
        password_changed_at=timezone.now() - timedelta(days=91)
    )
    login(client)
    assert client.get("/declarations/")["Location"] == "/security/password/"
    api = client.get("/api/v1/declarations")
    assert api.status_code == 403 and api.json()["code"] == "password_change_due"
    page = client.get("/security/password/").content.decode()
    assert "密码已超过有效期" in page
    client.post(
        "/security/password/",
        {"old": PASSWORD, "new": "Another-Pass-99", "new_again": "Another-Pass-99"},
    )
    assert client.get("/declarations/").status_code == 200


def test_mlps3_password_age_is_a_setting(clerk, settings):
    settings.ONETRIP_STAFF_PASSWORD_MAX_DAYS = 30
    assert staff_password_expired(user=clerk, now=timezone.now() + timedelta(days=31))


# --- MLPS-3 b: session limits --------------------------------------------------------------


def test_mlps3_idle_session_ends_after_fifteen_minutes(client, clerk):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        login(client)
        clock.shift(timedelta(minutes=14))
        assert client.get("/declarations/").status_code == 200
        clock.shift(timedelta(minutes=14))  # activity moved the idle clock
        assert client.get("/declarations/").status_code == 200
        clock.shift(timedelta(minutes=15, seconds=1))
        response = client.get("/declarations/")
        assert response.status_code == 302
        assert response["Location"] == "/login/?next=/declarations/"
        assert SESSION_KEY not in client.session
        page = client.get(response["Location"]).content.decode()
        assert "登录已超时，请重新登录" in page
    event = AuditEvent.objects.get(action="session.timeout")
    assert (event.actor, event.detail) == ("clerk_beishan", {"reason": "idle"})


def test_mlps3_idle_minutes_are_a_setting(client, clerk, settings):
    settings.ONETRIP_STAFF_IDLE_MINUTES = 5
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        login(client)
        clock.shift(timedelta(minutes=5, seconds=1))
        assert client.get("/declarations/").status_code == 302


def test_mlps3_idle_api_session_answers_401(client, clerk):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        login(client)
        clock.shift(timedelta(minutes=16))
        assert client.get("/api/v1/declarations").status_code == 401


def test_mlps3_session_ends_after_twelve_hours_whatever_the_activity(client, clerk):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        login(client)
        for _ in range(12 * 6 + 1):
            clock.shift(timedelta(minutes=10))
            response = client.get("/declarations/")
            if response.status_code != 200:
                break
        assert response.status_code == 302
        assert timezone.now() - start > timedelta(hours=12)
        assert timezone.now() - start <= timedelta(hours=12, minutes=10)
    assert AuditEvent.objects.get(action="session.timeout").detail == {"reason": "max_age"}


def test_portal_requests_are_not_touched(clerk):
    portal = Client(HTTP_HOST="portal.testserver")
    assert portal.get("/").status_code == 200

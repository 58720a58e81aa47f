"""The workbench log-in page: staff only, lockout after 5 failures for 15 minutes (MLPS-3 b)."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.urls import Resolver404, resolve
from django.utils import timezone

from onetrip.police.accounts.models import Role
from onetrip.police.accounts.selectors import login_locked_until
from onetrip.police.accounts.services import staff_create

pytestmark = [
    pytest.mark.django_db(databases=["default", "police"]),
    pytest.mark.urls("onetrip.police.urls"),
]

PASSWORD = "Strong-Pass-2024"

AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"


@pytest.fixture(autouse=True)
def _auth_middleware(settings):
    """The police zone's settings must list AuthenticationMiddleware after the session one."""
    if AUTH_MIDDLEWARE not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        at = middleware.index("django.contrib.sessions.middleware.SessionMiddleware") + 1
        settings.MIDDLEWARE = [*middleware[:at], AUTH_MIDDLEWARE, *middleware[at:]]


@pytest.fixture
def clerk(beishan):
    return staff_create(
        username="clerk_beishan",
        password=PASSWORD,
        full_name="陈晓明",
        role=Role.WINDOW_CLERK,
        station=beishan,
    )


def login(client, username, password, **extra):
    return client.post("/login/", {"username": username, "password": password, **extra})


def test_login_page_is_plain_mobile_first_html_in_chinese(client):
    response = client.get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith("<!DOCTYPE html>")
    assert 'name="viewport"' in html
    assert "民警工作台登录" in html
    assert "用户名" in html and "密码" in html
    assert "csrfmiddlewaretoken" in html
    assert 'autocomplete="current-password"' in html


def test_staff_log_in_and_go_to_the_workbench_home(client, clerk):
    response = login(client, "clerk_beishan", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(clerk.pk)


def test_next_parameter_is_honoured_but_not_off_site(client, clerk):
    response = login(client, "clerk_beishan", PASSWORD, next="/cases/")
    assert response["Location"] == "/cases/"
    client.logout()
    response = login(client, "clerk_beishan", PASSWORD, next="https://evil.example/")
    assert response["Location"] == "/"


def test_login_redirect_url_setting_wins_when_set(client, clerk, settings):
    settings.LOGIN_REDIRECT_URL = "/queue/"
    assert login(client, "clerk_beishan", PASSWORD)["Location"] == "/queue/"


def test_wrong_password_is_refused_in_both_languages(client, clerk):
    response = login(client, "clerk_beishan", "wrong")
    assert response.status_code == 200
    html = response.content.decode()
    assert "用户名或密码错误" in html
    assert "Wrong username or password" in html
    assert SESSION_KEY not in client.session
    assert AccessAttempt.objects.get(username="clerk_beishan").failures_since_start == 1


def test_mlps3_five_wrong_passwords_lock_even_the_right_one(client, clerk):
    for _ in range(4):
        assert "用户名或密码错误" in login(client, "clerk_beishan", "wrong").content.decode()
    html = login(client, "clerk_beishan", "wrong").content.decode()
    assert "账户已暂时锁定" in html and "15分钟" in html
    html = login(client, "clerk_beishan", PASSWORD).content.decode()
    assert "账户已暂时锁定" in html
    assert SESSION_KEY not in client.session
    # Another account is unaffected (a city administrator goes on to enrol a second factor).
    staff_create(username="other", password=PASSWORD, full_name="甲", role=Role.CITY_ADMIN)
    assert login(client, "other", PASSWORD)["Location"] == "/login/enrol/"


def test_mlps3_lock_expires_after_fifteen_minutes(client, clerk):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            login(client, "clerk_beishan", "wrong")
        until = login_locked_until(username="clerk_beishan")
        assert until is not None
        assert until - timezone.now() > timedelta(minutes=14)
        clock.shift(timedelta(minutes=15, seconds=1))
        assert login(client, "clerk_beishan", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="clerk_beishan").exists()


def test_users_without_a_staff_role_cannot_log_in(client):
    User.objects.create_user("plain", password=PASSWORD)
    html = login(client, "plain", PASSWORD).content.decode()
    assert "该账户未配置民警岗位" in html
    assert SESSION_KEY not in client.session


def test_disabled_staff_cannot_log_in(client, clerk):
    User.objects.filter(pk=clerk.pk).update(is_active=False)
    assert login(client, "clerk_beishan", PASSWORD).status_code == 200
    assert SESSION_KEY not in client.session


def test_logout_is_post_only_and_returns_to_login(client, clerk):
    login(client, "clerk_beishan", PASSWORD)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert SESSION_KEY not in client.session


def test_logged_in_staff_visiting_login_are_sent_on(client, clerk):
    login(client, "clerk_beishan", PASSWORD)
    assert client.get("/login/")["Location"] == "/"


@pytest.mark.urls("onetrip.police.urls")
def test_police_workbench_serves_the_login_page_once_included(police_client):
    try:
        resolve("/login/")
    except Resolver404:
        pytest.skip("onetrip.police.urls does not include onetrip.police.accounts.urls yet")
    assert police_client.get("/login/").status_code == 200

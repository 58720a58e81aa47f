"""The second factor (MLPS-3 d): TOTP codes after the password, required for approvers and every
administrator, optional for window clerks and reviewers; enrolment with a QR code; nothing else
opens before the code is right."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from onetrip.police.accounts.management.commands.load_demo_staff import DEMO_TOTP_SECRET
from onetrip.police.accounts.models import TOTP_REQUIRED_ROLES, Role
from onetrip.police.accounts.selectors import LoginStep, staff_login_step
from onetrip.police.accounts.services import staff_create
from onetrip.police.audit.models import AuditEvent

pytestmark = [
    pytest.mark.django_db(databases=["default", "police"]),
    pytest.mark.urls("onetrip.police.urls"),
]

PASSWORD = "Strong-Pass-2024"
SECRET = re.compile(r'id="totp-secret">([A-Z2-7 ]+)<')


def make(username, role, station=None, district_code=""):
    return staff_create(
        username=username,
        password=PASSWORD,
        full_name="甲",
        role=role,
        station=station,
        district_code=district_code,
    )


def code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key):06d}"


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def login(client, username):
    return client.post("/login/", {"username": username, "password": PASSWORD})


@pytest.mark.parametrize("role", sorted(TOTP_REQUIRED_ROLES))
def test_mlps3_roles_that_need_a_second_factor_enrol_after_the_password(role, beishan):
    station = beishan if role in (Role.APPROVER, Role.STATION_ADMIN) else None
    district = "330106" if role == Role.DISTRICT_ADMIN else ""
    user = make(f"u_{role}", role, station, district)
    assert staff_login_step(user=user) == LoginStep.ENROL


@pytest.mark.parametrize("role", [Role.WINDOW_CLERK, Role.REVIEWER])
def test_mlps3_clerks_and_reviewers_may_go_without_but_once_enrolled_must_use_it(role, beishan):
    user = make("officer", role, beishan)
    assert staff_login_step(user=user) == LoginStep.DONE
    enrolled(user)
    assert staff_login_step(user=user) == LoginStep.OTP


def test_mlps3_enrolled_officer_is_not_logged_in_until_the_code_is_right(client, beishan):
    user = make("approver_beishan", Role.APPROVER, beishan)
    device = enrolled(user)
    response = login(client, "approver_beishan")
    assert response["Location"] == "/login/code/"
    assert SESSION_KEY not in client.session
    # Nothing else opens meanwhile: the workbench and the API treat the session as anonymous.
    assert client.get("/declarations/")["Location"].startswith("/login/")
    wrong = client.post("/login/code/", {"token": "000000" if code(device) != "000000" else "1"})
    assert "验证码错误" in wrong.content.decode()
    assert SESSION_KEY not in client.session
    device.refresh_from_db()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    response = client.post("/login/code/", {"token": code(device)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(user.pk)
    actions = list(
        AuditEvent.objects.filter(object_id="approver_beishan")
        .order_by("sequence")
        .values_list("action", "success")
    )
    assert actions == [
        ("login.password", True),
        ("login.otp_failure", False),
        ("login.success", True),
    ]


def test_mlps3_a_code_is_accepted_once(client, beishan):
    user = make("approver_beishan", Role.APPROVER, beishan)
    device = enrolled(user)
    token = code(device)
    login(client, "approver_beishan")
    assert client.post("/login/code/", {"token": token}).status_code == 302
    client.post("/logout/")
    login(client, "approver_beishan")
    assert client.post("/login/code/", {"token": token}).status_code == 200
    assert SESSION_KEY not in client.session


def test_mlps3_the_code_page_needs_a_fresh_password(client, beishan):
    make("approver_beishan", Role.APPROVER, beishan)
    assert client.get("/login/code/")["Location"] == "/login/"
    enrolled_user = make("admin_beishan", Role.STATION_ADMIN, beishan)
    enrolled(enrolled_user)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        login(client, "admin_beishan")
        clock.shift(timedelta(minutes=6))
        assert client.get("/login/code/")["Location"] == "/login/"


def test_mlps3_required_role_without_a_device_is_sent_to_enrolment_with_a_qr_code(client, beishan):
    user = make("admin_beishan", Role.STATION_ADMIN, beishan)
    response = login(client, "admin_beishan")
    assert response["Location"] == "/login/enrol/"
    page = client.get("/login/enrol/").content.decode()
    assert "<svg" in page and 'id="totp-secret"' in page
    assert SESSION_KEY not in client.session
    assert client.get("/windows/")["Location"].startswith("/login/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/login/enrol/", {"token": code(device)})
    assert response["Location"] == "/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.session[SESSION_KEY] == str(user.pk)
    assert AuditEvent.objects.filter(action="totp.enrol", object_id="admin_beishan").exists()


def test_mlps3_enrolment_shows_the_same_key_until_confirmed(client, beishan):
    make("admin_beishan", Role.STATION_ADMIN, beishan)
    login(client, "admin_beishan")
    first = SECRET.search(client.get("/login/enrol/").content.decode())
    again = SECRET.search(client.get("/login/enrol/").content.decode())
    assert first and again and first[1] == again[1]
    assert TOTPDevice.objects.count() == 1


def _demo(settings, beishan, hubin, *, demo):
    settings.ONETRIP_DEMO = demo
    out = StringIO()
    call_command("load_demo_staff", stdout=out)
    return out.getvalue()


def test_mlps3_demo_staff_get_the_published_secret_only_in_a_demo(settings, beishan, hubin, xixi):
    output = _demo(settings, beishan, hubin, demo=False)
    assert DEMO_TOTP_SECRET not in output
    assert not TOTPDevice.objects.exists()
    output = _demo(settings, beishan, hubin, demo=True)
    assert DEMO_TOTP_SECRET in output
    owners = set(TOTPDevice.objects.values_list("user__username", flat=True))
    assert owners == {"approver_beishan", "admin_beishan", "district_xihu", "city_admin"}
    _demo(settings, beishan, hubin, demo=True)
    assert TOTPDevice.objects.count() == 4


def test_mlps3_demo_secret_logs_the_demo_admin_in(client, settings, beishan, hubin, xixi):
    _demo(settings, beishan, hubin, demo=True)
    client.post("/login/", {"username": "admin_beishan", "password": "onetrip-demo"})
    token = f"{totp(base64.b32decode(DEMO_TOTP_SECRET)):06d}"
    assert client.post("/login/code/", {"token": token})["Location"] == "/"

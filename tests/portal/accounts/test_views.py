"""The sign-in page over HTTP, with the SMS gateway simulator over real HTTP."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from onetrip.portal.accounts.auth import SESSION_KEY
from onetrip.portal.accounts.models import LoginCodeQuota, Resident, SmsLoginCode

pytestmark = [
    pytest.mark.django_db(databases=["default", "police"]),
    pytest.mark.urls("tests.portal.accounts.urls"),
]

PHONE = "13800138000"


def code_from(sms_simulator):
    return re.search(r"验证码为(\d{6})", sms_simulator.messages()[0]["text"]).group(1)


def request_code(client, phone=PHONE, next_url="", action="request"):
    return client.post("/login/", {"phone": phone, "action": action, "next": next_url})


def verify(client, code, phone=PHONE, next_url=""):
    return client.post(
        "/login/", {"phone": phone, "code": code, "action": "verify", "next": next_url}
    )


@pytest.mark.django_db(databases=["default", "police"], transaction=True)
def test_sign_in_end_to_end(portal_client, sms_simulator):
    page = portal_client.get("/login/?next=/protected/")
    assert page.status_code == 200
    assert "短信验证码登录" in page.text
    assert 'name="phone"' in page.text

    sent = request_code(portal_client, next_url="/protected/")
    assert sent.status_code == 200
    assert "验证码已发送至 138****8000" in sent.text
    assert 'name="code"' in sent.text
    assert PHONE in sent.text  # the hidden field carries the number to the next step
    [sms] = sms_simulator.messages()
    assert sms["to"] == PHONE

    before = portal_client.session.session_key
    signed_in = verify(portal_client, code_from(sms_simulator), next_url="/protected/")
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/protected/"
    resident = Resident.objects.get()
    assert portal_client.session[SESSION_KEY] == str(resident.pk)
    assert portal_client.session.session_key != before
    assert portal_client.get("/protected/").text == f"resident {resident.pk}"


def test_protected_page_sends_a_visitor_to_login_and_back(portal_client):
    response = portal_client.get("/protected/?x=1")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Fprotected%2F%3Fx%3D1"


def test_malformed_number_is_shown_beside_the_field(portal_client):
    response = request_code(portal_client, phone="12345")
    assert response.status_code == 200
    text = response.text
    assert 'id="id_phone_error" role="alert"' in text
    assert "请输入11位中国大陆手机号码" in text
    assert re.search(r'<input[^>]*aria-describedby="id_phone_help id_phone_error"', text)
    assert re.search(r'<input[^>]*aria-invalid="true"', text)
    assert SmsLoginCode.objects.count() == 0


def test_empty_number_is_required(portal_client):
    response = request_code(portal_client, phone="")
    assert "请输入手机号码" in response.text


def test_wrong_code_is_shown_beside_the_code_field(
    portal_client, sms_simulator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request_code(portal_client)
    code = code_from(sms_simulator)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = verify(portal_client, wrong)
    assert response.status_code == 200
    assert 'id="id_code_error" role="alert"' in response.text
    assert "验证码不正确，还可尝试4次" in response.text
    assert SESSION_KEY not in portal_client.session


def test_resend_too_soon_stays_on_the_code_step(portal_client, sms_simulator):
    request_code(portal_client)
    response = request_code(portal_client, action="resend")
    assert 'class="error-summary" role="alert"' in response.text
    assert "秒后再试" in response.text
    assert 'name="code"' in response.text


def test_resend_after_a_minute_sends_a_new_code(portal_client, sms_simulator):
    request_code(portal_client)
    LoginCodeQuota.objects.update(last_requested_at=timezone.now() - timedelta(minutes=2))
    response = request_code(portal_client, action="resend")
    assert "验证码已发送至 138****8000" in response.text
    assert SmsLoginCode.objects.count() == 2


def test_errors_follow_the_language(portal_client):
    portal_client.cookies["django_language"] = "en"
    response = request_code(portal_client, phone="12345")
    assert "Enter an 11-digit mainland China mobile number" in response.text


def test_unsafe_next_goes_home(portal_client, sms_simulator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request_code(portal_client)
    response = verify(portal_client, code_from(sms_simulator), next_url="https://evil.example/")
    assert response.status_code == 302
    assert response["Location"] == "/"


def signed_in(client, sms_simulator, capture):
    with capture(execute=True):
        request_code(client)
    verify(client, code_from(sms_simulator))
    return Resident.objects.get()


def test_signed_in_resident_sees_masked_number_and_logout(
    portal_client, sms_simulator, django_capture_on_commit_callbacks
):
    signed_in(portal_client, sms_simulator, django_capture_on_commit_callbacks)
    page = portal_client.get("/")
    assert "138****8000" in page.text
    assert PHONE not in page.text
    assert 'action="/logout/"' in page.text
    # Visiting the login page again while signed in goes straight on.
    assert portal_client.get("/login/?next=/protected/")["Location"] == "/protected/"


def test_logout_is_post_only_and_ends_the_session(
    portal_client, sms_simulator, django_capture_on_commit_callbacks
):
    signed_in(portal_client, sms_simulator, django_capture_on_commit_callbacks)
    assert portal_client.get("/logout/").status_code == 405
    response = portal_client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert SESSION_KEY not in portal_client.session
    assert portal_client.get("/protected/").status_code == 302


def test_login_needs_csrf(sms_simulator):
    from django.test import Client

    client = Client(enforce_csrf_checks=True, HTTP_HOST="portal.testserver")
    assert request_code(client).status_code == 403

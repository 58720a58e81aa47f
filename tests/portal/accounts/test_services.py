"""Sign-in by SMS code: the rules of login_code_request and login_code_verify."""

import re
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone, translation

from onetrip.common.crypto import lookup_hash
from onetrip.portal.accounts.errors import AccountError
from onetrip.portal.accounts.models import LoginCodeQuota, Resident, SmsLoginCode
from onetrip.portal.accounts.services import (
    CODE_TTL,
    DAILY_LIMIT,
    MAX_ATTEMPTS,
    RESEND_AFTER,
    login_code_request,
    login_code_verify,
)
from onetrip.portal.notify.models import SmsMessage

pytestmark = pytest.mark.django_db(databases=["default", "police"])

PHONE = "13800138000"


@pytest.fixture
def request_code(sms_simulator, django_capture_on_commit_callbacks):
    """Request a code as the resident would and read it from the SMS the simulator received."""

    def request_code(phone=PHONE):
        with django_capture_on_commit_callbacks(execute=True):
            login_code = login_code_request(phone=phone)
        [latest, *_] = sms_simulator.messages()
        code = re.search(r"验证码为(\d{6})", latest["text"]).group(1)
        return login_code, code

    return request_code


def allow_resend(phone=PHONE):
    """Let the resend throttle pass, as if a minute had gone by."""
    LoginCodeQuota.objects.filter(phone_hash=lookup_hash(phone, purpose="phone")).update(
        last_requested_at=timezone.now() - RESEND_AFTER - timedelta(seconds=1)
    )


def error_of(call, **kwargs):
    with pytest.raises(AccountError) as raised:
        call(**kwargs)
    return raised.value


def test_code_flow_over_the_simulator_creates_the_resident(request_code, sms_simulator):
    login_code, code = request_code()
    [sms] = sms_simulator.messages()
    assert sms["to"] == PHONE
    assert sms["text"] == f"【杭州公安】您的登录验证码为{code}，5分钟内有效。请勿泄露给他人。"
    assert login_code.expires_at - login_code.created_at == CODE_TTL

    resident = login_code_verify(phone=PHONE, code=code)
    assert resident.phone == PHONE
    assert resident.phone_hash == lookup_hash(PHONE, purpose="phone")
    assert resident.last_login_at is not None
    login_code.refresh_from_db()
    assert login_code.used_at is not None and login_code.attempts == 1


def test_second_sign_in_finds_the_same_resident(request_code):
    _, code = request_code()
    first = login_code_verify(phone=PHONE, code=code)
    allow_resend()
    _, code = request_code(phone="+86 138-0013-8000")
    assert login_code_verify(phone="8613800138000", code=code) == first
    assert Resident.objects.count() == 1


def test_code_is_never_stored_in_clear(request_code):
    login_code, code = request_code()
    db = connections["default"]
    with db.cursor() as cursor:
        for table in ("portal_accounts_smslogincode", "portal_notify_smsmessage"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            for row in cursor.fetchall():
                assert not any(code in str(value) for value in row), table
                assert not any(PHONE in str(value) for value in row), table
    assert len(login_code.code_hash) == 64


def test_each_code_is_six_random_digits(request_code):
    codes = set()
    for _ in range(5):
        allow_resend()
        _, code = request_code()
        assert re.fullmatch(r"\d{6}", code)
        codes.add(code)
    assert len(codes) > 1


def test_code_request_refuses_a_malformed_number():
    error = error_of(login_code_request, phone="12345")
    assert error.code == "phone_format"
    assert error.field == "phone"
    assert SmsLoginCode.objects.count() == 0


def test_resend_within_a_minute_is_throttled(request_code):
    request_code()
    error = error_of(login_code_request, phone=PHONE)
    assert error.code == "code_throttled"
    assert "秒后再试" in str(error)
    assert SmsLoginCode.objects.count() == 1
    allow_resend()
    request_code()
    assert SmsLoginCode.objects.count() == 2


def test_throttle_is_per_number(request_code):
    request_code()
    request_code(phone="13900139000")
    assert SmsLoginCode.objects.count() == 2


def test_at_most_ten_codes_a_day_then_tomorrow_again(request_code):
    for _ in range(DAILY_LIMIT):
        allow_resend()
        request_code()
    allow_resend()
    error = error_of(login_code_request, phone=PHONE)
    assert error.code == "code_daily_throttled"
    assert SmsMessage.objects.count() == DAILY_LIMIT
    LoginCodeQuota.objects.update(day=timezone.localdate() - timedelta(days=1))
    request_code()
    assert SmsLoginCode.objects.count() == DAILY_LIMIT + 1


def test_wrong_code_counts_and_says_how_many_tries_are_left(request_code):
    login_code, code = request_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    error = error_of(login_code_verify, phone=PHONE, code=wrong)
    assert error.code == "code_wrong"
    assert f"还可尝试{MAX_ATTEMPTS - 1}次" in error.message_zh
    login_code.refresh_from_db()
    assert login_code.attempts == 1


def test_five_wrong_tries_burn_the_code(request_code):
    login_code, code = request_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    codes = [error_of(login_code_verify, phone=PHONE, code=wrong).code for _ in range(MAX_ATTEMPTS)]
    assert codes == ["code_wrong"] * (MAX_ATTEMPTS - 1) + ["code_attempts"]
    assert error_of(login_code_verify, phone=PHONE, code=code).code == "code_attempts"
    login_code.refresh_from_db()
    assert login_code.attempts == MAX_ATTEMPTS
    assert login_code.used_at is None
    assert Resident.objects.count() == 0


def test_expired_code_is_refused(request_code):
    login_code, code = request_code()
    SmsLoginCode.objects.filter(pk=login_code.pk).update(expires_at=timezone.now())
    assert error_of(login_code_verify, phone=PHONE, code=code).code == "code_expired"
    assert Resident.objects.count() == 0


def test_used_code_is_refused(request_code):
    _, code = request_code()
    login_code_verify(phone=PHONE, code=code)
    assert error_of(login_code_verify, phone=PHONE, code=code).code == "code_used"


def test_without_a_code_there_is_nothing_to_verify():
    assert error_of(login_code_verify, phone=PHONE, code="123456").code == "code_missing"


def test_malformed_code_does_not_count_as_a_try(request_code):
    login_code, _ = request_code()
    for bad in ("", "12345", "12345a", "1234567"):
        assert error_of(login_code_verify, phone=PHONE, code=bad).code == "code_format"
    login_code.refresh_from_db()
    assert login_code.attempts == 0


def test_full_width_digits_are_accepted(request_code):
    _, code = request_code()
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert login_code_verify(phone=PHONE, code=f" {full_width} ").phone == PHONE


def test_a_new_code_replaces_the_old_one(request_code):
    _, old = request_code()
    allow_resend()
    _, new = request_code()
    if old != new:
        assert error_of(login_code_verify, phone=PHONE, code=old).code == "code_wrong"
    assert login_code_verify(phone=PHONE, code=new).phone == PHONE


def test_a_code_for_one_number_does_not_sign_in_another(request_code):
    _, code = request_code()
    assert error_of(login_code_verify, phone="13900139000", code=code).code == "code_missing"


def test_errors_speak_chinese_and_english():
    error = error_of(login_code_verify, phone=PHONE, code="x")
    assert str(error) == "请输入6位数字验证码"
    assert error.message_en == "Enter the 6-digit code"
    with translation.override("en"):
        assert error.message == "Enter the 6-digit code"
    with translation.override("zh-hans"):
        assert error.message == "请输入6位数字验证码"


@pytest.mark.django_db(databases=["default", "police"], transaction=True)
def test_concurrent_requests_for_one_number_issue_one_code(sms_simulator):
    import threading

    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("SQLite has one writer; row locks are PostgreSQL's")
    barrier = threading.Barrier(4)
    outcomes = []

    def request():
        try:
            barrier.wait()
            login_code_request(phone=PHONE)
            outcomes.append("issued")
        except AccountError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["code_throttled"] * 3 + ["issued"]
    assert SmsLoginCode.objects.count() == 1
    assert len(sms_simulator.messages()) == 1

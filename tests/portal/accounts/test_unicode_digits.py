"""Sign-in with a phone number spelt in other scripts (DOMAIN ID-13, issue 8): one phone is one
account and one throttle, whatever digits it is typed in.

Full-width digits (a Chinese input method in 全角 mode) are the same number as ASCII digits;
Arabic-Indic or Devanagari digits are refused, so respelling a number cannot bypass the throttle,
create a second resident or send a non-ASCII number to the SMS gateway.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from onetrip.common.crypto import lookup_hash
from onetrip.portal.accounts.errors import AccountError
from onetrip.portal.accounts.models import LoginCodeQuota, Resident, SmsLoginCode
from onetrip.portal.accounts.services import RESEND_AFTER, login_code_request, login_code_verify
from onetrip.portal.notify.models import SmsMessage

pytestmark = pytest.mark.django_db(databases=["default", "police"])

PHONE = "13800138000"
FULL_WIDTH = "１３８００１３８０００"
ARABIC_INDIC = "١٣٨٠٠١٣٨٠٠٠"
EXTENDED_ARABIC_INDIC = "۱۳۸۰۰۱۳۸۰۰۰"
DEVANAGARI = "१३८००१३८०००"
OTHER_SCRIPTS = [ARABIC_INDIC, EXTENDED_ARABIC_INDIC, DEVANAGARI, "¹³⁸⁰⁰¹³⁸⁰⁰⁰", "138００١٣٨٠٠٠"]


@pytest.fixture
def request_code(sms_simulator, django_capture_on_commit_callbacks):
    """Request a code as the resident would and read it from the SMS the simulator received."""

    def request_code(phone=PHONE):
        with django_capture_on_commit_callbacks(execute=True):
            login_code = login_code_request(phone=phone)
        [latest, *_] = sms_simulator.messages()
        code = re.search(r"验证码为(\d{6})", latest["text"]).group(1)
        return login_code, code, latest

    return request_code


def allow_resend():
    LoginCodeQuota.objects.filter(phone_hash=lookup_hash(PHONE, purpose="phone")).update(
        last_requested_at=timezone.now() - RESEND_AFTER - timedelta(seconds=1)
    )


def refusal(call, **kwargs) -> AccountError:
    with pytest.raises(AccountError) as raised:
        call(**kwargs)
    return raised.value


@pytest.mark.parametrize("phone", OTHER_SCRIPTS)
def test_id13_login_code_for_a_number_in_other_digits_is_refused_and_nothing_is_sent(
    phone, sms_simulator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        error = refusal(login_code_request, phone=phone)
    assert error.code in {"non_ascii_digit", "phone_format"}
    assert error.field == "phone"
    assert error.message_zh and error.message_en
    assert SmsLoginCode.objects.count() == 0
    assert LoginCodeQuota.objects.count() == 0
    assert SmsMessage.objects.count() == 0
    assert sms_simulator.messages() == []


@pytest.mark.parametrize("phone", [ARABIC_INDIC, DEVANAGARI])
def test_id13_login_code_refusal_names_the_non_ascii_digit(phone):
    assert refusal(login_code_request, phone=phone).code == "non_ascii_digit"


@pytest.mark.parametrize("phone", OTHER_SCRIPTS)
def test_id13_respelling_a_number_in_other_digits_does_not_bypass_the_throttle(
    phone, request_code, sms_simulator
):
    request_code()
    error = refusal(login_code_request, phone=phone)
    assert error.code in {"non_ascii_digit", "phone_format"}  # not issued, whatever the throttle
    assert refusal(login_code_request, phone=PHONE).code == "code_throttled"
    assert SmsLoginCode.objects.count() == 1
    assert LoginCodeQuota.objects.count() == 1
    assert len(sms_simulator.messages()) == 1


@pytest.mark.parametrize("phone", OTHER_SCRIPTS)
def test_id13_a_code_cannot_be_verified_with_the_number_in_other_digits(phone, request_code):
    login_code, code, _ = request_code()
    assert refusal(login_code_verify, phone=phone, code=code).code in {
        "non_ascii_digit",
        "phone_format",
    }
    login_code.refresh_from_db()
    assert login_code.attempts == 0 and login_code.used_at is None
    assert Resident.objects.count() == 0


def test_id13_full_width_number_gets_an_sms_at_the_ascii_number_and_shares_its_throttle(
    request_code,
):
    _, _, sms = request_code(phone=FULL_WIDTH)
    assert sms["to"] == PHONE
    assert SmsMessage.objects.get().phone == PHONE
    assert refusal(login_code_request, phone=PHONE).code == "code_throttled"
    assert refusal(login_code_request, phone=f" +８６ {FULL_WIDTH} ").code == "code_throttled"
    assert LoginCodeQuota.objects.get().phone_hash == lookup_hash(PHONE, purpose="phone")


def test_id13_full_width_and_ascii_spellings_reach_the_same_resident(request_code):
    _, code, _ = request_code(phone=FULL_WIDTH)
    first = login_code_verify(phone=PHONE, code=code)
    assert first.phone == PHONE
    allow_resend()
    _, code, _ = request_code(phone=PHONE)
    assert login_code_verify(phone="１３８－００１３－８０００", code=code) == first
    assert Resident.objects.count() == 1
    assert Resident.objects.get().phone_hash == lookup_hash(PHONE, purpose="phone")

import pytest

from onetrip.portal.notify.templates_sms import (
    SMS_TEMPLATES,
    SmsTemplateError,
    render_sms,
    template_fields,
)

SAMPLE = {
    "code": "123456",
    "minutes": 5,
    "reference": "SB3301202600001",
    "station": "西湖派出所",
    "registration_number": "DJ330106202600001",
    "reason": "租赁合同照片不清晰",
    # Registration changes and the card's life (declarations/sms.py, permits/sms.py).
    "cancelled_on": "2026年12月1日",
    "changed_on": "2026年11月28日",
    "late": "",
    "what": "居住地址",
    "permit": "您的居住证不受影响",
    "tail": "0001",
    "start": "2026年11月1日",
    "end": "2026年11月30日",
    "since": "2026年12月1日",
    "valid_until": "2027年11月30日",
    # An organisation's import (reporting/services.py).
    "valid": 498,
    "rejected": 2,
    # The card's way to the resident (permits/sms.py, delivery).
    "courier": "EMS",
    "tracking_number": "EM123456789CN",
}


def test_login_code_text():
    assert render_sms("login_code", {"code": "042917", "minutes": 5}) == (
        "【杭州公安】您的登录验证码为042917，5分钟内有效。请勿泄露给他人。"
    )


@pytest.mark.parametrize("template", sorted(SMS_TEMPLATES))
def test_every_template_is_signed_and_renders(template):
    text = render_sms(template, SAMPLE)
    assert text.startswith("【杭州公安】")
    assert "{" not in text


def test_registered_and_returned_say_what_happened():
    assert template_fields("declaration_registered") == {
        "reference",
        "station",
        "registration_number",
    }
    assert template_fields("declaration_returned") == {"reference", "reason"}
    assert "租赁合同照片不清晰" in render_sms("declaration_returned", SAMPLE)


def test_missing_parameter_is_an_error():
    with pytest.raises(SmsTemplateError, match="code"):
        render_sms("login_code", {"minutes": 5})


def test_unknown_template_is_an_error():
    with pytest.raises(SmsTemplateError):
        render_sms("nope", {})

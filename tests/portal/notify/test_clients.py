"""The HTTP SMS client against the simulator over real HTTP."""

import socket

import pytest

from onetrip.portal.notify.clients.sms import HttpSmsGateway, SmsGatewayError, get_gateway


def send(gateway, **overrides):
    args = {
        "to": "13800138000",
        "text": "【杭州公安】您的登录验证码为123456，5分钟内有效。请勿泄露给他人。",
        "template": "login_code",
        "client_ref": "ref-1",
    }
    args.update(overrides)
    return gateway.send(**args)


def test_send_returns_the_provider_id_and_the_gateway_records_it(sms_simulator):
    provider_id = send(HttpSmsGateway(sms_simulator.url, sign="杭州公安"))
    [recorded] = sms_simulator.messages()
    assert recorded["id"] == provider_id
    assert recorded["sign"] == "杭州公安"
    assert recorded["client_ref"] == "ref-1"


def test_get_gateway_uses_the_configured_url(sms_simulator):
    provider_id = send(get_gateway())
    assert [m["id"] for m in sms_simulator.messages()] == [provider_id]


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_server_errors_are_retryable(sms_simulator, status):
    sms_simulator.fail_next(1, status=status)
    with pytest.raises(SmsGatewayError) as raised:
        send(get_gateway())
    assert raised.value.retryable is True
    assert str(status) in str(raised.value)


def test_client_errors_are_not_retryable(sms_simulator):
    with pytest.raises(SmsGatewayError) as raised:
        send(get_gateway(), to="10000000000")
    assert raised.value.retryable is False
    assert "10000000000" not in str(raised.value)


def test_timeout_is_retryable_and_a_resend_is_deduplicated(sms_simulator):
    sms_simulator.fail_next(1, status=202, delay=0.6)
    gateway = HttpSmsGateway(sms_simulator.url, sign="杭州公安", timeout=0.2)
    with pytest.raises(SmsGatewayError) as raised:
        send(gateway)
    assert raised.value.retryable is True
    provider_id = send(gateway)
    assert [m["id"] for m in sms_simulator.messages()] == [provider_id]


def test_unreachable_gateway_is_retryable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SmsGatewayError) as raised:
        send(HttpSmsGateway(f"http://127.0.0.1:{port}", sign="杭州公安", timeout=1.0))
    assert raised.value.retryable is True

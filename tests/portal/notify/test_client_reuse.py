"""The SMS client keeps one HTTP client per gateway: building one loads the CA bundle (about
50 ms of CPU), which used to make every send five times slower than its request (issue 9)."""

import httpx

from onetrip.portal.notify.clients.sms import get_gateway


def test_sends_reuse_one_http_client(sms_simulator, monkeypatch):
    built = []
    real = httpx.Client

    def counting(*args, **kwargs):
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(httpx, "Client", counting)
    gateway = get_gateway()
    assert get_gateway() is gateway
    for n in range(3):
        gateway.send(
            to="13800138000", text=f"【杭州公安】测试{n}", template="login_code", client_ref=f"r{n}"
        )
    assert len(built) == 1
    assert len(sms_simulator.messages()) == 3


def test_another_configuration_gets_another_gateway(sms_simulator, settings):
    first = get_gateway()
    settings.ONETRIP_SMS_TIMEOUT_SECONDS = 1.5
    assert get_gateway() is not first
    assert get_gateway().timeout == 1.5

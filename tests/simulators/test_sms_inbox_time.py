"""The simulator's inbox shows Beijing time, as both zones do, whatever the machine's zone is."""

import time

import pytest

from onetrip.simulators.sms import render_inbox


@pytest.fixture
def machine_in_utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_inbox_shows_beijing_time(machine_in_utc):
    message = {
        "received_at": "2026-11-30T20:05:09.123+00:00",
        "to": "13800138000",
        "text": "【杭州公安】您的登录验证码为123456，5分钟内有效。",
    }
    page = render_inbox([message])
    assert "2026-12-01 04:05:09" in page
    assert "2026-11-30 20:05:09" not in page
    assert "北京时间" in page

"""In Chromium against the real `onetrip up`: a resident declares on the portal, a clerk of the
covering station verifies on the workbench, and the resident sees "已登记" with the SMS recorded."""

from __future__ import annotations

import json
import re
import time
import urllib.request

import pytest

pytestmark = pytest.mark.browser

PHONE = "13800138000"


def _sms(stack, template_text: str, timeout: float = 10) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{stack.sms}/v1/messages?to={PHONE}", timeout=5) as r:
            messages = json.load(r)
        found = [m for m in messages if template_text in m["text"]]
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"no SMS containing {template_text!r}")


def _reload_until(page, text: str, since: float, timeout: float = 5.0) -> float:
    """Reload until `text` shows; return the seconds elapsed since `since`."""
    while time.monotonic() - since < timeout:
        page.reload()
        if text in page.content():
            return time.monotonic() - since
        time.sleep(0.2)
    raise AssertionError(f"{text!r} did not appear within {timeout}s")


def test_resident_declares_clerk_verifies_resident_sees_registered(stack, browser):
    resident = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = resident.new_page()

    page.goto(f"{stack.portal}/declare/")
    assert "/login/" in page.url
    page.fill("input[name=phone]", PHONE)
    page.click("button[value=request]")
    code = re.search(r"验证码为(\d{6})", _sms(stack, "验证码")[0]["text"]).group(1)
    page.fill("input[name=code]", code)
    page.click("button[value=verify]")
    page.wait_for_url(re.compile(r".*/declare/$"))

    page.fill("#name", "张三")
    page.fill("#id_number", "33010619900101123X")
    page.check("input[name=sex][value=M]")
    page.fill("#birth_date", "1990-01-01")
    with page.expect_navigation():
        page.select_option("#district", "330106")
    with page.expect_navigation():
        page.select_option("#street", "330106002")
    page.select_option("#community_code", "330106002001")
    page.fill("#address_detail", "曙光路 12 号 3 幢 201 室")
    page.select_option("#housing_type", "rented")
    page.fill("#landlord_name", "李四")
    page.select_option("#reason", "work")
    page.fill("#arrival_date", "2026-11-20")
    page.click("#submit")
    page.wait_for_url(re.compile(r".*/my/declarations/JZ\d+/$"))
    submitted_at = time.monotonic()
    reference = re.search(r"(JZ\d+)", page.url).group(1)
    assert "已提交" in page.content() or "派出所已接收" in page.content()

    clerk = browser.new_context(locale="zh-CN").new_page()
    clerk.goto(f"{stack.police}/login/")
    clerk.fill("input[name=username]", "clerk_beishan")
    clerk.fill("input[name=password]", "onetrip-demo")
    clerk.click("button[type=submit]")
    clerk.wait_for_url(re.compile(r".*/declarations/.*"))
    arrived = _reload_until(clerk, reference, since=submitted_at)
    print(f"declaration visible on the workbench after {arrived:.2f}s")
    assert arrived <= 5.0
    clerk.click(f"text={reference}")
    assert "33010619900101123X" not in clerk.content()
    with clerk.expect_navigation():
        clerk.click("#verify")
    verified_at = time.monotonic()
    assert "已登记" in clerk.content()

    seen = _reload_until(page, "已登记", since=verified_at)
    print(f"registration visible on the portal after {seen:.2f}s")
    assert seen <= 5.0
    assert page.locator("[data-status=registered]").count() >= 1
    assert _sms(stack, "核查通过")

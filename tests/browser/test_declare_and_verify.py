"""In Chromium against the real `onetrip up`: a resident declares on the portal, a clerk of the
covering station verifies on the workbench, and the resident sees "已登记" with the SMS recorded."""

from __future__ import annotations

import time

import pytest

from tests.browser.steps import (
    clerk_logs_in,
    fill_declaration,
    reload_until,
    resident_logs_in,
    review_and_confirm,
    sms,
)

pytestmark = pytest.mark.browser


def test_resident_declares_clerk_verifies_resident_sees_registered(stack, browser):
    resident = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = resident.new_page()

    page.goto(f"{stack.portal}/declare/")
    assert "/login/" in page.url
    resident_logs_in(stack, page)
    fill_declaration(page)
    reference = review_and_confirm(page)
    submitted_at = time.monotonic()
    assert "已提交" in page.content() or "派出所已接收" in page.content()

    clerk = clerk_logs_in(stack, browser)
    arrived = reload_until(clerk, reference, since=submitted_at)
    print(f"declaration visible on the workbench after {arrived:.2f}s")
    assert arrived <= 5.0
    clerk.click(f"text={reference}")
    assert "33010619900101123X" not in clerk.content()
    with clerk.expect_navigation():
        clerk.click("#verify")
    verified_at = time.monotonic()
    assert "已登记" in clerk.content()

    seen = reload_until(page, "已登记", since=verified_at)
    print(f"registration visible on the portal after {seen:.2f}s")
    assert seen <= 5.0
    assert page.locator("[data-status=registered]").count() >= 1
    assert sms(stack, "核查通过")

"""In Chromium against the real `onetrip up`: a returned declaration is corrected, resubmitted
and registered; the address choice keeps the page where it is; a duplicate is refused with a
link to the first declaration."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.steps import (
    choose_address,
    clerk_logs_in,
    fill_declaration,
    reload_until,
    resident_logs_in,
    review_and_confirm,
)

pytestmark = pytest.mark.browser


def _resident(browser, stack, phone: str):
    page = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
    resident_logs_in(stack, page, phone=phone)
    return page


def test_a_returned_declaration_is_fixed_resubmitted_and_registered(stack, browser):
    page = _resident(browser, stack, "13700137001")
    fill_declaration(page, address="保俶路 1 号")
    reference = review_and_confirm(page)
    submitted = time.monotonic()

    clerk = clerk_logs_in(stack, browser)
    reload_until(clerk, reference, since=submitted)
    clerk.goto(f"{stack.police}/declarations/{reference}/")
    clerk.fill("#reason", "请补充楼栋和门牌号")
    with clerk.expect_navigation():
        clerk.click("#return")
    returned = time.monotonic()

    reload_until(page, "已退回", since=returned)
    with page.expect_navigation():
        page.click("#fix")
    assert "请补充楼栋和门牌号" in page.locator("#fix-reason").inner_text()
    assert page.input_value("#address_detail") == "保俶路 1 号"
    page.fill("#address_detail", "保俶路 1 号 2 幢 301 室")
    with page.expect_navigation():
        page.click("#submit")
    with page.expect_navigation():
        page.click("#confirm")
    assert page.url.endswith(f"/my/declarations/{reference}/")
    resubmitted = time.monotonic()

    clerk.goto(f"{stack.police}/declarations/{reference}/")
    reload_until(clerk, "保俶路 1 号 2 幢 301 室", since=resubmitted)
    with clerk.expect_navigation():
        clerk.click("#verify")
    verified = time.monotonic()
    reload_until(page, "已登记", since=verified)
    history = page.content()
    assert history.count("已退回") >= 1 and "已按退回原因更正" in history


def test_the_address_choice_keeps_the_scroll_position(stack, browser):
    page = _resident(browser, stack, "13700137002")
    url = page.url
    page.locator("#district").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 40)")
    before = page.evaluate("window.scrollY")
    assert before > 0
    choose_address(page, "330106", "330106002", "330106002001")
    assert page.url == url
    assert page.evaluate("window.scrollY") == before
    assert page.input_value("#community_code") == "330106002001"


def test_a_duplicate_is_refused_with_a_link_to_the_first(stack, browser):
    page = _resident(browser, stack, "13700137003")
    fill_declaration(page, address="天目山路 5 号 1 幢 101 室")
    page.fill("#id_number", "110101199003070038")
    first = review_and_confirm(page, birth_date="1990-03-07")

    page.goto(f"{stack.portal}/declare/")
    fill_declaration(page, address="天目山路5号1幢101室")
    page.fill("#id_number", "110101199003070038")
    with page.expect_navigation():
        page.click("#submit")
    with page.expect_navigation():
        page.click("#confirm")
    box = page.locator("#duplicate")
    assert "无需重复申报" in box.inner_text()
    with page.expect_navigation():
        box.locator("a").click()
    assert re.search(rf"/my/declarations/{first}/$", page.url)

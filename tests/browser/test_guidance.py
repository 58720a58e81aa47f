"""In Chromium on a phone-sized screen against the real `onetrip up`: a resident opens the
guidance the police zone published over the ferry, searches in Chinese, reads the answer, goes
from the one-time materials list to a proof's sample, and turns on large text; axe-core checks
every page and finds no serious or critical violation (issue 16).

axe-core (MPL-2.0, Deque Systems) is the copy the `axe-playwright-python` package ships, a dev
dependency; it is injected into each page as it is."""

from __future__ import annotations

import json
import time
from importlib import resources

import pytest
from playwright.sync_api import expect

from tests.browser.steps import reload_until

pytestmark = pytest.mark.browser

MOBILE = {"width": 390, "height": 844}
CROSSING = 30.0  # seconds the demo guidance may take to cross the ferry after start-up
BLOCKING = ("serious", "critical")


def _axe_source() -> str:
    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text("utf-8")


def axe_problems(page) -> list[str]:
    """Serious and critical axe-core violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=_axe_source())
    result = page.evaluate(
        "async () => JSON.stringify(await axe.run(document, "
        "{resultTypes: ['violations'], runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}}))"
    )
    violations = json.loads(result)["violations"]
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in BLOCKING
    ]


def check(page, checked: dict[str, list[str]]) -> None:
    checked[page.url] = axe_problems(page)


def test_guidance_on_a_phone_searches_links_to_a_proof_sample_and_passes_axe(stack, browser):
    page = browser.new_context(locale="zh-CN", viewport=MOBILE).new_page()
    checked: dict[str, list[str]] = {}
    page.goto(stack.portal + "/guide/")
    reload_until(page, "居住证申领办事指南", time.monotonic(), timeout=CROSSING)
    check(page, checked)

    # Search in Chinese: the answer first, the words marked.
    page.fill("#guide-q", "签注过期")
    with page.expect_navigation():
        page.click("#guide-search")
    first = page.locator("#results li").first
    expect(first).to_have_attribute("data-key", "faq-endorsement-late")
    expect(first.locator("mark").first).to_be_visible()
    check(page, checked)
    with page.expect_navigation():
        first.locator("a").click()
    expect(page.locator("h1")).to_contain_text("签注过期")
    check(page, checked)

    # A guide with its steps and pictures, the FAQ by category, the proofs, the policies.
    for path, heading in [
        ("/guide/guide-permit-application/", "居住证申领办事指南"),
        ("/guide/faq/?category=minors", "你问我答"),
        ("/guide/proofs/", "材料样例"),
        ("/guide/policies/", "政策法规"),
    ]:
        page.goto(stack.portal + path)
        expect(page.locator("h1")).to_contain_text(heading)
        check(page, checked)
    page.goto(stack.portal + "/guide/guide-permit-application/")
    images = page.locator("main img")
    assert images.count() >= 6
    for i in range(images.count()):
        assert images.nth(i).get_attribute("alt"), "a picture without alt text"

    # From the one-time materials list to the sample of one proof.
    page.goto(stack.portal + "/permit/materials/?route=residence&housing=rented_state_land")
    check(page, checked)
    with page.expect_navigation():
        page.locator('[data-proof="C23"] a.proof__link').click()
    assert page.url.endswith("/guide/proofs/C23/")
    expect(page.locator("h1")).to_contain_text("房屋租赁合同")
    sample = page.locator(".guide-figure img")
    expect(sample).to_be_visible()
    assert "样例图" in (sample.get_attribute("alt") or "")
    assert page.evaluate("() => document.querySelector('.guide-figure img').naturalWidth") > 0
    check(page, checked)

    # Large text, kept from page to page.
    before = page.evaluate("() => getComputedStyle(document.documentElement).fontSize")
    with page.expect_navigation():
        page.click("#text-size")
    after = page.evaluate("() => getComputedStyle(document.documentElement).fontSize")
    assert float(after.rstrip("px")) > float(before.rstrip("px"))
    check(page, checked)

    # Nothing wider than the phone's screen.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= MOBILE["width"]
    problems = {url: found for url, found in checked.items() if found}
    assert problems == {}, problems
    assert len(checked) >= 9

"""Steps the browser tests share: a resident's log-in by SMS code, the declaration form, a
clerk's log-in, the files of a permit application, a step at the station's window."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from pathlib import Path

from PIL import Image, ImageDraw
from playwright.sync_api import expect

PHONE = "13800138000"


def sms(stack, template_text: str, *, phone: str = PHONE, timeout: float = 10) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{stack.sms}/v1/messages?to={phone}", timeout=5) as r:
            messages = json.load(r)
        found = [m for m in messages if template_text in m["text"]]
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"no SMS containing {template_text!r}")


def reload_until(
    page, text: str, since: float, timeout: float = 5.0, *, within: str | None = None
) -> float:
    """Reload until `text` shows (in the element `within`, when given, since the same words
    may stand elsewhere on the page, e.g. in the list of steps still to come); return the
    seconds elapsed since `since`."""
    while time.monotonic() - since < timeout:
        page.reload()
        shown = page.content() if within is None else _text_of(page, within)
        if text in shown:
            return time.monotonic() - since
        time.sleep(0.2)
    raise AssertionError(f"{text!r} did not appear within {timeout}s")


def _text_of(page, selector: str) -> str:
    found = page.locator(selector)
    return found.first.inner_text() if found.count() else ""


def resident_logs_in(stack, page, *, phone: str = PHONE, next_path: str = "/declare/") -> None:
    """Sign in with the code just sent. The simulator lists messages newest first, and a phone
    that signed in before still has its older codes there: take the newest code that was not
    there before this request."""
    page.goto(f"{stack.portal}{next_path}")
    page.fill("input[name=phone]", phone)
    with urllib.request.urlopen(f"{stack.sms}/v1/messages?to={phone}", timeout=5) as r:
        before = {m["id"] for m in json.load(r)}
    page.click("button[value=request]")
    deadline = time.monotonic() + 10
    while True:
        fresh = [m for m in sms(stack, "验证码", phone=phone) if m["id"] not in before]
        if fresh or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert fresh, "no new SMS code"
    code = re.search(r"验证码为(\d{6})", fresh[0]["text"]).group(1)
    page.fill("input[name=code]", code)
    page.click("button[value=verify]")
    page.wait_for_url(re.compile(rf".*{re.escape(next_path)}$"))


def choose_address(page, district: str, street: str, community: str) -> None:
    """The district → street → community choice; with JavaScript the lists fill in place."""
    page.select_option("#district", district)
    page.wait_for_selector(f"#street option[value='{street}']", state="attached")
    page.select_option("#street", street)
    page.wait_for_selector(f"#community_code option[value='{community}']", state="attached")
    page.select_option("#community_code", community)


def fill_declaration(page, *, address: str = "曙光路 12 号 3 幢 201 室") -> None:
    page.fill("#name", "张三")
    page.fill("#id_number", "33010619900101123X")
    choose_address(page, "330106", "330106002", "330106002001")
    page.fill("#address_detail", address)
    page.select_option("#housing_type", "rented")
    page.fill("#landlord_name", "李四")
    page.select_option("#reason", "work")
    page.fill("#arrival_date", "2026-11-20")


def review_and_confirm(page, *, birth_date: str = "1990-01-01") -> str:
    """Submit through the review page; return the declaration's reference."""
    with page.expect_navigation():
        page.click("#submit")
    assert "核对申报信息" in page.content()
    assert birth_date in page.content()  # read from the ID number
    with page.expect_navigation():
        page.click("#confirm")
    page.wait_for_url(re.compile(r".*/my/declarations/JZ\d+/$"))
    return re.search(r"(JZ\d+)", page.url).group(1)


def clerk_logs_in(stack, browser, username: str = "clerk_beishan"):
    """Password, then the second factor where the account has or needs one (MLPS-3 d): the
    code from the published demo secret (`ONETRIP_DEMO=1`), or, where `make up` ran without it,
    the enrolment page's own key — as an officer's authenticator app would."""
    import base64

    from django_otp.oath import totp

    from onetrip.police.accounts.management.commands.load_demo_staff import DEMO_TOTP_SECRET

    clerk = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768}).new_page()
    clerk.goto(f"{stack.police}/login/")
    clerk.fill("input[name=username]", username)
    clerk.fill("input[name=password]", "onetrip-demo")
    clerk.click("button[type=submit]")
    clerk.wait_for_url(re.compile(r".*/(declarations|station|security|login/code|login/enrol)/.*"))
    for _ in range(2):  # a code is accepted once: a second log-in in the same 30 s waits
        if "/login/enrol/" in clerk.url:
            key = base64.b32decode(clerk.inner_text("#totp-secret").replace(" ", ""))
        elif "/login/code/" in clerk.url:
            key = base64.b32decode(DEMO_TOTP_SECRET)
        else:
            break
        clerk.fill("input[name=token]", f"{totp(key):06d}")
        clerk.click("button[type=submit]")
        clerk.wait_for_load_state()
        if "/login/" in clerk.url:
            time.sleep(30 - time.time() % 30 + 1)
    clerk.wait_for_url(re.compile(r".*/(declarations|station|security)/.*"))
    return clerk


def photo_jpeg(path: Path) -> Path:
    """A 358 × 441 JPEG on a white background, a head and shoulders in the middle."""
    image = Image.new("RGB", (358, 441), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((119, 80, 239, 220), fill=(90, 70, 60))
    draw.rectangle((79, 250, 279, 441), fill=(40, 50, 80))
    image.save(path, "JPEG", quality=90)
    return path


def scanned_page(path: Path, title_rows: int) -> Path:
    """A small JPEG that looks like a photographed page of text."""
    image = Image.new("RGB", (600, 800), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    for row in range(title_rows, 30):
        draw.rectangle((60, 60 + row * 24, 540, 70 + row * 24), fill=(60, 60, 60))
    image.save(path, "JPEG", quality=85)
    return path


def upload(page, line: str, file: Path) -> None:
    """Upload `file` on the materials line `line` of an application's documents page."""
    row = page.locator(f"li[data-line='{line}']")
    row.locator("input[type=file]").set_input_files(file)
    with page.expect_navigation():
        row.locator("button[name=upload]").click()
    expect(page.locator(f"li[data-line='{line}'] [data-state=provided]")).to_contain_text(file.name)


def station_step(page, button: str, done: str) -> None:
    """Press a decision button of the workbench and read the confirmation it ends with."""
    with page.expect_navigation():
        page.click(button)
    expect(page.locator("[role=status]").first).to_contain_text(done)


def resident_sees(
    stack, resident, reference: str, status: str, since: float, timeout: float
) -> None:
    """Her application's page, reloaded until its status line says `status`."""
    resident.goto(f"{stack.portal}/permit/applications/{reference}/")
    reload_until(resident, status, since=since, timeout=timeout, within="#status")
    expect(resident.locator("#status")).to_have_text(status)

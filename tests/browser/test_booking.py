"""In Chromium on a phone-sized screen against the real `onetrip up`: the station admin of 北山
lets the residents book only one visit a day at her window; a resident finds the window nearest
to where she stands, books a slot, reads the SMS, adds the visit to her calendar, moves it to
another day and then cancels it. A second resident, who found that day full and joined its
waitlist, is offered the seat by SMS and takes it."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from tests.browser.steps import clerk_logs_in, reload_until, resident_logs_in, sms

pytestmark = pytest.mark.browser

WINDOW = "33010650002001"  # 北山派出所户籍窗口, in 北山街道 of 西湖区
WINDOW_NAME = "北山派出所户籍窗口"
HERE = {"latitude": 30.2772, "longitude": 120.0812}  # beside it
DISTRICT, COMMUNITY = "330106", "330106002001"  # 西湖区, a community of 北山街道
PHONE_A, PHONE_B = "13600136001", "13600136002"
CROSSING = 15.0  # seconds a change may take to cross the ferry on a slow machine
MOBILE = {"width": 390, "height": 844}


def _phone(browser, **options):
    return browser.new_context(locale="zh-CN", viewport=MOBILE, **options).new_page()


def _to_nearest_list(page) -> None:
    """From "我的预约" to the window directory, as a resident who has not booked yet does."""
    with page.expect_navigation():
        page.click("#bookings >> text=选择窗口预约")
    assert page.url.endswith("/windows/")


def _book_at_nearest(page) -> str:
    """The first window of the nearest-first list is 北山's; on to its booking page. Returns
    the address the directory gives."""
    first = page.locator("ol.window-list > li").first
    expect(first).to_have_attribute("data-code", WINDOW)
    expect(first).to_contain_text("15分钟服务圈内")
    address = first.locator("dl.window__facts dd").first.inner_text()
    with page.expect_navigation():
        first.get_by_role("link", name="预约办理").click()
    assert page.url.split("?")[0].endswith(f"/booking/windows/{WINDOW}/")
    expect(page.locator("#window")).to_contain_text(WINDOW_NAME)
    expect(page.locator("#window")).to_contain_text(address)
    return address


def _open_days(page) -> list[str]:
    """The days after today the window works and still has a seat, in order (a booking made
    for tomorrow or later stays well before the cut-off for changes)."""
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    days = page.locator("ul.booking-days a[data-day]:not(.booking-day--full)")
    return [d for d in (a.get_attribute("data-day") for a in days.all()) if d > today]


def _choose_day(page, day: str) -> None:
    with page.expect_navigation():
        page.click(f"ul.booking-days a[data-day='{day}']")
    expect(page.locator(f"ul.booking-days a[data-day='{day}']")).to_have_attribute(
        "aria-current", "date"
    )


def _first_free_slot(page):
    return page.locator("ul.booking-slots button:not([disabled])").first


def _ics(page) -> Calendar:
    with page.expect_download() as download:
        page.click("#ics")
    assert download.value.suggested_filename.endswith(".ics")
    return Calendar.from_ical(Path(download.value.path()).read_bytes())


def _event(calendar: Calendar):
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_book_reschedule_cancel_and_the_waitlist_takes_the_seat(stack, browser):
    # The station admin keeps 北山's window to one online booking a day (the rest for walk-ins).
    admin = clerk_logs_in(stack, browser, "admin_beishan")
    with admin.expect_navigation():
        admin.click("nav >> text=办证窗口")
    row = admin.locator("tr", has_text=WINDOW_NAME)
    with admin.expect_navigation():
        row.get_by_role("link", name=re.compile("每.+分钟.+人")).click()
    assert admin.url.endswith(f"/windows/{WINDOW}/calendar/")
    admin.fill("#online_quota_per_day", "1")
    with admin.expect_navigation():
        admin.click("text=保存并发布")
    expect(admin.locator("[role=status]").first).to_contain_text("已发布到网上服务平台")
    assert admin.input_value("#online_quota_per_day") == "1"
    published = time.monotonic()

    # Resident A stands near 北山街道 and lets the directory use her position.
    a = _phone(browser, geolocation=HERE, permissions=["geolocation"])
    resident_logs_in(stack, a, phone=PHONE_A, next_path="/booking/")
    expect(a.locator("#bookings")).to_contain_text("您还没有预约")
    _to_nearest_list(a)
    with a.expect_navigation():
        a.click("#locate")
    expect(a.locator("#results-title")).to_have_text("离您的位置最近的窗口")
    expect(a.locator("#results-title")).to_be_in_viewport()  # no scrolling past the forms
    address = _book_at_nearest(a)
    assert address.startswith("杭州市西湖区")

    # Once the new calendar has crossed, every open day offers one seat.
    reload_until(a, "余1</a>", since=published, timeout=CROSSING)
    days = _open_days(a)
    assert len(days) >= 2, days
    first_day, second_day = days[0], days[1]
    for day in days:
        expect(a.locator(f"a[data-day='{day}']")).to_contain_text("余1")

    # She books the first slot of the first working day after today.
    _choose_day(a, first_day)
    expect(a.locator("input[name=service][value=permit_first]")).to_be_checked()
    slot = _first_free_slot(a)
    expect(slot).to_contain_text("余 1")  # the day's one seat, whatever the slot's counters
    start_hm = slot.inner_text().split("-")[0]
    with a.expect_navigation():
        slot.click()
    reference = re.search(r"/booking/b/([^/]+)/$", a.url).group(1)
    expect(a.locator("h1")).to_have_text("确认预约")
    expect(a.locator("#when")).to_contain_text(start_hm)
    a.fill("#name", "王晓燕")
    with a.expect_navigation():
        a.click("#confirm")
    expect(a.locator("[role=status]").first).to_contain_text("预约成功，短信已发送到您的手机")
    expect(a.locator("#booking .status")).to_have_text("已预约")
    booked_when = a.locator("#when").inner_text()

    text = next(m["text"] for m in sms(stack, "您已预约", phone=PHONE_A) if reference in m["text"])
    assert WINDOW_NAME in text and booked_when in text

    # The calendar file: Asia/Shanghai wall-clock time, the window's address.
    event = _event(_ics(a))
    start = event.decoded("dtstart")
    assert event["dtstart"].params["TZID"] == "Asia/Shanghai"
    assert str(start.tzinfo) == "Asia/Shanghai" and start.utcoffset() == dt.timedelta(hours=8)
    assert f"{start:%Y-%m-%d %H:%M}" == f"{first_day} {start_hm}"
    assert str(event["location"]) == address
    assert reference in str(event["description"])

    # She moves it to the next working day.
    with a.expect_navigation():
        a.click("#reschedule")
    expect(a.locator("h1")).to_have_text("改约")
    _choose_day(a, second_day)
    slot = _first_free_slot(a)
    new_hm = slot.inner_text().split("-")[0]
    with a.expect_navigation():
        slot.click()
    assert a.url.endswith(f"/booking/b/{reference}/")
    expect(a.locator("[role=status]").first).to_contain_text("已改约，短信已发送到您的手机")
    moved_when = a.locator("#when").inner_text()
    assert moved_when != booked_when and new_hm in moved_when
    text = next(m["text"] for m in sms(stack, "已改到", phone=PHONE_A) if reference in m["text"])
    assert moved_when in text
    event = _event(_ics(a))
    assert f"{event.decoded('dtstart'):%Y-%m-%d %H:%M}" == f"{second_day} {new_hm}"
    assert int(event["sequence"]) == 1  # the same event, updated in place

    # Resident B chooses her community instead of sharing her position.
    b = _phone(browser)
    resident_logs_in(stack, b, phone=PHONE_B, next_path="/booking/")
    _to_nearest_list(b)
    b.select_option("#near_district", DISTRICT)
    with b.expect_navigation():
        b.click("#list-communities")
    expect(b.locator("#community")).to_be_in_viewport()  # where she chooses next
    b.select_option("#community", COMMUNITY)
    with b.expect_navigation():
        b.click("#find-nearest")
    expect(b.locator("#results-title")).to_have_text("离西湖区 北山街道 北山社区最近的窗口")
    expect(b.locator("#results-title")).to_be_in_viewport()
    _book_at_nearest(b)

    # The day A moved to is full: B joins its waitlist.
    expect(b.locator(f"a[data-day='{second_day}']")).to_contain_text("已约满")
    expect(b.locator(f"a[data-day='{first_day}']")).to_contain_text("余1")
    _choose_day(b, second_day)
    expect(b.locator("#day-full")).to_contain_text("加入候补")
    expect(b.locator("ul.booking-slots")).to_have_count(0)
    b.fill("#wl-name", "李晓东")
    with b.expect_navigation():
        b.click("#join-waitlist")
    assert b.url.endswith("/booking/")
    expect(b.locator("[role=status]").first).to_contain_text("已加入候补")
    expect(b.locator("#waitlist")).to_contain_text("候补中")

    # A cancels; the seat goes to B, held for her, and she is told by SMS.
    with a.expect_navigation():
        a.click("#cancel")
    assert a.url.endswith("/booking/")
    expect(a.locator("[role=status]").first).to_contain_text("预约已取消")
    expect(a.locator(f"#bookings [data-reference='{reference}'] .status")).to_have_text("已取消")
    assert any(reference in m["text"] for m in sms(stack, "已取消", phone=PHONE_A))

    offer = sms(stack, "您候补的", phone=PHONE_B)[0]["text"]
    assert WINDOW_NAME in offer and moved_when in offer and "已为您保留至" in offer
    b.reload()
    expect(b.locator("#waitlist")).to_contain_text("有空位，请确认")
    link = re.search(r"https?://\S+/booking/b/[^/]+/", offer).group(0)
    assert link.startswith(stack.portal), link

    # She follows the link in the SMS and confirms.
    b.goto(link)
    expect(b.locator("h1")).to_have_text("确认预约")
    expect(b.locator("#when")).to_have_text(moved_when)
    expect(b.locator("#name")).to_have_value("李晓东")
    with b.expect_navigation():
        b.click("#confirm")
    expect(b.locator("[role=status]").first).to_contain_text("预约成功")
    expect(b.locator("#booking .status")).to_have_text("已预约")
    offered = b.url.split("/booking/b/")[1].strip("/")
    assert any(offered in m["text"] for m in sms(stack, "您已预约", phone=PHONE_B))
    b.goto(f"{stack.portal}/booking/")
    expect(b.locator("#waitlist")).to_have_count(0)
    expect(b.locator(f"#bookings [data-reference='{offered}'] .status")).to_have_text("已预约")

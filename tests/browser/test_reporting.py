"""In Chromium on a phone-sized screen against the real `onetrip up`: the HR clerk of an
employer signs her company up for organisation reporting, the district admin of 西湖区 approves
it in the workbench, and the clerk downloads the Excel template, fills in the week's new hires
(two of them mistyped), uploads it and watches the progress bar run to the end. She downloads
the error report, which lists the two bad rows and nothing else, corrects them in the report
itself and uploads it: the second import finishes with nothing rejected and both rows in the
register."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from onetrip.common.identifiers import id_check_char
from tests.browser.steps import clerk_logs_in, reload_until, resident_logs_in, sms

pytestmark = pytest.mark.browser

CREDIT_CODE = "91330106MA27WQ3L3N"  # checksum-valid (GB 32100), not in the demo data
COMPANY = "杭州云栖数智科技有限公司"
DISTRICT = "330106"  # 西湖区, whose admin is the demo account district_xihu
COMMUNITY = "330106002001"  # a community of 北山街道, which 北山派出所 covers
PHONE = "13912340014"  # the HR clerk's mobile, used by no other browser test
MOBILE = {"width": 390, "height": 844}
CROSSING = 15.0  # seconds a message may take to cross the ferry on a slow machine
FINISHING = 30.0  # seconds an import of a few rows may take, both crossings included
PEOPLE_HEADERS = [
    *("事件", "姓名", "公民身份号码", "手机号码"),
    *("日期", "社区", "详细地址", "房屋编号"),
]

# Every change the clerk sees in the progress section, page load after page load (the page
# reloads itself when the import finishes), kept in the tab's sessionStorage per import page.
PROGRESS_RECORDER = """
addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("progress");
  if (!box) return;
  const key = "progress:" + location.pathname;
  const seen = JSON.parse(sessionStorage.getItem(key) || "[]");
  const count = (id) => {
    const el = document.getElementById(id);
    return el ? Number(el.textContent.trim()) : null;
  };
  const note = () => {
    seen.push({
      value: Number(document.getElementById("bar").value),
      status: document.getElementById("status").textContent.trim(),
      finished: box.dataset.finished === "1",
      read: count("rows-read"),
      valid: count("rows-valid"),
      rejected: count("rows-rejected"),
      applied: count("rows-applied"),
    });
    sessionStorage.setItem(key, JSON.stringify(seen));
  };
  note();
  new MutationObserver(note).observe(box, {
    subtree: true, childList: true, characterData: true, attributes: true,
  });
});
"""


def _id_number(body17: str) -> str:
    return body17 + id_check_char(body17)


def _wrong_check(number: str) -> str:
    """The same ID number with a mistyped check character."""
    return number[:17] + ("0" if number[17] != "0" else "1")


def _today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _hires(today: dt.date) -> list[dict]:
    """The week's new hires: ten people, a few days back, living in 北山街道."""
    people = [
        ("陈思远", "33010619920314051", "13700001401"),
        ("林晓雯", "33010319950722062", ""),
        ("黄子豪", "36042619930105031", "13700001403"),
        ("周婉婷", "11010519970911082", "13700001404"),
        ("吴家明", "33010219900228071", ""),
        ("郑雨桐", "33010619980417042", "13700001406"),
        ("孙浩然", "36042619911130013", "13700001407"),
        ("马欣怡", "33010319960603024", "13700001408"),
        ("何俊杰", "11010519941019053", ""),
        ("谢佳琪", "33010219990125066", "13700001410"),
    ]
    return [
        {
            "name": name,
            "id_number": _id_number(body),
            "phone": phone,
            "date": today - dt.timedelta(days=1 + index % 5),
            "address": f"保俶路{20 + index}号{index % 3 + 1}幢{index + 1}01室",
        }
        for index, (name, body, phone) in enumerate(people)
    ]


def _phone(browser):
    context = browser.new_context(locale="zh-CN", viewport=MOBILE, accept_downloads=True)
    context.add_init_script(PROGRESS_RECORDER)
    return context.new_page()


def _download(page, selector: str, folder: Path) -> Path:
    with page.expect_download() as download:
        page.click(selector)
    target = folder / download.value.suggested_filename
    download.value.save_as(target)
    return target


def _upload(page, path: Path) -> str:
    """Upload from the dashboard; return the import's reference."""
    page.set_input_files("#file", str(path))
    expect(page.locator("#dry_run")).not_to_be_checked()
    with page.expect_navigation():
        page.click("#upload")
    found = re.search(rf"/org/{CREDIT_CODE}/imports/(RI\d+)/$", page.url)
    assert found, page.url
    return found.group(1)


def _watch_progress(page) -> list[dict]:
    """Stay on the import page until it says the import is done; return every state of the
    progress section the clerk saw on the way."""
    expect(page.locator("#progress")).to_have_attribute(
        "data-finished", "1", timeout=FINISHING * 1000
    )
    expect(page.locator("#bar")).to_have_attribute("value", "100")
    key = "progress:" + page.evaluate("location.pathname")
    return page.evaluate("(key) => JSON.parse(sessionStorage.getItem(key) || '[]')", key)


def _assert_progress(seen: list[dict], *, read: int, valid: int, rejected: int) -> None:
    assert seen, "the progress section was never seen"
    # The page right after the upload: the file is still queued or being read, since the
    # register's answer needs two ferry crossings after the last row is read.
    assert not seen[0]["finished"] and seen[0]["value"] < 100, seen[0]
    values = [s["value"] for s in seen]
    assert values == sorted(values), f"the bar went backwards: {values}"
    assert all(s["read"] <= read and s["applied"] <= valid for s in seen), seen
    last = seen[-1]
    assert last["finished"] and last["value"] == 100 and last["status"] == "已完成", last
    assert (last["read"], last["valid"], last["rejected"], last["applied"]) == (
        read,
        valid,
        rejected,
        valid,
    ), last
    # It moved in front of her: the page's poll moved the bar before the page reloaded itself.
    live = [s for s in seen[1:] if not s["finished"]]
    assert live and live[-1]["value"] > seen[0]["value"], seen


def _sheet_rows(path: Path, title: str) -> tuple[list, list[tuple]]:
    rows = list(load_workbook(path, read_only=True)[title].iter_rows(values_only=True))
    return list(rows[0]), [r for r in rows[1:] if any(v is not None for v in r)]


def test_hr_clerk_reports_new_hires_and_corrects_the_rejected_rows(stack, browser, tmp_path):
    today = _today()
    hires = _hires(today)

    # The HR clerk signs in with her mobile number and signs her company up as an employer.
    clerk = _phone(browser)
    resident_logs_in(stack, clerk, phone=PHONE, next_path="/org/")
    expect(clerk.locator("h1")).to_have_text("单位报送")
    with clerk.expect_navigation():
        clerk.click("#signup")
    clerk.fill("#credit_code", CREDIT_CODE.lower())  # typed in lower case, kept upper-cased
    clerk.fill("#name", COMPANY)
    clerk.select_option("#kind", "employer")
    clerk.select_option("#district_code", DISTRICT)
    clerk.fill("#address", "西湖区保俶路 18 号 5 楼")
    clerk.fill("#contact_name", "王芳")
    with clerk.expect_navigation():
        clerk.click("#submit")
    assert clerk.url.endswith(f"/org/{CREDIT_CODE}/"), clerk.url
    expect(clerk.locator("h1")).to_have_text(COMPANY)
    expect(clerk.locator("#org-status")).to_have_text("待审核")
    expect(clerk.locator("#upload")).to_have_count(0)  # nothing may be reported before approval
    signed_up = time.monotonic()

    # The district admin of 西湖区 finds it among the organisations waiting for approval.
    admin = clerk_logs_in(stack, browser, "district_xihu")
    admin.goto(f"{stack.police}/reporting/organisations/")
    reload_until(admin, CREDIT_CODE, since=signed_up, timeout=CROSSING, within="main")
    card = admin.locator("section.card", has_text=CREDIT_CODE)
    expect(card).to_contain_text(COMPANY)
    expect(card).to_contain_text("用工单位")
    expect(card).to_contain_text("西湖区")
    expect(card).not_to_contain_text(PHONE)  # the contact's phone is masked
    with admin.expect_navigation():
        card.locator("button[value=approved]").click()
    expect(admin.locator("[role=status]").first).to_contain_text(f"“{COMPANY}”设为：已通过")
    approved = time.monotonic()

    # The decision crosses back; the dashboard now offers the template and the upload.
    reload_until(clerk, "已通过", since=approved, timeout=CROSSING, within="#org-status")
    expect(clerk.locator("#upload")).to_be_visible()
    template = _download(clerk, "#template", tmp_path)
    assert template.name == "居住登记报送模板.xlsx"

    # She fills in the 人员 sheet in Excel (here openpyxl): the community from the drop-down's
    # list, two rows mistyped — an ID number's check character and a date next week.
    workbook = load_workbook(template)
    assert workbook.sheetnames[:2] == ["说明", "人员"]
    assert "房屋" not in workbook.sheetnames  # an employer reports people only
    communities = workbook["社区列表"]
    assert communities.sheet_state == "hidden"
    label = next(
        row[1] for row in communities.iter_rows(min_row=2, values_only=True) if row[0] == COMMUNITY
    )
    assert "北山街道" in label
    people = workbook["人员"]
    assert [c.value for c in people[1]] == PEOPLE_HEADERS
    bad_id_row, bad_date_row = 4, 8  # Excel's row numbers (the header is row 1)
    for person in hires:
        people.append(
            [
                "入职",
                person["name"],
                person["id_number"],
                person["phone"] or None,
                person["date"],
                label,
                person["address"],
                None,
            ]
        )
    typo = hires[bad_id_row - 2]
    people.cell(row=bad_id_row, column=3).value = _wrong_check(typo["id_number"])
    next_week = today + dt.timedelta(days=7)
    people.cell(row=bad_date_row, column=5).value = next_week
    filled = tmp_path / "本周入职人员.xlsx"
    workbook.save(filled)

    # She uploads it and watches the progress bar.
    first = _upload(clerk, filled)
    expect(clerk.locator("h1")).to_contain_text(first)
    seen = _watch_progress(clerk)
    _assert_progress(seen, read=10, valid=8, rejected=2)
    expect(clerk.locator("#rows-refused")).to_have_text("0")
    problems = clerk.locator("#problems tbody tr")
    expect(problems).to_have_count(2)
    for problem, row, column, reason in (
        (problems.nth(0), bad_id_row, "公民身份号码", "校验位不正确"),
        (problems.nth(1), bad_date_row, "日期", "日期晚于今天"),
    ):
        expect(problem.locator("td").nth(1)).to_have_text(str(row))
        expect(problem.locator("td").nth(2)).to_have_text(column)
        expect(problem.locator("td").nth(4)).to_contain_text(reason)
    done = sms(stack, f"批次{first}", phone=PHONE, timeout=CROSSING)
    assert "成功8条，未通过2条" in done[0]["text"]

    # The error report: the two bad rows as she typed them, each with its reason, nothing else.
    report = _download(clerk, "#error-report", tmp_path)
    assert report.name == f"错误报告-{first}.xlsx"
    header, rows = _sheet_rows(report, "人员")
    assert header == ["行号", *PEOPLE_HEADERS, "错误原因", "Reason (English)"]
    assert [r[0] for r in rows] == [bad_id_row, bad_date_row]
    by_row = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    assert by_row[bad_id_row]["姓名"] == typo["name"]
    assert by_row[bad_id_row]["公民身份号码"] == _wrong_check(typo["id_number"])
    assert "校验位不正确" in by_row[bad_id_row]["错误原因"]
    assert "check character" in by_row[bad_id_row]["Reason (English)"]
    assert by_row[bad_date_row]["姓名"] == hires[bad_date_row - 2]["name"]
    assert by_row[bad_date_row]["日期"].date() == next_week
    assert "日期晚于今天" in by_row[bad_date_row]["错误原因"]
    assert "after today" in by_row[bad_date_row]["Reason (English)"]

    # She corrects the two rows in the report itself and uploads just those rows (the 行号 and
    # reason columns are extra columns, which the reader ignores).
    corrected = load_workbook(report)
    sheet = corrected["人员"]
    id_column = header.index("公民身份号码") + 1
    date_column = header.index("日期") + 1
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row=row, column=1).value == bad_id_row:
            sheet.cell(row=row, column=id_column).value = typo["id_number"]
        elif sheet.cell(row=row, column=1).value == bad_date_row:
            sheet.cell(row=row, column=date_column).value = hires[bad_date_row - 2]["date"]
    fixed = tmp_path / "改正后.xlsx"
    corrected.save(fixed)

    with clerk.expect_navigation():
        clerk.click("text=返回本单位")
    second = _upload(clerk, fixed)
    assert second != first
    seen = _watch_progress(clerk)
    _assert_progress(seen, read=2, valid=2, rejected=0)
    expect(clerk.locator("#rows-refused")).to_have_text("0")
    expect(clerk.locator("#problems")).to_have_count(0)
    expect(clerk.locator("#error-report")).to_have_count(0)
    done = sms(stack, f"批次{second}", phone=PHONE, timeout=CROSSING)
    assert "成功2条，未通过0条" in done[0]["text"]

    # The dashboard lists both imports, the newest first.
    with clerk.expect_navigation():
        clerk.click("text=返回本单位")
    imports = clerk.locator("#imports tbody tr")
    expect(imports).to_have_count(2)
    expect(imports.nth(0)).to_contain_text(second)
    expect(imports.nth(0)).to_contain_text("已完成")
    expect(imports.nth(1)).to_contain_text(first)

    # In the workbench the district sees all ten hires reported by the company, masked.
    admin.goto(f"{stack.police}/reporting/stays/?organisation={CREDIT_CODE}")
    stays = admin.locator("main table tbody tr")
    expect(stays).to_have_count(10)
    expect(admin.locator("main table")).not_to_contain_text(typo["id_number"])

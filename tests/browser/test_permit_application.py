"""In Chromium against the real `onetrip up`: the demo resident (registered in 北山街道 eight
months ago) finds she may apply for a residence permit, reads the one-time materials list and
applies with a photo and two proofs; the station's reviewer returns it for one item, she fixes
exactly that item and resubmits, the reviewer passes it, and she reads "预审通过" on the page
and in the SMS. Then a clerk's day at the window (ZJ-16, WF-2): the clerk scans the reference,
takes the case, checks the originals and accepts it with a receipt PDF, the reviewer reviews,
the approver (a third officer: four eyes) approves and the permit is issued. She asks for the
card to be posted; the clerk sends the day's production batch to the bureau and imports its
return; the courier takes the card and she follows it to "已签收" (issue 13); she sees each step
and gets each SMS."""

from __future__ import annotations

import io
import json
import re
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from onetrip.common.demo import DEMO_RESIDENT
from tests.browser.steps import (
    clerk_logs_in,
    photo_jpeg,
    reload_until,
    resident_logs_in,
    resident_sees,
    scanned_page,
    sms,
    station_step,
    upload,
)

pytestmark = pytest.mark.browser

PHONE = DEMO_RESIDENT.phone
NOTICE_TEXT = "未查到该房屋的租赁登记备案信息，请上传租赁登记备案证明"
POSTAL_ADDRESS = "杭州市西湖区文三路 90 号 东部软件园 3 号楼前台"
CROSSING = 15.0  # seconds a change may take to cross the ferry on a slow machine


def _pdf(path: Path) -> Path:
    """A one-page PDF, as a scanner app exports it."""
    Image.new("RGB", (595, 842), "white").save(path, "PDF")
    assert path.read_bytes().startswith(b"%PDF") and b"%%EOF" in path.read_bytes()[-32:]
    return path


def _samples_shown(page) -> int:
    """Scroll each sample picture of the list into view (they load lazily) and check it drew."""
    samples = page.locator("img.proof__sample")
    for sample in samples.all():
        sample.scroll_into_view_if_needed()
        sample.evaluate("img => img.decode()")
        assert sample.evaluate("img => img.complete && img.naturalWidth > 0"), sample
    return samples.count()


def test_a_permit_application_is_returned_fixed_and_passes(stack, browser, tmp_path):
    resident = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}
    ).new_page()
    resident_logs_in(stack, resident, phone=PHONE, next_path="/permit/")
    expect(resident.locator("#standing")).to_contain_text("已满足居住时间条件")

    # May I apply? The register answers for the time; she says how she lives.
    with resident.expect_navigation():
        resident.click("#standing >> text=申领条件自测")
    resident.check("input[name=has_residence_proof]")
    with resident.expect_navigation():
        resident.click("#check")
    answer = resident.locator("#answer")
    expect(answer).to_contain_text("您符合申领条件")
    expect(answer).to_contain_text("依据公安机关的居住登记记录")

    # The one-time list for her case, with a sample picture of every proof.
    with resident.expect_navigation():
        resident.click("#materials-link")
    assert resident.input_value("#route") == "residence"
    expect(resident.locator(".field__error")).to_have_count(0)
    resident.select_option("#housing", "rented_state_land")
    with resident.expect_navigation():
        resident.click("#show")
    for item in ("A8", "C23", "C24"):
        expect(resident.locator(f"[id='item-{item}']")).to_be_visible()
    assert _samples_shown(resident) >= 7

    # Apply: the form comes filled from her declaration; she adds how she qualifies.
    with resident.expect_navigation():
        resident.click("#apply")
    with resident.expect_navigation():
        resident.click("#start")
    with resident.expect_navigation():
        resident.click("#create")
    assert resident.input_value("#name") == DEMO_RESIDENT.name
    assert resident.input_value("#id_number") == DEMO_RESIDENT.id_number
    assert resident.input_value("#community_code") == DEMO_RESIDENT.community_code
    resident.select_option("#route", "residence")
    resident.select_option("#housing", "rented_state_land")
    resident.select_option("#delivery", "pickup")
    with resident.expect_navigation():
        resident.click("#next")
    assert resident.url.endswith("/documents/")
    reference = re.search(r"/permit/applications/(PA\d+)/", resident.url).group(1)

    upload(resident, "photo", photo_jpeg(tmp_path / "photo.jpg"))
    upload(resident, "C23", scanned_page(tmp_path / "lease.jpg", title_rows=2))
    upload(resident, "C24", scanned_page(tmp_path / "pledge.jpg", title_rows=4))
    expect(resident.locator("[data-state=missing]")).to_have_count(0)

    with resident.expect_navigation():
        resident.click("#to-summary")
    expect(resident.locator("#problems")).to_have_count(0)
    resident.check("#consent")
    with resident.expect_navigation():
        resident.click("#submit")
    submitted = time.monotonic()

    # The acknowledgement: the reference, and as a QR code a window can scan.
    assert resident.url.endswith(f"/permit/applications/{reference}/submitted/")
    expect(resident.locator("#reference")).to_have_text(reference)
    qr = resident.locator("#qr svg[role=img]")
    expect(qr).to_be_visible()
    assert reference in qr.get_attribute("aria-label")
    box = qr.bounding_box()
    assert box["width"] >= 100 and box["height"] >= 100

    # Her application's own list: the sample pictures and the PDF to print.
    with resident.expect_navigation():
        resident.get_by_role("link", name="材料清单", exact=True).click()
    assert _samples_shown(resident) >= 7
    pdf = resident.context.request.get(stack.portal + resident.get_attribute("#pdf", "href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    # The reviewer finds it in the station's queue once the ferry has carried it.
    reviewer = clerk_logs_in(stack, browser, "reviewer_beishan")
    with reviewer.expect_navigation():
        reviewer.click("nav >> text=居住证预审")
    reload_until(reviewer, reference, since=submitted, timeout=CROSSING)
    with reviewer.expect_navigation():
        reviewer.click(f"text={reference}")

    # The form and the files side by side, the photo drawn.
    form = reviewer.locator(".permit-form").bounding_box()
    files = reviewer.locator(".permit-docs").bounding_box()
    assert files["x"] >= form["x"] + form["width"]
    assert form["y"] < 768 and files["y"] < 768
    expect(reviewer.locator(".permit-form")).to_contain_text(DEMO_RESIDENT.address_detail)
    photo = reviewer.locator("figure.doc", has_text="证件照片").locator("img")
    photo.scroll_into_view_if_needed()
    expect(photo).to_be_visible()
    photo.evaluate("img => img.decode()")
    assert photo.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [358, 441]
    expect(reviewer.locator("figure.doc")).to_have_count(3)

    # Returned for one missing item: the lease's registration, which the system could not fetch.
    reviewer.click("summary >> text=退回补正（一次性告知）")
    reviewer.check("input[name=item][value=C25]")
    reviewer.fill("input[name='text_C25']", NOTICE_TEXT)
    with reviewer.expect_navigation():
        reviewer.click("#return")
    expect(reviewer.locator("[role=status]").first).to_contain_text("已向申请人发出一次性告知")
    returned = time.monotonic()

    resident.goto(f"{stack.portal}/permit/")
    reload_until(resident, "需补正材料", since=returned, timeout=CROSSING)
    texts = [m["text"] for m in sms(stack, "需补正", phone=PHONE) if reference in m["text"]]
    assert texts and "杭州市居住房屋租赁登记备案证明" in texts[-1]
    with resident.expect_navigation():
        resident.click(f"text={reference}")
    expect(resident.locator("#status")).to_have_text("需补正材料")
    expect(resident.locator("#notice")).to_contain_text(NOTICE_TEXT)

    # The fix page offers that item and nothing else.
    with resident.expect_navigation():
        resident.click("#fix")
    assert resident.url.endswith(f"/permit/applications/{reference}/fix/")
    expect(resident.locator("#notice li")).to_have_count(1)
    expect(resident.locator("#notice")).to_contain_text(NOTICE_TEXT)
    expect(resident.locator("li[data-line]")).to_have_count(1)
    expect(resident.locator("li[data-line='C25'] [data-state=missing]")).to_have_text("必须上传")
    expect(resident.locator("#fix-form fieldset")).to_have_count(0)
    expect(resident.locator("input[type=file]")).to_have_count(1)
    upload(resident, "C25", _pdf(tmp_path / "lease-registration.pdf"))
    expect(resident.locator("li[data-line]")).to_have_count(1)
    with resident.expect_navigation():
        resident.click("#resubmit")
    assert resident.url.endswith(f"/permit/applications/{reference}/")
    expect(resident.locator("[role=status]").first).to_contain_text("已重新提交")
    resubmitted = time.monotonic()

    # The second version: the last notice on top, the new file marked, then passed.
    reviewer.goto(f"{stack.police}/permits/")
    reload_until(reviewer, "第2版", since=resubmitted, timeout=CROSSING)
    with reviewer.expect_navigation():
        reviewer.click(f"text={reference}")
    expect(reviewer.locator("[role=note]")).to_contain_text(NOTICE_TEXT)
    expect(reviewer.locator("figure.doc")).to_have_count(4)
    registration = reviewer.locator("figure.doc", has_text="杭州市居住房屋租赁登记备案证明")
    expect(registration).to_contain_text("本版新提交")
    expect(registration.locator("object[type='application/pdf']")).to_have_count(1)
    with reviewer.expect_navigation():
        reviewer.click("#pass")
    expect(reviewer.locator("[role=status]").first).to_contain_text("预审通过")
    passed = time.monotonic()

    resident.goto(f"{stack.portal}/permit/")
    reload_until(resident, "预审通过", since=passed, timeout=CROSSING)
    with resident.expect_navigation():
        resident.click(f"text={reference}")
    expect(resident.locator("#status")).to_have_text("预审通过")
    texts = [m["text"] for m in sms(stack, "预审", phone=PHONE) if reference in m["text"]]
    assert any("已通过" in text for text in texts), texts

    _the_one_visit(stack, browser, resident, reviewer, reference)


def _courier_control(stack, path: str, body: dict) -> None:
    request = urllib.request.Request(
        stack.courier + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status in (200, 202)


def _resident_sees(stack, resident, reference: str, status: str, since: float) -> None:
    resident_sees(stack, resident, reference, status, since, CROSSING)


def _the_one_visit(stack, browser, resident, reviewer, reference: str) -> None:
    # The clerk scans the QR code on her paper: the scanner types the reference and Enter.
    clerk = clerk_logs_in(stack, browser, "clerk_beishan")
    clerk.goto(f"{stack.police}/station/")
    clerk.fill("#q", reference)
    with clerk.expect_navigation():
        clerk.press("#q", "Enter")
    assert clerk.url.endswith(f"/station/{reference}/")
    station_step(clerk, "#take", "已接办")
    for box in clerk.locator("input[name=original]").all():
        box.check()
    clerk.fill("#ethnicity", "汉族")
    clerk.fill("#hukou_address", "浙江省温州市鹿城区五马街道解放街1号")
    station_step(clerk, "#accept", "已受理")
    accepted = time.monotonic()
    receipt_number = clerk.inner_text("#receipt-number")
    pdf = clerk.context.request.get(stack.police + clerk.get_attribute("#receipt-link", "href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert receipt_number in text and reference in text
    _resident_sees(stack, resident, reference, "已受理", accepted)

    # A second officer reviews; a third approves, and the permit is issued.
    reviewer.goto(f"{stack.police}/station/?task=review")
    expect(reviewer.locator("table")).to_contain_text(reference)
    reviewer.goto(f"{stack.police}/station/{reference}/")
    station_step(reviewer, "#take", "已接办")
    reviewer.fill("#review-note", "原件与上传件一致")
    station_step(reviewer, "#review", "审核通过")
    approver = clerk_logs_in(stack, browser, "approver_beishan")
    approver.goto(f"{stack.police}/station/{reference}/")
    station_step(approver, "#take", "已接办")
    station_step(approver, "#approve", "居住证已签发")
    approved = time.monotonic()
    permit_number = approver.inner_text("#permit-number")
    assert re.fullmatch(r"\d{17}", permit_number)
    _resident_sees(stack, resident, reference, "已审批", approved)

    # Before the card is made she asks for it to be posted to her workplace instead.
    resident.goto(f"{stack.portal}/permit/applications/{reference}/")
    with resident.expect_navigation():
        resident.click("#change-delivery")
    resident.select_option("#delivery", "post")
    resident.fill("#postal_address", POSTAL_ADDRESS)
    with resident.expect_navigation():
        resident.click("#submit-delivery")
    expect(resident.locator("#delivery-pending")).to_be_visible()
    asked = time.monotonic()
    reload_until(resident, "已按您的申请变更", since=asked, timeout=CROSSING, within="#delivery")
    expect(resident.locator("#delivery-method")).to_have_attribute("data-method", "post")

    # The clerk gathers the day's production batch, exports its signed file for the bureau
    # and imports the bureau's return: printed.
    clerk.goto(f"{stack.police}/production/")
    expect(clerk.locator("#waiting")).to_contain_text(reference)
    station_step(clerk, "#assemble", "已组批")
    station_step(clerk, "#export", "制证文件已生成")
    download = clerk.context.request.get(stack.police + clerk.get_attribute("#download", "href"))
    assert download.status == 200
    with zipfile.ZipFile(io.BytesIO(download.body())) as bundle:
        names = bundle.namelist()
        assert {"manifest.json", "cards.csv"} <= set(names), names
        assert f"photos/{permit_number}.jpg" in names
        assert permit_number in bundle.read("cards.csv").decode("utf-8-sig")
    returned = Path(tempfile.mkdtemp()) / "return.csv"
    returned.write_text(f"permit_number,result,reason\n{permit_number},printed,\n", "utf-8")
    clerk.goto(f"{stack.police}/production/")
    clerk.set_input_files("#return-file", str(returned))
    with clerk.expect_navigation():
        clerk.click("#import")
    expect(clerk.locator("[role=status]").first).to_be_visible()
    printed = time.monotonic()

    # The card is posted at once: she sees the courier's tracking number, then its journey.
    resident.goto(f"{stack.portal}/permit/applications/{reference}/")
    reload_until(resident, "已寄出", since=printed, timeout=CROSSING, within="#delivery-stage")
    tracking = resident.inner_text("#tracking-number").strip()
    assert re.fullmatch(r"CN\d{12}", tracking), tracking
    assert any(tracking in m["text"] for m in sms(stack, tracking, phone=PHONE))
    _courier_control(
        stack,
        "/_control/advance",
        {
            "tracking_number": tracking,
            "script": ["picked_up", "in_transit", "out_for_delivery", "delivered"],
            "delay": 0.2,
        },
    )
    sent = time.monotonic()
    reload_until(resident, "已签收", since=sent, timeout=CROSSING, within="#delivery-stage")
    _resident_sees(stack, resident, reference, "已签收", sent)
    expect(resident.locator("#tracking-events li")).to_have_count(4)
    expect(resident.locator("#tracking-events li").first).to_have_attribute(
        "data-status", "delivered"
    )
    texts = [m["text"] for m in sms(stack, reference, phone=PHONE)]
    for words in ("已由", "审批通过", tracking, "已签收"):
        assert any(words in t for t in texts), (words, texts)

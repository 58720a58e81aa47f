"""The printable one-time materials list and the proofs' sample pictures (DOC-1…DOC-3, HZ-7):
the PDF says every item with its issuer at once, marks what the system fetches, carries the
reference on every page and in a QR code; every catalogue proof has a clean, labelled sample."""

from __future__ import annotations

import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pypdf
import pytest
import segno
from django.contrib.staticfiles import finders
from django.utils import translation

from onetrip.common.permit_eligibility import Route
from onetrip.common.permit_materials import CATALOGUE, Housing, Item, materials_for
from onetrip.portal.permits.pdf import (
    QR_QUIET_ZONE,
    QR_SIDE,
    materials_pdf,
    qr_squares,
    reference_qr_svg,
)
from onetrip.portal.permits.templatetags.permit_samples import (
    SAMPLES_DIR,
    item_proofs,
    sample_url,
)

REFERENCE = "JZ25061812345678"
TITLE = "居住证申领材料一次性告知单"
FETCHED = "系统自动获取，如数据不全则需提交"


def _pdf(items: list[Item], reference: str = REFERENCE) -> pypdf.PdfReader:
    data = materials_pdf(
        reference=reference,
        items=items,
        applicant="张*",
        kind_label="首次申领",
        generated_on=dt.date(2025, 6, 18),
    )
    assert data.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(data))


def _text(page: pypdf.PageObject) -> str:
    """The page's text without white space: a long name may wrap in its table cell."""
    return re.sub(r"\s+", "", page.extract_text())


def _all_text(reader: pypdf.PdfReader) -> str:
    return "".join(_text(page) for page in reader.pages)


def test_doc3_the_pdf_of_a_rented_residence_lists_every_item_with_its_issuer():
    items = materials_for(route=Route.RESIDENCE, housing=Housing.RENTED_STATE_LAND)
    reader = _pdf(items)
    text = _all_text(reader)
    assert reader.metadata is not None and reader.metadata.title == TITLE
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.1)  # A4
    for expected in (TITLE, REFERENCE, "张*", "首次申领", "2025年6月18日"):
        assert expected in text
    for item in items:
        for proof in item.alternatives:
            assert proof.name_zh in text
            assert proof.issuer_zh in text
    # 不动产权证 or 房屋所有权证: either will do, and the paper says so.
    assert "以下2种材料任选其一" in text
    assert f"申请编号：{REFERENCE}" in text


def test_doc3_the_pdf_of_a_minor_through_a_guardian_who_is_not_a_parent():
    items = materials_for(route=Route.STUDY, minor=True, guardian_is_parent=False)
    text = _all_text(_pdf(items))
    ids = {proof.id for item in items for proof in item.alternatives}
    assert {"A2", "A3", "A5", "A6", "A7", "D31"} <= ids
    for item in items:
        for proof in item.alternatives:
            assert proof.name_zh in text


def test_hz7_fetched_items_are_marked_and_submitted_ones_too():
    items = materials_for(
        route=Route.RESIDENCE, housing=Housing.RENTED_STATE_LAND, provided=["A9", "C23"]
    )
    table = _all_text(_pdf(items)).split("说明1.")[0]  # the items, not the closing notes
    fetched = sum(item.auto_fetched for item in items)
    assert fetched >= 3
    assert table.count(FETCHED) == fetched
    assert table.count("已提交") == 2
    assert table.count("需提交") - table.count(FETCHED) == len(items) - fetched - 2


def test_doc1_a_long_list_flows_onto_numbered_pages_that_each_carry_the_reference():
    items = (
        materials_for(route=Route.EMPLOYMENT, minor=True, guardian_is_parent=False)
        + materials_for(route=Route.RESIDENCE, housing=Housing.RELATIVE)
        + materials_for(route=Route.RESIDENCE, housing=Housing.RENTED_COLLECTIVE_LAND)
    )
    reader = _pdf(items)
    pages = len(reader.pages)
    assert pages >= 2
    for number, page in enumerate(reader.pages, start=1):
        text = _text(page)
        assert f"第{number}页/共{pages}页" in text
        assert REFERENCE in text
        assert TITLE in text
    last = _text(reader.pages[-1])
    # All at once (DOC-1), and the originals to the one visit.
    assert "一次性列明办理所需的全部材料" in last
    assert "原件" in last
    assert f"共需以下{len(items)}项材料" in _text(reader.pages[0])


def test_doc3_english_readers_get_the_english_names_beside_the_chinese_ones():
    items = materials_for(route=Route.STUDY)
    with translation.override("en"):
        text = _all_text(_pdf(items))
    assert TITLE in text and FETCHED in text
    assert "Proofofcontinuousenrolmentorstudentcard" in text
    assert "连续就读证明或学生证" in text


def test_the_qr_code_drawn_in_the_pdf_is_the_reference():
    reference = "JZ2506180000001"
    reader = _pdf(materials_for(route=Route.STUDY), reference=reference)
    expected = segno.make(reference, error="m", micro=False)
    assert not expected.is_micro  # phone scanners do not read Micro QR
    size = len(expected.matrix)
    module = QR_SIDE / (size + 2 * QR_QUIET_ZONE)
    squares = [
        [float(v) for v in operands]
        for operands, operator in reader.pages[0].get_contents().operations
        if operator == b"re"
        and abs(float(operands[2]) - module) < 1e-3
        and abs(float(operands[3]) - module) < 1e-3
    ]
    assert squares
    left = min(x for x, _y, _w, _h in squares)
    top = max(y + h for _x, y, _w, h in squares)
    drawn = [[0] * size for _ in range(size)]
    for x, y, _w, h in squares:
        drawn[round((top - y - h) / module)][round((x - left) / module)] = 1
    assert drawn == [[1 if value else 0 for value in row] for row in expected.matrix]
    assert qr_squares(reference).size == size


def test_the_reference_qr_svg_is_named_for_screen_readers_and_escaped():
    svg = reference_qr_svg('JZ<25>"06')
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert root.get("role") == "img"
    assert root.get("aria-label") is not None and 'JZ<25>"06' in root.get("aria-label", "")
    assert "<25>" not in svg
    assert "<image" not in svg and "<script" not in svg


def _sample_ids() -> list[str]:
    return [proof.id for proof in CATALOGUE] + ["generic"]


@pytest.mark.parametrize("proof_id", _sample_ids())
def test_doc2_every_catalogue_proof_has_a_small_clean_labelled_sample(proof_id):
    path = SAMPLES_DIR / f"{proof_id}.svg"
    raw = path.read_text(encoding="utf-8")
    assert len(raw.encode()) < 6 * 1024
    root = ET.fromstring(raw)  # noqa: S314 - a file of this repository
    svg = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{svg}svg"
    title = root.find(f"{svg}title")
    assert title is not None and title.text and title.text.startswith("样例：")
    if proof_id != "generic":
        name = next(p.name_zh for p in CATALOGUE if p.id == proof_id)
        assert name in title.text
    texts = "".join(el.text or "" for el in root.iter(f"{svg}text"))
    assert "样例" in texts  # marked on the picture itself, not only in its title
    for element in root.iter():
        assert element.tag.split("}")[-1] not in {"script", "image", "foreignObject", "use"}
        for attribute, value in element.attrib.items():
            local = attribute.split("}")[-1]
            assert not local.startswith("on"), attribute
            assert local != "href" or value.startswith("#")
            assert "url(" not in value
    assert "http" not in raw.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "@import" not in raw
    assert finders.find(f"permits/samples/{proof_id}.svg") is not None


def test_doc2_sample_url_falls_back_to_the_generic_sample():
    assert sample_url("C23") == "/static/permits/samples/C23.svg"
    assert sample_url("Z99") == "/static/permits/samples/generic.svg"
    assert [p.id for p in item_proofs("C19/C20")] == ["C19", "C20"]
    assert [p.id for p in item_proofs("C19/../../etc")] == ["C19"]


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" and ("class", "proof__sample") in attrs:
            self.images.append(dict(attrs))


@pytest.mark.django_db(databases=["default", "police"])
@pytest.mark.parametrize(
    ("params", "case"),
    [
        (
            {"route": "residence", "housing": "rented_state_land"},
            {"route": Route.RESIDENCE, "housing": Housing.RENTED_STATE_LAND},
        ),
        (
            {"route": "study", "minor": "1", "guardian": "other"},
            {"route": Route.STUDY, "minor": True, "guardian_is_parent": False},
        ),
    ],
)
def test_doc2_the_materials_page_shows_a_sample_picture_per_proof(client, params, case):
    html = client.get("/permit/materials/", params, HTTP_HOST="portal.testserver").content
    parser = _Images()
    parser.feed(html.decode())
    proofs = [proof for item in materials_for(**case) for proof in item.alternatives]
    assert len(parser.images) == len(proofs)
    for image, proof in zip(parser.images, proofs, strict=True):
        assert image["src"] == f"/static/permits/samples/{proof.id}.svg"
        assert proof.name_zh in (image["alt"] or "")
        assert image["loading"] == "lazy"
        assert image["width"] and image["height"]
    page = html.decode()
    for proof in proofs:
        assert f"出具单位：{proof.issuer_zh}" in page

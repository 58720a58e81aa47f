"""The downloadable template (issue 14, point 3): instructions, drop-downs for coded fields,
dates as dates, identifier columns as text, a hidden list of communities — and the round trip:
the template filled in reads back through read_rows and validates."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest

from onetrip.contracts.reporting import HouseReportRow, PersonReportRow
from onetrip.portal.reporting.columns import HOUSES, PEOPLE
from onetrip.portal.reporting.files import read_rows
from onetrip.portal.reporting.rows import RowValidator
from onetrip.portal.reporting.template import (
    COMMUNITIES_TITLE,
    DATE_FORMAT,
    INSTRUCTIONS_TITLE,
    TEXT_FORMAT,
    template_xlsx,
)

TODAY = dt.date(2026, 3, 2)


def template(kind: str) -> openpyxl.Workbook:
    out = io.BytesIO()
    template_xlsx(out, organisation_kind=kind)
    out.seek(0)
    return openpyxl.load_workbook(out)


def validations(sheet) -> dict[str, object]:
    """First cell range of each validation → the validation."""
    found = {}
    for validation in sheet.data_validations.dataValidation:
        first = str(validation.sqref).split()[0].split(":")[0]
        found[first] = validation
    return found


@pytest.mark.parametrize("kind", ["employer", "rental_agency", "property_management"])
def test_sheets_headers_and_hidden_communities(kind):
    book = template(kind)
    expected = [INSTRUCTIONS_TITLE, "人员"]
    if kind != "employer":
        expected.append("房屋")
    assert book.sheetnames == [*expected, COMMUNITIES_TITLE]
    assert book.active.title == INSTRUCTIONS_TITLE
    assert book[COMMUNITIES_TITLE].sheet_state == "hidden"
    assert [c.value for c in book["人员"][1]] == [c.header for c in PEOPLE.columns]
    if kind != "employer":
        assert [c.value for c in book["房屋"][1]] == [c.header for c in HOUSES.columns]
    communities = list(book[COMMUNITIES_TITLE].iter_rows(min_row=2, values_only=True))
    assert len(communities) == 600
    assert ("330106002001", "西湖区北山街道北山社区") in communities


@pytest.mark.parametrize(
    ("kind", "events"), [("employer", '"入职,离职"'), ("rental_agency", '"入住,离开"')]
)
def test_event_drop_down_lists_the_kinds_events(kind, events):
    found = validations(template(kind)["人员"])
    assert found["A2"].type == "list" and found["A2"].formula1 == events
    assert found["A2"].errorStyle == "stop"


def test_community_drop_down_points_at_the_hidden_list_and_allows_a_code():
    found = validations(template("rental_agency")["人员"])
    assert found["F2"].type == "list"
    assert found["F2"].formula1 == f"'{COMMUNITIES_TITLE}'!$B$2:$B$601"
    assert found["F2"].errorStyle == "warning"
    assert validations(template("rental_agency")["房屋"])["B2"].type == "list"


def test_dates_are_dates_and_identifiers_are_text():
    book = template("rental_agency")
    people, houses = book["人员"], book["房屋"]
    assert people.column_dimensions["E"].number_format == DATE_FORMAT
    for letter in ("C", "D", "F", "H"):  # ID, phone, community, house reference
        assert people.column_dimensions[letter].number_format == TEXT_FORMAT
    for letter in ("H", "I"):
        assert houses.column_dimensions[letter].number_format == DATE_FORMAT
    assert houses.column_dimensions["E"].number_format == TEXT_FORMAT
    found = validations(people)
    assert found["E2"].type == "date"
    assert found["C2"].type == "textLength" and found["C2"].formula1 == "18"
    assert people.freeze_panes == "A2"


def test_instructions_explain_the_rules_in_chinese_and_english():
    text = " ".join(
        str(v)
        for row in template("employer")[INSTRUCTIONS_TITLE].iter_rows(values_only=True)
        for v in row
        if v
    )
    for phrase in ("3个工作日", "文本", "入职、离职", "2026-11-30", "下拉列表", "working days"):
        assert phrase in text


def test_the_empty_template_reads_as_no_rows(tmp_path):
    path = tmp_path / "t.xlsx"
    template_xlsx(path, organisation_kind="rental_agency")
    assert list(read_rows(path, filename="t.xlsx")) == []


def test_round_trip_filled_template_reads_back_and_validates(tmp_path):
    path = tmp_path / "filled.xlsx"
    template_xlsx(path, organisation_kind="rental_agency")
    book = openpyxl.load_workbook(path)
    labels = [r[1] for r in book[COMMUNITIES_TITLE].iter_rows(min_row=2, values_only=True)]
    people = book["人员"]
    people.append(
        ["入住", "张伟", "33010619900101123X", "13800138000", dt.date(2026, 2, 20), labels[0],
         "保俶路12号3幢501室", "H1"]
    )  # fmt: skip
    people.append(
        ["离开", "李娜", "330103198512310027", None, dt.date(2026, 2, 21), "330106002001",
         "保俶路12号3幢502室", None]
    )  # fmt: skip
    book["房屋"].append(
        ["H1", labels[5], "保俶路12号3幢501室", "王五", "330103198512310027", "13900139000", 3,
         dt.date(2025, 1, 1), dt.date(2026, 12, 31)]
    )  # fmt: skip
    book.save(path)
    raws = list(read_rows(path, filename="filled.xlsx"))
    assert [(r.sheet, r.number) for r in raws] == [("people", 2), ("people", 3), ("houses", 2)]
    assert raws[0].values["event_date"] == dt.date(2026, 2, 20)
    validator = RowValidator(organisation_kind="rental_agency", today=TODAY)
    results = [validator.validate(r) for r in raws]
    assert isinstance(results[0], PersonReportRow) and results[0].house_ref == "H1"
    assert isinstance(results[1], PersonReportRow) and results[1].event == "left"
    assert isinstance(results[2], HouseReportRow) and results[2].rooms == 3
    assert results[0].community_code == "330102001001"  # the first label of the list


def test_unknown_kind():
    with pytest.raises(ValueError):
        template_xlsx(io.BytesIO(), organisation_kind="hotel")


def test_written_to_a_path(tmp_path: Path):
    template_xlsx(tmp_path / "a.xlsx", organisation_kind="employer")
    assert (tmp_path / "a.xlsx").stat().st_size > 5000

"""The error report (issue 14, acceptance): from the file with every kind of bad row it lists
each bad row — as the clerk typed it, with every reason beside it — and nothing else."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from pathlib import Path

import openpyxl
import python_calamine

from onetrip.portal.reporting.errorreport import (
    REASON_EN_HEADER,
    REASON_HEADER,
    ROW_HEADER,
    error_report_xlsx,
)
from onetrip.portal.reporting.files import RawRow, read_rows
from onetrip.portal.reporting.rows import RowError, RowValidator

from .test_rows import BAD_ROWS_EXPECTED, TODAY

FIXTURES = Path(__file__).parent / "fixtures"


def report(rows) -> openpyxl.Workbook:
    out = io.BytesIO()
    error_report_xlsx(out, rows=rows)
    out.seek(0)
    return openpyxl.load_workbook(out)


def bad_rows_of(path: Path, kind: str = "rental_agency") -> list[tuple[RawRow, list[RowError]]]:
    validator = RowValidator(organisation_kind=kind, today=TODAY)
    found = []
    for raw in read_rows(path, filename=path.name):
        result = validator.validate(raw)
        if isinstance(result, list):
            found.append((raw, result))
    return found


def test_report_of_the_bad_rows_file_lists_each_bad_row_and_nothing_else():
    bad = bad_rows_of(FIXTURES / "bad_rows.xlsx")
    book = report(bad)
    assert book.sheetnames == ["人员", "房屋"]
    listed = set()
    for title, key in (("人员", "people"), ("房屋", "houses")):
        sheet = book[title]
        header = [c.value for c in sheet[1]]
        assert header[0] == ROW_HEADER and header[-2:] == [REASON_HEADER, REASON_EN_HEADER]
        for row in sheet.iter_rows(min_row=2, values_only=True):
            listed.add((key, row[0]))
    assert listed == {(sheet, row) for sheet, row, _column, _code in BAD_ROWS_EXPECTED}


def test_each_reason_is_beside_its_row_without_repeating_the_row_number():
    bad = bad_rows_of(FIXTURES / "bad_rows.xlsx")
    book = report(bad)
    people = {row[0]: row for row in book["人员"].iter_rows(min_row=2, values_only=True)}
    reasons = people[9][-2]
    assert reasons.startswith("公民身份号码“3301**********1235”：")
    assert "校验位" in reasons and "第9行" not in reasons
    assert people[9][-1].startswith("公民身份号码 (id_number)")
    houses = {row[0]: row for row in book["房屋"].iter_rows(min_row=2, values_only=True)}
    assert "第2行" in houses[4][-2]  # the duplicate names the first row


def test_values_are_kept_as_the_clerk_typed_them():
    book = report(bad_rows_of(FIXTURES / "bad_rows.xlsx"))
    people = {row[0]: row for row in book["人员"].iter_rows(min_row=2, values_only=True)}
    assert people[8][3] == 3.30106199001011e17  # the ID Excel turned into a number
    assert people[20][5] == dt.datetime(2026, 3, 3)  # a date stays a date
    assert people[13][3] == "33010619900101123٣"
    assert people[29][2] == "张" * 501
    assert people[3][1] is None  # the empty cell stays empty


def test_cells_named_by_a_problem_are_shaded():
    book = report(bad_rows_of(FIXTURES / "bad_rows.xlsx"))
    sheet = book["人员"]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == 16:  # phone_format
            shaded = [c.column_letter for c in row if c.fill.fgColor.rgb == "00FFC7CE"]
            assert shaded == ["E"]


def test_text_that_looks_like_a_formula_stays_text_and_control_characters_go():
    raw = RawRow(
        "people",
        5,
        {"name": '=HYPERLINK("http://x","点我")', "address_detail": "1号\x07室", "event": "+1"},
    )
    error = RowError("people", 5, "姓名", "=*", "name_characters", "第5行 姓名：x", "Row 5, y")
    out = io.BytesIO()
    error_report_xlsx(out, rows=[(raw, [error])])
    out.seek(0)
    book = openpyxl.load_workbook(out)
    row = [c for c in book["人员"][2]]
    assert row[2].value == '=HYPERLINK("http://x","点我")' and row[2].data_type == "s"
    assert row[7].value == "1号\ufffd室"
    assert row[1].value == "+1"
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue()))
    assert sheet.get_sheet_by_name("人员").to_python()[1][2].startswith("=HYPERLINK")


def test_problems_without_a_row_are_listed_with_their_row_number():
    error = RowError("houses", 7, "", "", "register_conflict", "第7行 登记库中有冲突", "Row 7, x")
    book = report([(None, [error])])
    assert book.sheetnames == ["房屋"]
    [row] = list(book["房屋"].iter_rows(min_row=2, values_only=True))
    assert row[0] == 7 and row[-2] == "登记库中有冲突"


def test_no_bad_rows_gives_a_readable_empty_report():
    book = report([])
    assert book.sheetnames == ["无错误"]


def test_the_report_streams_many_rows(tmp_path):
    raw = RawRow("people", 2, {"event": "入职", "name": "张伟", "event_date": dt.date(2026, 1, 1)})
    error = RowError("people", 2, "姓名", "张*", "x", "第2行 姓名“张*”：问题", "Row 2, problem")
    rows = ((raw._replace(number=n), [dataclasses.replace(error, row=n)]) for n in range(2, 5_002))
    path = tmp_path / "big.xlsx"
    error_report_xlsx(path, rows=rows)
    sheet = python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_name("人员")
    assert sheet.height == 5_001


def test_the_report_corrected_in_place_uploads_again(tmp_path):
    """The clerk fixes the rows in the report itself and uploads it: its 行号 and 错误原因 columns
    are extra columns the reader ignores."""
    path = tmp_path / "errors.xlsx"
    error_report_xlsx(path, rows=bad_rows_of(FIXTURES / "bad_rows.xlsx"))
    book = openpyxl.load_workbook(path)
    sheet = book["人员"]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == 9:  # the wrong check character
            row[3].value = "33010619900101123X"
            row[8].value = "BS-0099"
            row[7].value = "保俶路12号3幢2单元601室"
    book.save(path)
    raws = list(read_rows(path, filename="errors.xlsx"))
    assert {r.sheet for r in raws} == {"people", "houses"}
    fixed = next(r for r in raws if r.values["address_detail"] == "保俶路12号3幢2单元601室")
    result = RowValidator(organisation_kind="rental_agency", today=TODAY).validate(fixed)
    assert not isinstance(result, list), result

"""The Excel template an organisation downloads, fills in and uploads (issue 14, point 3).

Built from :mod:`onetrip.portal.reporting.columns`, so its headers are exactly the ones
:func:`~onetrip.portal.reporting.files.read_rows` looks for. What the template does for the clerk:

- a 说明 (instructions) sheet, first and active: who reports what, the 3-working-day deadline,
  every column with whether it is required, what to write and an example;
- the 人员 sheet and, for rental agencies and property-management firms, the 房屋 sheet, with their
  headers (required ones in bold dark red), frozen header row and useful widths;
- a drop-down of the events this kind of organisation reports (入职/离职 for employers, 入住/离开
  otherwise) and a drop-down of every community of the city (``区街道社区``, from a hidden
  社区列表 sheet with the codes), which still lets a clerk type a 12-digit code;
- date columns formatted as dates, with a warning for anything that is not a date;
- ID-number, phone, community and house-reference columns formatted as text (``@``), so Excel
  does not turn ``330106199001011234`` into ``3.30106E+17`` and lose its last digits; a
  warning when an ID number is not 18 characters or a phone number not 11.
"""

from __future__ import annotations

import os
from typing import IO, Final

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .columns import EVENTS_FOR_KIND, SHEET_BY_KEY, SHEETS_FOR_KIND, Column, Sheet
from .files import MAX_BYTES, MAX_ROWS
from .rows import MAX_EVENT_AGE_DAYS, community_resolver

INSTRUCTIONS_TITLE: Final = "说明"
COMMUNITIES_TITLE: Final = "社区列表"
#: The last row the drop-downs and warnings cover (the data rows MAX_ROWS, plus the header).
LAST_ROW: Final = MAX_ROWS + 1
DATE_FORMAT: Final = "yyyy-mm-dd"
TEXT_FORMAT: Final = "@"

_REQUIRED_FONT: Final = Font(bold=True, color="9C0006")
_OPTIONAL_FONT: Final = Font(bold=True, color="333333")
_HEADER_FILL: Final = PatternFill("solid", fgColor="F2F2F2")
_TITLE_FONT: Final = Font(bold=True, size=14)
_BOLD: Final = Font(bold=True)
_WRAP: Final = Alignment(wrap_text=True, vertical="top")

_WIDTHS: Final = {
    "event": 10,
    "name": 12,
    "id_number": 22,
    "phone": 15,
    "date": 14,
    "community": 30,
    "address": 36,
    "ref": 14,
    "rooms": 8,
}
_KIND_WORDS: Final = {
    "employer": ("用工单位", "an employer"),
    "rental_agency": ("房屋租赁中介", "a rental agency"),
    "property_management": ("物业服务企业", "a property-management firm"),
}


def template_xlsx(out: str | os.PathLike[str] | IO[bytes], *, organisation_kind: str) -> None:
    """Write the template for ``organisation_kind`` (employer, rental_agency,
    property_management) to ``out``, a path or a binary file object."""
    if organisation_kind not in EVENTS_FOR_KIND:
        raise ValueError(f"unknown organisation kind {organisation_kind!r}")
    events = EVENTS_FOR_KIND[organisation_kind]
    sheets = [SHEET_BY_KEY[key] for key in SHEETS_FOR_KIND[organisation_kind]]
    workbook = Workbook()
    workbook.properties.creator = "OneTrip"
    instructions = workbook.active
    assert instructions is not None
    instructions.title = INSTRUCTIONS_TITLE
    _instructions(instructions, organisation_kind=organisation_kind, sheets=sheets, events=events)

    labels = sorted(community_resolver().labels())
    communities = workbook.create_sheet(COMMUNITIES_TITLE)
    communities.append(["社区代码", "社区（区街道社区）"])
    for code, label in labels:
        communities.append([code, label])
    communities.column_dimensions["A"].width = 16
    communities.column_dimensions["B"].width = 36
    communities.sheet_state = "hidden"
    community_range = f"'{COMMUNITIES_TITLE}'!$B$2:$B${len(labels) + 1}"

    for index, sheet in enumerate(sheets, start=1):
        worksheet = workbook.create_sheet(sheet.title, index)
        _data_sheet(worksheet, sheet, events=events, community_range=community_range)
    workbook.active = 0
    workbook.save(out)


def _data_sheet(
    worksheet: Worksheet, sheet: Sheet, *, events: tuple[str, ...], community_range: str
) -> None:
    worksheet.append([c.header for c in sheet.columns])
    worksheet.freeze_panes = "A2"
    validations: list[DataValidation] = []
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        cell = worksheet.cell(row=1, column=index)
        cell.font = _REQUIRED_FONT if column.required else _OPTIONAL_FONT
        cell.fill = _HEADER_FILL
        dimension = worksheet.column_dimensions[letter]
        dimension.width = _WIDTHS[column.kind]
        cells = f"{letter}2:{letter}{LAST_ROW}"
        if column.kind == "date":
            dimension.number_format = DATE_FORMAT
            validations.append(_date_validation(column, cells))
        elif column.kind in ("id_number", "phone", "community", "ref"):
            dimension.number_format = TEXT_FORMAT
        if column.kind == "event":
            validations.append(
                _validation(
                    "list",
                    cells,
                    formula1='"' + ",".join(events) + '"',
                    title=column.header,
                    prompt="请从列表中选择：" + "、".join(events),
                    error="只能填写：" + "、".join(events),
                    style="stop",
                )
            )
        elif column.kind == "community":
            validations.append(
                _validation(
                    "list",
                    cells,
                    formula1=community_range,
                    title=column.header,
                    prompt="从列表选择，或填写12位社区代码、“XX街道XX社区”",
                    error="不在本市社区列表中；如填写的是12位社区代码，请点“是”继续",
                    style="warning",
                )
            )
        elif column.kind in ("id_number", "phone"):
            length = 18 if column.kind == "id_number" else 11
            validations.append(
                _validation(
                    "textLength",
                    cells,
                    formula1=str(length),
                    operator="equal",
                    title=column.header,
                    prompt=column.help_zh,
                    error=f"{column.header}应为{length}位",
                    style="warning",
                )
            )
    for validation in validations:
        worksheet.add_data_validation(validation)


def _date_validation(column: Column, cells: str) -> DataValidation:
    return _validation(
        "date",
        cells,
        formula1="DATE(1990,1,1)",
        formula2="DATE(2100,12,31)",
        operator="between",
        title=column.header,
        prompt="请填写日期，如2026-11-30",
        error="请填写日期，如2026-11-30",
        style="warning",
    )


def _validation(
    kind: str,
    cells: str,
    *,
    formula1: str,
    title: str,
    prompt: str,
    error: str,
    style: str,
    formula2: str | None = None,
    operator: str | None = None,
) -> DataValidation:
    validation = DataValidation(
        type=kind,
        formula1=formula1,
        formula2=formula2,
        operator=operator,
        allow_blank=True,
        showDropDown=False,  # (sic) False *shows* the in-cell arrow
        showErrorMessage=True,
        showInputMessage=True,
        errorStyle=style,
        promptTitle=title[:32],
        prompt=prompt[:255],
        errorTitle=title[:32],
        error=error[:255],
    )
    validation.add(cells)
    return validation


def _instructions(
    worksheet: Worksheet, *, organisation_kind: str, sheets: list[Sheet], events: tuple[str, ...]
) -> None:
    kind_zh, kind_en = _KIND_WORDS[organisation_kind]
    worksheet.column_dimensions["A"].width = 18
    worksheet.column_dimensions["B"].width = 8
    worksheet.column_dimensions["C"].width = 60
    worksheet.column_dimensions["D"].width = 26
    worksheet.append(["流动人口居住登记 单位报送模板"])
    worksheet["A1"].font = _TITLE_FONT
    worksheet.append([f"Residence registration: report template for {kind_en}"])
    worksheet.append([])
    event_words = "、".join(events)
    sheet_titles = "、".join(f"“{s.title}”" for s in sheets)
    paragraphs = [
        (
            f"本模板供{kind_zh}使用。请在{sheet_titles}表中填写，每行一条；事件只能是：{event_words}。",
            f"For {kind_en}. Fill in the {', '.join(s.title for s in sheets)} sheet(s), one row "
            f"per record; the event is one of: {', '.join(events)}.",
        ),
        (
            "依《浙江省流动人口居住登记条例》，应在入职、离职或租住开始、结束之日起3个工作日内报送。",
            "Report within 3 working days of the hiring, the leaving, or the tenancy starting "
            "or ending (Zhejiang regulation on migrant residence registration, Art. 8-11).",
        ),
        (
            "请勿修改表名和第一行表头，不要删除列；可以在最后增加自己的列（如“备注”），系统会忽略。",
            "Do not rename the sheets or change the header row; extra columns of your own at the "
            "end are ignored.",
        ),
        (
            "身份证号码、手机号码列已设为“文本”格式；从其他表格粘贴时请选择“只粘贴值”，"
            "否则Excel可能把身份证号码变成3.30106E+17并丢失后几位。",
            "ID and phone columns are formatted as text; paste values only, or Excel may turn an "
            "ID number into 3.30106E+17 and lose its last digits.",
        ),
        (
            "日期写成2026-11-30（也可写2026/11/30、2026年11月30日）；"
            f"日期不能晚于今天，也不能早于{MAX_EVENT_AGE_DAYS}天前。",
            "Dates as 2026-11-30 (2026/11/30 and 2026年11月30日 work too), not after today and "
            f"not more than {MAX_EVENT_AGE_DAYS} days ago.",
        ),
        (
            "社区可从下拉列表选择，也可填写12位社区代码或“XX街道XX社区”。",
            "Pick the community from the drop-down list, or write its 12-digit code or "
            "XX街道XX社区.",
        ),
        (
            f"一个文件最多{MAX_ROWS:,}行、{MAX_BYTES // (1024 * 1024)}MB；也可上传.xls或CSV"
            "（UTF-8或GBK编码）文件，表头与本模板相同即可。",
            f"At most {MAX_ROWS:,} rows and {MAX_BYTES // (1024 * 1024)} MB per file; .xls and "
            "CSV (UTF-8 or GBK) files with the same headers are accepted too.",
        ),
        (
            "有错误的行不会影响其他行；上传后可下载“错误报告”，改正后重新上传这些行即可。",
            "A row with errors does not hold back the others; download the error report after "
            "the upload, correct those rows and upload them again.",
        ),
    ]
    for zh, en in paragraphs:
        worksheet.append([zh])
        worksheet.append([en])
        worksheet.cell(row=worksheet.max_row, column=1).font = Font(color="666666")
    for sheet in sheets:
        worksheet.append([])
        worksheet.append([f"“{sheet.title}”表的列 / Columns of the {sheet.key} sheet"])
        worksheet.cell(row=worksheet.max_row, column=1).font = _BOLD
        worksheet.append(["列名 Column", "必填 Required", "填写说明 What to write", "示例 Example"])
        for index in range(1, 5):
            worksheet.cell(row=worksheet.max_row, column=index).font = _BOLD
        for column in sheet.columns:
            worksheet.append(
                [
                    column.header,
                    "必填" if column.required else "选填",
                    column.help_zh,
                    column.example,
                ]
            )
            worksheet.cell(row=worksheet.max_row, column=3).alignment = _WRAP

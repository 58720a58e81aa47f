"""The error report an organisation downloads after an import: its bad rows as it typed them,
with every reason beside each, so the clerk can correct the rows in place and upload them again.

Written with openpyxl's write-only mode: rows stream through to the file, so a report of
hundreds of thousands of rows costs little memory. The caller re-reads the rows from the
original file (:func:`~onetrip.portal.reporting.files.read_rows`) and passes each with its
problems; a problem whose row cannot be found any more comes with ``None``.

One sheet per input sheet (人员, 房屋), with a 行号 column (the row number in the uploaded file),
the template's columns in the template's order with the values as read, the cells named by a
problem shaded, then 错误原因 (every problem of the row, one per line, in Chinese) and
``Reason (English)``. Text is always written as text, never as a formula: a cell holding
``=HYPERLINK(…)`` stays those characters.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Iterable, Sequence
from typing import IO, Any, Final, Protocol

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from .columns import SHEET_BY_KEY, Sheet
from .files import MAX_CELL_LENGTH, RawRow

REASON_HEADER: Final = "错误原因"
REASON_EN_HEADER: Final = "Reason (English)"
ROW_HEADER: Final = "行号"
DATE_FORMAT: Final = "yyyy-mm-dd"

_HEADER_FONT: Final = Font(bold=True)
_HEADER_FILL: Final = PatternFill("solid", fgColor="F2F2F2")
_BAD_FILL: Final = PatternFill("solid", fgColor="FFC7CE")
_REASON_FONT: Final = Font(color="9C0006")
_WRAP: Final = Alignment(wrap_text=True, vertical="top")


class Problem(Protocol):
    """What the report needs of a problem: a :class:`~onetrip.portal.reporting.rows.RowError`,
    or the stored copy of one."""

    sheet: str
    row: int
    column: str
    message_zh: str
    message_en: str


def error_report_xlsx(
    out: str | os.PathLike[str] | IO[bytes],
    *,
    rows: Iterable[tuple[RawRow | None, Sequence[Problem]]],
) -> None:
    """Write the report of ``rows`` (each bad row with its problems, in file order) to ``out``,
    a path or a binary file object."""
    workbook = Workbook(write_only=True)
    writers: dict[str, _SheetWriter] = {}
    for raw, problems in rows:
        if not problems and raw is None:
            continue
        key = raw.sheet if raw is not None else problems[0].sheet
        writer = writers.get(key)
        if writer is None:
            writer = writers[key] = _SheetWriter(workbook, SHEET_BY_KEY.get(key), key)
        writer.write(raw, problems)
    if not writers:
        sheet = workbook.create_sheet("无错误")
        sheet.append(["没有错误行。"])
        sheet.append(["No rows with errors."])
    workbook.save(out)


class _SheetWriter:
    def __init__(self, workbook: Workbook, sheet: Sheet | None, key: str) -> None:
        self.sheet = sheet
        self.columns = list(sheet.columns) if sheet is not None else []
        self.position = {c.header: index for index, c in enumerate(self.columns)}
        title = sheet.title if sheet is not None else key[:31]
        self.worksheet: WriteOnlyWorksheet = workbook.create_sheet(title)
        widths = [8] + [max(10, min(30, 2 * len(c.header) + 6)) for c in self.columns] + [60, 60]
        for index, width in enumerate(widths, start=1):
            self.worksheet.column_dimensions[get_column_letter(index)].width = width
        self.worksheet.freeze_panes = "B2"
        headers = [ROW_HEADER, *(c.header for c in self.columns), REASON_HEADER, REASON_EN_HEADER]
        header_cells = []
        for text in headers:
            cell = WriteOnlyCell(self.worksheet, value=text)
            cell.font = _HEADER_FONT
            cell.fill = _HEADER_FILL
            header_cells.append(cell)
        self.worksheet.append(header_cells)

    def write(self, raw: RawRow | None, problems: Sequence[Problem]) -> None:
        number = raw.number if raw is not None else problems[0].row
        values = raw.values if raw is not None else {}
        bad = {self.position[p.column] for p in problems if p.column in self.position}
        cells = [WriteOnlyCell(self.worksheet, value=number)]
        for index, column in enumerate(self.columns):
            cell = _cell(self.worksheet, values.get(column.key))
            if index in bad:
                cell.fill = _BAD_FILL
            cells.append(cell)
        reasons_zh = "\n".join(_reason(p.message_zh, f"第{p.row}行 ") for p in problems)
        reasons_en = "\n".join(_reason(p.message_en, f"Row {p.row}, ") for p in problems)
        for text, font in ((reasons_zh, _REASON_FONT), (reasons_en, None)):
            cell = _cell(self.worksheet, text)
            cell.alignment = _WRAP
            if font is not None:
                cell.font = font
            cells.append(cell)
        self.worksheet.append(cells)


def _reason(message: str, prefix: str) -> str:
    """The message without its leading row (the report shows the row in its own column)."""
    return message.removeprefix(prefix)


def _cell(worksheet: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell:
    """A cell holding ``value`` as the file held it; text stays text (no formula), stripped of
    the control characters XML cannot carry."""
    if value is None:
        return WriteOnlyCell(worksheet, value=None)
    if isinstance(value, dt.datetime | dt.date):
        cell = WriteOnlyCell(worksheet, value=value)
        cell.number_format = (
            DATE_FORMAT if not isinstance(value, dt.datetime) else "yyyy-mm-dd hh:mm"
        )
        return cell
    if isinstance(value, bool | int) or (isinstance(value, float) and math.isfinite(value)):
        return WriteOnlyCell(worksheet, value=value)
    text = value if isinstance(value, str) else str(value)
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text[: MAX_CELL_LENGTH + 1])
    cell = WriteOnlyCell(worksheet, value=text)
    cell.data_type = "s"  # "=1+1" stays text, never a formula
    return cell

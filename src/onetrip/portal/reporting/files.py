"""Reading an organisation's upload (.xlsx, .xls, .csv) into raw rows, one sheet at a time.

:func:`read_rows` turns a file into :class:`RawRow` values — the cells of the known columns as the
file holds them (text, numbers, dates), numbered as the clerk sees them in Excel (header = row
1) — and refuses whole files with :class:`FileRefused`. Checking a row's values is
:mod:`onetrip.portal.reporting.rows`' job; this module only decides whether a file can be read
safely and which column is which.

Every refusal happens before the first row is yielded: the call itself raises. A caller therefore
never has to undo half an import because the file turned out to be unreadable.

Workbooks and memory
--------------------
python-calamine (the Rust calamine library) reads .xlsx and .xls. It cannot stream: calamine
has no lazy reader, and python-calamine's ``iter_rows`` walks a sheet already loaded (its issue
#42), so it only saves building Python objects for all rows at once. A sheet is loaded into a
dense grid of 32-byte cells spanning the top-left to the bottom-right cell holding a value,
after first collecting every cell in a list. Consequences, all checked here before calamine sees
a byte:

- a 1 KB workbook with values in A1 and XFD1048576 asks for 550 GB and *aborts the process*
  (a Rust allocation failure is not an exception); values in A1 and Z1000000 cost 800 MB. The
  same holds for .xls (a 5.6 KB file with A1 and IV65536 costs 1 GB), and .xls is parsed whole
  when opened;
- a 500,000-row, 8-column people sheet costs about 380 MB at its peak, so the limits below keep
  a workbook within about 500 MB;
- calamine reserves room for a shared-string count the file declares, whatever it holds.

So for .xlsx the ZIP's members are checked (declared and real uncompressed sizes, no other
compression than deflate, no encryption) and every XML part is scanned, decompressed in chunks,
for the last row and column holding a value and the number of cells; for .xls the OLE2 compound
file is walked and the BIFF cell records of every sheet are counted. The fast scan relies on the
canonical cell syntax every spreadsheet program writes (``<c r="B7" s="1" t="s">``); any other
form sends that part to an exact scan (about ten times slower) that follows calamine's own rules
for cells without a reference. Refused before loading: a value beyond :data:`MAX_COLUMNS`
columns, more than :data:`MAX_CELLS` cells or a :data:`MAX_GRID_CELLS` grid, every sheet
together. Every visible sheet is then loaded (so a bad header anywhere is refused before the
first row) and its rows counted exactly against ``max_rows``.

The scan costs about 2 s for 500,000 rows, calamine about 3 s; calamine opens the file from its
path (from a file object it would first copy the whole upload into memory).

CSV
---
One sheet per file, recognised by its header row. UTF-8 with or without BOM (Excel's "CSV UTF-8"),
UTF-16 with BOM (Excel's "Unicode text"), otherwise GB18030, the superset of GBK that Chinese
Excel writes. The file is decoded incrementally (a character split between two chunks is
handled by the incremental decoder) and checked completely — decoding, CSV syntax, header, row
count — before the first row is yielded; only then is it read a second time to yield rows.

Refusal codes
-------------
:data:`REFUSAL_CODES` lists every ``FileRefused.code`` with its meaning.
"""

from __future__ import annotations

import codecs
import copy
import csv
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NamedTuple

from onetrip.common.errors import ApplicationError

from .columns import (
    SHEETS,
    HeaderMatch,
    Sheet,
    SheetKey,
    recognise_header,
    sheet_for_title,
)

# --- Limits -----------------------------------------------------------------------------------

#: Data rows per file, every sheet together (the seed's largest organisations report about this
#: many people at once).
MAX_ROWS: Final = 500_000
#: Upload size. A 500,000-row people sheet is about 20 MB as .xlsx and 50 MB as CSV.
MAX_BYTES: Final = 100 * 1024 * 1024
#: Sum of the uncompressed sizes of an .xlsx's members: a 500,000-row sheet written with inline
#: strings is about 200 MB of XML; beyond this a file is a ZIP bomb, not a report.
MAX_UNCOMPRESSED: Final = 600 * 1024 * 1024
MAX_ZIP_MEMBERS: Final = 2_000
#: The last column that may hold a value (AF). The template has 9; clerks add a few of their own.
MAX_COLUMNS: Final = 32
#: Cells holding a value, every sheet together: 500,000 rows of 10 filled columns.
MAX_CELLS: Final = 5_000_000
#: Rows × columns of every sheet's grid together (calamine allocates the whole grid).
MAX_GRID_CELLS: Final = 6_000_000
#: Longest cell text handed on; longer text is cut here (the validator refuses it) so a
#: megabyte cell costs nothing downstream.
MAX_CELL_LENGTH: Final = 500
#: A header row may sit below a title row or two.
HEADER_SEARCH_ROWS: Final = 5
#: Longest physical CSV line (characters): MAX_COLUMNS cells of MAX_CELL_LENGTH and then some.
MAX_CSV_LINE: Final = 64 * 1024

CSV_CHUNK: int = 1 << 20
_SCAN_CHUNK: int = 1 << 20

REFUSAL_CODES: Final[dict[str, str]] = {
    "file_type": "the file name does not end in .xlsx, .xls or .csv",
    "file_type_mismatch": "the content is another format than the extension says (a renamed file)",
    "file_not_spreadsheet": "an .xls that is really a web page or XML export, not an Excel file",
    "file_encrypted": "a password-protected workbook",
    "file_empty": "zero bytes",
    "file_too_large": "more bytes than max_bytes",
    "file_corrupt": "not readable as the format it claims (broken ZIP/OLE2/XML)",
    "zip_bomb": "the .xlsx's uncompressed size is beyond MAX_UNCOMPRESSED or not as declared",
    "too_many_rows": "more data rows than max_rows",
    "too_many_columns": "a value beyond column MAX_COLUMNS",
    "too_many_cells": "more cells than MAX_CELLS / MAX_GRID_CELLS",
    "no_header": "no sheet with a recognisable header row in its first HEADER_SEARCH_ROWS rows",
    "missing_columns": "a recognised sheet lacks required columns (named in the message)",
    "duplicate_column": "the same column appears twice in a header row",
    "duplicate_sheet": "two sheets of the same kind (two 人员 sheets)",
    "undecodable_text": "a CSV that is neither UTF-8, UTF-16 with BOM nor GB18030",
    "csv_malformed": "CSV the csv module refuses (a field over its 128 KB limit)",
    "line_too_long": "a CSV line longer than MAX_CSV_LINE characters",
}


class FileRefused(ApplicationError):
    """The whole file cannot be read; nothing in it was taken. ``code`` is one of
    :data:`REFUSAL_CODES`; the messages say what to do, in Chinese and English."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        assert code in REFUSAL_CODES, code
        super().__init__(code, message_zh, message_en, field="file")


class RawRow(NamedTuple):
    """One data row as the file holds it. ``values`` maps column keys of ``sheet`` to the cell
    as read: ``str`` (CSV, text cells), ``float``/``int``/``bool`` (number cells),
    ``datetime.date``/``datetime.datetime``/``datetime.time``/``datetime.timedelta`` (date
    cells), or ``None``. Text longer than :data:`MAX_CELL_LENGTH` is cut to one character more
    so the validator can refuse it. Columns the row does not reach are absent."""

    sheet: SheetKey
    number: int
    values: dict[str, Any]


# --- Refusals ---------------------------------------------------------------------------------


#: The formats an organisation may upload, by the name's extension.
SUFFIXES: Final = (".xlsx", ".xls", ".csv")


def check_file_name(filename: str) -> None:
    """Refuse a name whose extension is none of SUFFIXES (the content is checked on reading)."""
    if Path(filename).suffix.lower() not in SUFFIXES:
        raise _type_refused()


def _type_refused() -> FileRefused:
    return FileRefused(
        "file_type",
        "只能上传Excel文件（.xlsx、.xls）或CSV文件（.csv）",
        "Upload an Excel workbook (.xlsx, .xls) or a CSV file (.csv)",
    )


def _corrupt(detail_zh: str = "", detail_en: str = "") -> FileRefused:
    return FileRefused(
        "file_corrupt",
        f"文件已损坏或格式不正确，无法读取{detail_zh}；请用Excel或WPS打开后另存为.xlsx再上传",
        f"The file is damaged or not in the format it claims{detail_en}; open it in Excel or "
        "WPS, save it as .xlsx and upload it again",
    )


def _too_many_rows(max_rows: int) -> FileRefused:
    return FileRefused(
        "too_many_rows",
        f"文件数据超过{max_rows:,}行，请拆分为几个文件分别上传",
        f"The file has more than {max_rows:,} data rows; split it into several files",
    )


def _too_many_cells() -> FileRefused:
    return FileRefused(
        "too_many_cells",
        f"表格内容过多（超过{MAX_CELLS:,}个单元格），请删除与报送无关的列和工作表，"
        "或拆分为几个文件上传",
        f"The workbook holds too many cells (over {MAX_CELLS:,}); delete columns and sheets that "
        "are not part of the report, or split it into several files",
    )


def _too_many_columns() -> FileRefused:
    last = _column_letters(MAX_COLUMNS)
    return FileRefused(
        "too_many_columns",
        f"表格在第{last}列之后还有内容，请删除多余的列后再上传",
        f"The sheet has values beyond column {last}; delete the extra columns and upload again",
    )


def _zip_bomb() -> FileRefused:
    return FileRefused(
        "zip_bomb",
        "文件解压后过大或压缩数据异常，无法读取；请用Excel或WPS另存后再上传",
        "The file is too large once uncompressed, or its compressed data is inconsistent; "
        "save it again from Excel or WPS and upload it",
    )


# --- Entry point ------------------------------------------------------------------------------

_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_rows(
    path: str | os.PathLike[str],
    *,
    filename: str,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_BYTES,
) -> Iterator[RawRow]:
    """The data rows of the upload stored at ``path``; ``filename`` is the name the clerk gave it
    (its extension decides the format, and the content must agree).

    Raises :class:`FileRefused` *from this call*, before any row is produced, for every
    whole-file problem; the returned iterator then yields people rows and house rows (sheet by
    sheet, in file order) and skips blank rows without renumbering. Reading the rows again (for
    the error report) gives the same rows with the same numbers."""
    check_file_name(filename)
    suffix = Path(filename).suffix.lower()
    size = os.stat(path).st_size
    if size == 0:
        raise FileRefused("file_empty", "上传的文件是空的", "The uploaded file is empty")
    if size > max_bytes:
        raise FileRefused(
            "file_too_large",
            f"文件大小超过{max_bytes // (1024 * 1024)}MB，请拆分为几个文件分别上传",
            f"The file is larger than {max_bytes // (1024 * 1024)} MB; split it into several files",
        )
    with open(path, "rb") as f:
        head = f.read(4096)
    _check_magic(suffix, head)
    if suffix == ".csv":
        return _csv_rows(path, max_rows=max_rows)
    if suffix == ".xlsx":
        _scan_xlsx(path)
    else:
        _scan_xls(path)
    return _workbook_rows(path, suffix=suffix, max_rows=max_rows)


def _check_magic(suffix: str, head: bytes) -> None:
    is_zip = head.startswith(_ZIP_MAGIC)
    is_ole = head.startswith(_OLE_MAGIC)
    if suffix == ".xlsx":
        if is_zip:
            return
        if is_ole:
            # An .xlsx saved with a password is an OLE2 container holding the encrypted package.
            if (
                "EncryptedPackage".encode("utf-16-le") in head
                or b"E\x00n\x00c\x00r\x00y\x00" in head
            ):
                raise _encrypted()
            raise _mismatch(".xls", ".xlsx")
    elif suffix == ".xls":
        if is_ole:
            return
        if is_zip:
            raise _mismatch(".xlsx", ".xls")
        text = head.lstrip(b"\xef\xbb\xbf\xff\xfe\xfe\xff \t\r\n\x00").lower()
        if text.startswith(b"<"):
            raise FileRefused(
                "file_not_spreadsheet",
                "该文件扩展名是.xls，但实际是网页或XML格式（一些系统导出的“Excel”就是这样），"
                "请用Excel或WPS打开后另存为.xlsx再上传",
                "The file is named .xls but is really a web page or XML export; open it in "
                "Excel or WPS, save it as .xlsx and upload that",
            )
    else:  # .csv
        if is_zip:
            raise _mismatch(".xlsx", ".csv")
        if is_ole:
            raise _mismatch(".xls", ".csv")
        return
    if suffix in (".xlsx", ".xls"):
        raise _corrupt("（不是Excel文件）", " (it is not an Excel file)")


def _mismatch(actual: str, named: str) -> FileRefused:
    return FileRefused(
        "file_type_mismatch",
        f"文件内容是{actual}格式，但扩展名是{named}；请把扩展名改为{actual}，"
        "或用Excel另存为正确的格式后再上传",
        f"The file is a {actual} file named {named}; rename it to {actual} or save it again "
        "in the right format",
    )


def _encrypted() -> FileRefused:
    return FileRefused(
        "file_encrypted",
        "文件设置了密码，无法读取；请取消密码后再上传",
        "The workbook is password-protected; remove the password and upload it again",
    )


# --- .xlsx: the ZIP and its XML parts, before calamine ------------------------------------------


def _column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ch - 64
    return number


def _greater_digits(n: int) -> str:
    """A regex for decimal numbers (without leading zeros) greater than ``n``."""
    s = str(n)
    size = len(s)
    alternatives = [f"[1-9][0-9]{{{size},}}"]
    for i, ch in enumerate(s):
        if ch != "9":
            alternatives.append(f"{s[:i]}[{int(ch) + 1}-9][0-9]{{{size - i - 1}}}")
    return "(?:" + "|".join(alternatives) + ")"


def _greater_letters(n: int) -> str:
    """A regex for upper-case column letters of a column number greater than ``n``."""
    if n <= 0:
        return "[A-Z]+"
    s = _column_letters(n)
    size = len(s)
    alternatives = [f"[A-Z]{{{size + 1},}}"]
    for i, ch in enumerate(s):
        if ch != "Z":
            alternatives.append(f"{s[:i]}[{chr(ord(ch) + 1)}-Z][A-Z]{{{size - i - 1}}}")
    return "(?:" + "|".join(alternatives) + ")"


#: The cell start tag every spreadsheet program writes: ``r`` first, upper-case reference, short
#: lower-case attributes with plain double-quoted values. Only when *every* ``<c `` tag of a
#: chunk has this form does the fast scan trust the chunk.
_CANONICAL_CELL: Final = re.compile(rb'<c r="[A-Z]{1,3}[0-9]{1,7}"(?: [a-z]{1,2}="[^"<>]*")*(/?)>')
#: Cell-like tags the fast scan does not understand: other white space or nothing after the
#: name, or a namespace prefix (calamine ignores prefixes). Two patterns: each has a literal
#: prefix, which the regex engine finds fast.
_ODD_CELL: Final = re.compile(rb"<c[\t\r\n>]")
_PREFIXED_CELL: Final = re.compile(rb":c[\s/>]")
_VALUE_CELL_REF: Final = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"(?: [a-z]{1,2}="[^"<>]*")*>')
_SST_COUNT: Final = re.compile(rb'<(?:[\w.-]+:)?sst\b[^>]*?\buniqueCount\s*=\s*["\']\s*([0-9]+)')
# Exact scan: any row/c tag, attribute values quoted with either quote (and holding ">").
# Possessive quantifiers: a plain (x+|…)* backtracks exponentially on an unterminated quote.
_TAG: Final = re.compile(
    rb"""<(/?)(?:[A-Za-z_][\w.\-]*:)?(row|c)(?=[\s/>])((?:[^>"']++|"[^"]*+"|'[^']*+')*+)>"""
)
_ATTR_R: Final = re.compile(rb"""(?:^|\s)r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF: Final = re.compile(rb"([A-Za-z]+)([0-9]+)")


@dataclass
class _PartExtent:
    """What calamine would allocate for one worksheet part: its last row and column holding a
    value (1-based) and its number of cells."""

    rows: int = 0
    columns: int = 0
    cells: int = 0


@dataclass
class _Budget:
    """Every part's extents together: what calamine may hold at once, since every visible sheet
    is loaded before the first row is read. Rows are counted exactly once the sheets are loaded;
    here only what bounds memory is refused."""

    cells: int = 0
    grid: int = 0

    def add(self, part: _PartExtent) -> None:
        if part.cells == 0:
            return
        if part.columns > MAX_COLUMNS:
            raise _too_many_columns()
        self.cells += part.cells
        self.grid += part.rows * part.columns
        if self.cells > MAX_CELLS or self.grid > MAX_GRID_CELLS:
            raise _too_many_cells()


def _member_chunks(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int]
) -> Iterator[bytes]:
    """The member's uncompressed bytes in chunks, inflated here from the raw deflate data so that
    the *real* size is counted (zipfile silently stops at the declared size; another reader need
    not); refused when it differs from the declared size or exceeds what is left of ``budget``
    (a one-item list, decremented once the member has been read to its end)."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _corrupt("（不支持的压缩方式）", " (unsupported compression method)")
    raw = copy.copy(info)
    raw.compress_type = zipfile.ZIP_STORED
    raw.file_size = info.compress_size
    raw.CRC = None  # type: ignore[assignment]  # the raw bytes have no CRC of their own
    limit = min(info.file_size, budget[0])
    produced = 0
    with archive.open(raw) as stream:
        if info.compress_type == zipfile.ZIP_STORED:
            while data := stream.read(_SCAN_CHUNK):
                produced += len(data)
                if produced > limit:
                    raise _zip_bomb()
                yield data
        else:
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            while not inflater.eof:
                data = stream.read(_SCAN_CHUNK)
                if not data:
                    break
                while True:
                    try:
                        out = inflater.decompress(data, _SCAN_CHUNK)
                    except zlib.error:
                        raise _corrupt() from None
                    data = inflater.unconsumed_tail
                    produced += len(out)
                    if produced > limit:
                        raise _zip_bomb()
                    if out:
                        yield out
                    if inflater.eof or (not data and len(out) < _SCAN_CHUNK):
                        break
            if not inflater.eof:
                raise _corrupt()
    if produced != info.file_size:
        raise _zip_bomb()
    budget[0] -= produced


class _NotCanonical(Exception):
    """A part holds cell tags the fast scan does not read; scan it again exactly."""


def _scan_xlsx(path: str | os.PathLike[str]) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _corrupt() from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise _corrupt()
        names = [i.filename.replace("\\", "/").lower() for i in infos]
        if len(set(names)) != len(names):
            raise _corrupt()
        if any(i.flag_bits & 0x1 for i in infos):
            raise _encrypted()
        if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
            raise _zip_bomb()
        if not any(n.endswith("workbook.xml") for n in names):
            # .xlsb (binary workbook) and .ods are ZIPs too.
            raise _corrupt("（不是.xlsx工作簿）", " (it is not an .xlsx workbook)")
        budget = [MAX_UNCOMPRESSED]
        totals = _Budget()
        for info, name in zip(infos, names, strict=True):
            if not (name.endswith(".xml") or name.endswith(".rels")):
                continue  # media and binary parts: calamine does not read them
            try:
                try:
                    extent = _scan_part(_member_chunks(archive, info, budget))
                except _NotCanonical:
                    extent = _scan_exact(_member_chunks(archive, info, budget))
            except (zipfile.BadZipFile, EOFError, OSError):
                raise _corrupt() from None
            totals.add(extent)


def _tag_aligned(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The chunks re-cut just before their last ``<``, so no tag is split between two."""
    carry = b""
    for data in chunks:
        buffer = carry + data
        cut = buffer.rfind(b"<")
        if cut < 0:
            carry = buffer
        else:
            if cut:
                yield buffer[:cut]
            carry = buffer[cut:]
        if len(carry) > _SCAN_CHUNK:  # a tag longer than a chunk: no spreadsheet writes that
            raise _corrupt()
    if carry:
        yield carry


def _check_encoding(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Refuse UTF-16/UTF-32 XML (quick-xml would transcode it; these byte patterns would see
    nothing) and an absurd shared-string count (calamine reserves room for it up front)."""
    first = True
    for data in chunks:
        if first:
            first = False
            if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4096]:
                raise _corrupt("（不支持的XML编码）", " (unsupported XML encoding)")
            sst = _SST_COUNT.search(data[:65536])
            if sst and int(sst.group(1)) > MAX_CELLS:
                raise _too_many_cells()
        yield data


def _scan_part(chunks: Iterator[bytes]) -> _PartExtent:
    """The fast scan of one XML part, trusting it only while every cell tag is canonical;
    :class:`_NotCanonical` otherwise."""
    extent = _PartExtent()
    pattern: re.Pattern[bytes] | None = None
    pattern_for = (-1, -1)
    for part in _tag_aligned(_check_encoding(chunks)):
        tags = part.count(b"<c ")
        if _ODD_CELL.search(part) or _PREFIXED_CELL.search(part):
            raise _NotCanonical
        if not tags:
            continue
        canonical = _CANONICAL_CELL.findall(part)
        if len(canonical) != tags:
            raise _NotCanonical
        extent.cells += tags - canonical.count(b"/")
        # In any ordinary file the chunk's last value cell holds its highest row; then one
        # search for anything beyond the running maxima, which is rare.
        tail = [m.group(2) for m in _VALUE_CELL_REF.finditer(part, max(len(part) - 8192, 0))]
        if tail:
            extent.rows = max(extent.rows, int(tail[-1]))
        if pattern_for != (extent.rows, extent.columns):
            pattern_for = (extent.rows, extent.columns)
            pattern = re.compile(
                rb'<c r="(?:'
                + _greater_letters(extent.columns).encode()
                + rb"[0-9]{1,7}|[A-Z]{1,3}0*"
                + _greater_digits(extent.rows).encode()
                + rb')"(?: [a-z]{1,2}="[^"<>]*")*>'
            )
        assert pattern is not None
        if pattern.search(part):
            for match in _VALUE_CELL_REF.finditer(part):
                extent.rows = max(extent.rows, int(match.group(2)))
                extent.columns = max(extent.columns, _column_number(match.group(1)))
            if extent.columns > MAX_COLUMNS:
                raise _too_many_columns()
        if extent.cells > MAX_CELLS:
            raise _too_many_cells()
    return extent


def _scan_exact(chunks: Iterator[bytes]) -> _PartExtent:
    """Every row and cell tag of a part, positioned the way calamine positions them: a cell's
    ``r`` reference when it has one, otherwise the running row (set by ``<row r>``, one more
    after each ``</row>``) and the column after the previous cell. Each cell tag that is not
    self-closing counts as a value (a bound, never an underestimate); with several ``r``
    attributes the largest row and column count. A reference calamine could not parse either is
    refused here."""
    extent = _PartExtent()
    row_index = 0  # 0-based, as calamine counts
    col_index = 0
    rows = columns = cells = 0
    column_numbers: dict[bytes, int] = {}
    find_refs = _ATTR_R.findall
    parse_ref = _REF.fullmatch
    for part in _tag_aligned(_check_encoding(chunks)):
        for closing, name, attrs in _TAG.findall(part):
            self_closing = attrs.endswith(b"/")
            if name == b"row":
                if closing:
                    row_index += 1
                    col_index = 0
                    continue
                found = find_refs(attrs)
                if found:
                    digits = found[0][0] or found[0][1]
                    if not digits.isdigit() or len(digits) > 9 or int(digits) == 0:
                        raise _corrupt()
                    row_index = int(digits) - 1
                if self_closing:
                    row_index += 1
                    col_index = 0
                continue
            if closing:
                continue
            refs = find_refs(attrs)
            if refs:
                row = col = 0
                for double, single in refs:
                    parsed = parse_ref(double or single)
                    if parsed is None or len(parsed[1]) > 3 or len(parsed[2]) > 9:
                        raise _corrupt()
                    letters = parsed[1]
                    number = column_numbers.get(letters)
                    if number is None:
                        number = column_numbers[letters] = _column_number(letters) - 1
                    row = max(row, int(parsed[2]) - 1)
                    col = max(col, number)
                col_index = col
            else:
                row, col = row_index, col_index
            col_index += 1
            if self_closing:
                continue  # calamine reads it as an empty cell and drops it
            cells += 1
            if row >= rows:
                rows = row + 1
            if col >= columns:
                columns = col + 1
                if columns > MAX_COLUMNS:
                    raise _too_many_columns()
        if cells > MAX_CELLS:
            raise _too_many_cells()
    extent.rows, extent.columns, extent.cells = rows, columns, cells
    return extent


# --- .xls: the OLE2 compound file and its BIFF records, before calamine ------------------------

_END_OF_CHAIN: Final = 0xFFFFFFFE
_FREE: Final = 0xFFFFFFFF

#: BIFF records that put a value into a cell (BIFF8 and the older BIFF2–BIFF5 forms). Blank cells
#: (BLANK 0x0201, MULBLANK 0x00BE) hold no value and calamine drops them.
_CELL_RECORDS: Final = frozenset(
    {
        0x0203,
        0x0204,
        0x00D6,
        0x0205,
        0x027E,
        0x00FD,
        0x0006,
        0x0002,
        0x0003,
        0x0004,
        0x0005,
        0x0206,
        0x0406,
    }
)
_MULRK: Final = 0x00BD
_DIMENSIONS: Final = 0x0200
_BOF: Final = frozenset({0x0809, 0x0009, 0x0209, 0x0409})
_EOF: Final = 0x000A


def _scan_xls(path: str | os.PathLike[str]) -> None:
    with open(path, "rb") as f:
        data = f.read()
    try:
        streams = _ole_workbook_streams(data)
    except (struct.error, IndexError, ValueError):
        raise _corrupt() from None
    if not streams:
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise _encrypted()
        raise _corrupt("（找不到工作簿）", " (no workbook stream)")
    totals = _Budget()
    for stream in streams:
        for extent in _biff_extents(stream):
            totals.add(extent)


def _ole_workbook_streams(data: bytes) -> list[bytes]:
    """The ``Workbook``/``Book`` streams of an OLE2 compound file (MS-CFB), read with cycle and
    bounds checks; every stream of those names, since calamine reads one of them."""
    if len(data) < 512 or not data.startswith(_OLE_MAGIC):
        raise ValueError("header")
    shift = struct.unpack_from("<H", data, 0x1E)[0]
    mini_shift = struct.unpack_from("<H", data, 0x20)[0]
    if shift not in (9, 12) or mini_shift != 6:
        raise ValueError("sector size")
    size = 1 << shift
    sectors = (len(data) - 512 + size - 1) // size
    fat_count, first_dir = struct.unpack_from("<II", data, 0x2C)
    mini_cutoff, first_mini_fat, mini_fat_count, first_difat, difat_count = struct.unpack_from(
        "<IIIII", data, 0x38
    )
    if fat_count > sectors or difat_count > sectors or mini_fat_count > sectors:
        raise ValueError("counts")

    def sector(index: int) -> bytes:
        if index >= sectors:
            raise ValueError("sector")
        start = 512 + index * size
        return data[start : start + size].ljust(size, b"\x00")

    difat = list(struct.unpack_from("<109I", data, 0x4C))
    next_difat = first_difat
    for _ in range(difat_count):
        if next_difat in (_END_OF_CHAIN, _FREE):
            break
        block = struct.unpack(f"<{size // 4}I", sector(next_difat))
        difat.extend(block[:-1])
        next_difat = block[-1]
    fat: list[int] = []
    for index in difat[:fat_count]:
        fat.extend(struct.unpack(f"<{size // 4}I", sector(index)))

    def chain(start: int, table: list[int], limit: int) -> list[int]:
        out: list[int] = []
        current = start
        while current != _END_OF_CHAIN:
            if current >= len(table) or len(out) >= limit:
                raise ValueError("chain")
            out.append(current)
            current = table[current]
        return out

    directory = b"".join(sector(i) for i in chain(first_dir, fat, sectors))
    entries = []
    for offset in range(0, len(directory) - 127, 128):
        name_length, kind = struct.unpack_from("<HB", directory, offset + 64)
        start, stream_size = struct.unpack_from("<IQ", directory, offset + 116)
        if shift == 9:
            stream_size &= 0xFFFFFFFF
        name = directory[offset : offset + max(min(name_length, 64) - 2, 0)].decode(
            "utf-16-le", "replace"
        )
        entries.append((name, kind, start, stream_size))
    if not entries:
        raise ValueError("directory")
    _root_name, _root_kind, root_start, root_size = entries[0]
    mini_stream = b""
    mini_fat: list[int] = []
    wanted = [e for e in entries[1:] if e[1] == 2 and e[0].lower() in ("workbook", "book")]
    streams = []
    for _name, _kind, start, stream_size in wanted:
        if stream_size > len(data) * 2:
            raise ValueError("stream size")
        if stream_size < mini_cutoff:
            if not mini_fat:
                for i in chain(first_mini_fat, fat, sectors):
                    mini_fat.extend(struct.unpack(f"<{size // 4}I", sector(i)))
                mini_stream = b"".join(sector(i) for i in chain(root_start, fat, sectors))[
                    :root_size
                ]
            parts = [
                mini_stream[i * 64 : i * 64 + 64] for i in chain(start, mini_fat, len(mini_fat))
            ]
        else:
            parts = [sector(i) for i in chain(start, fat, sectors)]
        stream = b"".join(parts)
        if len(stream) < stream_size:
            raise ValueError("short stream")
        streams.append(stream[:stream_size])
    return streams


def _biff_extents(stream: bytes) -> Iterator[_PartExtent]:
    """One extent per BOF…EOF substream (the globals, each sheet); nested substreams (embedded
    charts) count towards the sheet around them."""
    extent = _PartExtent()
    depth = 0
    position = 0
    end = len(stream)
    unpack = struct.unpack_from
    while position + 4 <= end:
        kind, length = unpack("<HH", stream, position)
        body = position + 4
        position = body + length
        if position > end:
            break
        if kind in _BOF:
            if depth == 0:
                extent = _PartExtent()
            depth += 1
        elif kind == _EOF:
            depth = max(depth - 1, 0)
            if depth == 0:
                yield extent
                extent = _PartExtent()
        elif kind in _CELL_RECORDS and length >= 4:
            row, col = unpack("<HH", stream, body)
            extent.cells += 1
            extent.rows = max(extent.rows, row + 1)
            extent.columns = max(extent.columns, col + 1)
        elif kind == _MULRK and length >= 6:
            row, first = unpack("<HH", stream, body)
            last = unpack("<H", stream, position - 2)[0]
            extent.cells += max(last - first + 1, 0)
            extent.rows = max(extent.rows, row + 1)
            extent.columns = max(extent.columns, last + 1, first + 1)
        elif kind == _DIMENSIONS and length in (10, 14):
            # calamine reserves room for the declared rectangle.
            if length == 14:
                first_row, last_row, first_col, last_col = unpack("<IIHH", stream, body)
            else:
                first_row, last_row, first_col, last_col = unpack("<HHHH", stream, body)
            declared = max(last_row - first_row, 0) * max(last_col - min(first_col, 0xFF), 0)
            if declared > MAX_GRID_CELLS:
                raise _too_many_cells()
        if extent.cells > MAX_CELLS:
            raise _too_many_cells()
    if extent.cells:
        yield extent


# --- Workbooks through calamine -----------------------------------------------------------------


@dataclass
class _LoadedSheet:
    match: HeaderMatch
    header_index: int
    first_row: int  # Excel row number of the range's first row
    width: int
    sheet: Any  # python_calamine.CalamineSheet


def _calamine_failed(exc: BaseException) -> FileRefused:
    if type(exc).__name__ == "PasswordError":
        return _encrypted()
    return _corrupt()


def _workbook_rows(path: str | os.PathLike[str], *, suffix: str, max_rows: int) -> Iterator[RawRow]:
    """Load every visible worksheet (the scan bounded them all together), recognise its header,
    refuse what is wrong, and only then return the iterator over the rows."""
    import python_calamine

    loaded: list[_LoadedSheet] = []
    try:
        if Path(path).suffix.lower() == suffix:
            # From the path calamine reads the ZIP in place; from a file object it first copies
            # the whole upload into memory (50 MB more at the peak for a 20 MB workbook).
            workbook = python_calamine.CalamineWorkbook.from_path(path)
        else:
            with open(path, "rb") as f:
                workbook = python_calamine.CalamineWorkbook.from_filelike(f)
        for meta in workbook.sheets_metadata:
            if meta.visible != python_calamine.SheetVisibleEnum.Visible:
                continue
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            sheet = workbook.get_sheet_by_name(meta.name)
            found = _recognise_sheet(meta.name, sheet)
            if found is not None:
                loaded.append(found)
            else:
                del sheet
        workbook.close()
    except FileRefused:
        raise
    except python_calamine.CalamineError as exc:
        raise _calamine_failed(exc) from None
    except BaseException as exc:
        # A Rust panic reaches Python as pyo3's PanicException, a BaseException.
        if type(exc).__name__ == "PanicException":
            raise _corrupt() from None
        raise
    if not loaded:
        raise _no_header()
    kinds = [s.match.sheet.key for s in loaded]
    for key in set(kinds):
        if kinds.count(key) > 1:
            title = next(s.title for s in SHEETS if s.key == key)
            raise FileRefused(
                "duplicate_sheet",
                f"文件中有不止一个“{title}”表，请合并为一个表后再上传",
                f"The workbook has more than one {key} sheet; merge them into one",
            )
    data_rows = sum(max(s.sheet.height - s.header_index - 1, 0) for s in loaded)
    if data_rows > max_rows:
        raise _too_many_rows(max_rows)
    return _iterate_loaded(loaded)


def _recognise_sheet(title: str, sheet: Any) -> _LoadedSheet | None:
    named = sheet_for_title(title)
    candidates = (named,) if named is not None else SHEETS
    start = sheet.start
    if start is None:
        return None  # an empty sheet, even one named 人员 or 房屋, holds nothing to report
    first_row = start[0] + 1
    width = sheet.width
    head_rows: list[list[Any]] = []
    for index, row in enumerate(sheet.iter_rows()):
        if index >= HEADER_SEARCH_ROWS:
            break
        head_rows.append(row)
    for index, row in enumerate(head_rows):
        found = recognise_header(row, candidates)
        if found is not None:
            _check_header(found)
            return _LoadedSheet(found, index, first_row, width, sheet)
    if named is not None:
        raise _no_header(named)
    return None


def _iterate_loaded(loaded: list[_LoadedSheet]) -> Iterator[RawRow]:
    while loaded:
        current = loaded.pop(0)
        key = current.match.sheet.key
        positions = sorted(current.match.positions.items())
        header_index = current.header_index
        number = current.first_row - 1
        for index, row in enumerate(current.sheet.iter_rows()):
            number += 1
            if index <= header_index:
                continue
            values = _values(row, positions)
            if values is not None:
                yield RawRow(key, number, values)
        current.sheet = None  # the grid can go before the next sheet is read


def _values(row: Sequence[Any], positions: list[tuple[int, str]]) -> dict[str, Any] | None:
    """The known columns' cells of ``row``; ``None`` for a blank row. Empty text is ``None``."""
    values: dict[str, Any] = {}
    blank = True
    size = len(row)
    for position, key in positions:
        if position >= size:
            continue
        value = row[position]
        if value.__class__ is str:
            if not value or value.isspace():
                value = None
            elif len(value) > MAX_CELL_LENGTH:
                value = value[: MAX_CELL_LENGTH + 1]
        if value is not None:
            blank = False
        values[key] = value
    return None if blank else values


def _check_header(found: HeaderMatch) -> None:
    if found.duplicated:
        names = "、".join(f"“{c.header}”" for c in found.duplicated)
        raise FileRefused(
            "duplicate_column",
            f"“{found.sheet.title}”表的表头中{names}出现了不止一次，请删除重复的列",
            f"The {found.sheet.key} sheet's header has "
            + ", ".join(c.key for c in found.duplicated)
            + " more than once; delete the duplicate column",
        )
    if found.missing:
        names = "、".join(f"“{c.header}”" for c in found.missing)
        raise FileRefused(
            "missing_columns",
            f"“{found.sheet.title}”表缺少必填的列：{names}；请使用下载的模板，保留所有表头",
            f"The {found.sheet.key} sheet lacks required columns: "
            + ", ".join(f"{c.header} ({c.key})" for c in found.missing)
            + "; use the downloaded template and keep every header",
        )


def _no_header(sheet: Sheet | None = None) -> FileRefused:
    where_zh = f"“{sheet.title}”表" if sheet else "文件"
    where_en = f"the {sheet.key} sheet" if sheet else "the file"
    return FileRefused(
        "no_header",
        f"{where_zh}的前{HEADER_SEARCH_ROWS}行中找不到表头（如“事件、姓名、公民身份号码”或"
        "“房屋编号、社区、详细地址”），请使用下载的模板",
        "No header row (such as 事件, 姓名, 公民身份号码 or 房屋编号, 社区, 详细地址) in the "
        f"first {HEADER_SEARCH_ROWS} rows of {where_en}; use the downloaded template",
    )


# --- CSV ----------------------------------------------------------------------------------------

_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DELIMITERS: Final = (",", "\t", ";")


@dataclass(frozen=True)
class _CsvLayout:
    encoding: str
    skip: int  # bytes of BOM
    delimiter: str
    match: HeaderMatch
    header_index: int  # 0-based record index of the header


class _Undecodable(Exception):
    """Bytes the encoding cannot decode, at ``offset``; ``header_found`` when the header had been
    read in this encoding before (a damaged byte in this encoding's file, likelier than another
    encoding)."""

    def __init__(self, offset: int) -> None:
        self.offset = offset
        self.header_found = False


def _csv_rows(path: str | os.PathLike[str], *, max_rows: int) -> Iterator[RawRow]:
    with open(path, "rb") as f:
        head = f.read(4)
    encodings: list[tuple[str, int]]
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            encodings = [(encoding, len(bom))]
            break
    else:
        encodings = [("utf-8", 0), ("gb18030", 0)]
    layout: _CsvLayout | None = None
    failure: _Undecodable | None = None
    for encoding, skip in encodings:
        try:
            layout = _check_csv(path, encoding, skip, max_rows=max_rows)
            break
        except _Undecodable as exc:
            # The encoding that got further is the file's, with a damaged byte there.
            if failure is None or exc.offset > failure.offset:
                failure = exc
        except FileRefused:
            # UTF-8 read the header and failed further on; GB18030 makes no sense of the file
            # either: the damaged byte is the better message.
            if failure is not None and failure.header_found:
                break
            raise
    if layout is None:
        assert failure is not None
        line = _line_of(path, failure.offset)
        raise FileRefused(
            "undecodable_text",
            f"第{line}行含有无法识别的文字编码；请在Excel中“另存为”选择“CSV UTF-8（逗号分隔）”，"
            "或直接上传.xlsx文件",
            f"Line {line} holds bytes that are neither UTF-8 nor GBK/GB18030 text; save the file "
            "as “CSV UTF-8 (comma delimited)” in Excel, or upload the .xlsx",
        )
    return _csv_iterate(path, layout)


def _line_of(path: str | os.PathLike[str], offset: int) -> int:
    line = 1
    remaining = offset
    with open(path, "rb") as f:
        while remaining > 0:
            chunk = f.read(min(CSV_CHUNK, remaining))
            if not chunk:
                break
            line += chunk.count(b"\n")
            remaining -= len(chunk)
    return line


def _text_lines(path: str | os.PathLike[str], encoding: str, skip: int) -> Iterator[str]:
    """Decoded physical lines (ending in ``\\n`` or, for old Mac files, ``\\r``), read and
    decoded in chunks; a multibyte character split between two chunks is joined by the
    incremental decoder. Raises :class:`_Undecodable` with the byte offset of the first bad byte,
    and ``line_too_long`` for a line that never ends."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    carry = ""
    consumed = skip
    separator: str | None = None
    with open(path, "rb") as f:
        f.seek(skip)
        while True:
            chunk = f.read(CSV_CHUNK)
            final = not chunk
            try:
                text = decoder.decode(chunk, final)
            except UnicodeDecodeError as exc:
                raise _Undecodable(
                    max(consumed + exc.start - len(exc.object) + len(chunk), 0)
                ) from None
            consumed += len(chunk)
            text = carry + text
            if separator is None and text:
                separator = "\n" if "\n" in text or "\r" not in text else "\r"
            start = 0
            if separator is not None:
                while True:
                    end = text.find(separator, start)
                    if end < 0:
                        break
                    if end - start > MAX_CSV_LINE:
                        raise _line_too_long()
                    yield text[start : end + 1]
                    start = end + 1
            carry = text[start:]
            if len(carry) > MAX_CSV_LINE:
                raise _line_too_long()
            if final:
                if carry:
                    yield carry
                return


def _line_too_long() -> FileRefused:
    return FileRefused(
        "line_too_long",
        f"CSV文件中有一行超过{MAX_CSV_LINE:,}个字符，文件格式可能不正确；请用Excel另存为CSV后再上传",
        f"A line of the CSV file is longer than {MAX_CSV_LINE:,} characters; the file is "
        "probably not a CSV — save it again from Excel",
    )


def _csv_records(lines: Iterator[str], delimiter: str) -> Iterator[list[str]]:
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    try:
        yield from reader
    except csv.Error as exc:
        raise FileRefused(
            "csv_malformed",
            f"CSV文件第{reader.line_num}行格式不正确（如引号不配对或含有空字符），"
            "请用Excel打开后重新另存为CSV",
            f"Line {reader.line_num} of the CSV file is malformed ({exc}); open it in Excel "
            "and save it as CSV again",
        ) from None


def _check_csv(
    path: str | os.PathLike[str], encoding: str, skip: int, *, max_rows: int
) -> _CsvLayout:
    """Decode and parse the whole file once: the header, its columns, the row count. Raises
    :class:`_Undecodable` so the caller can try the next encoding."""
    head_lines: list[str] = []
    lines = _text_lines(path, encoding, skip)
    for line in lines:
        head_lines.append(line)
        if len(head_lines) >= 4 * HEADER_SEARCH_ROWS:
            break
    layout: _CsvLayout | None = None
    for delimiter in _DELIMITERS:
        for index, record in enumerate(csv.reader(head_lines, delimiter=delimiter, strict=False)):
            if index >= HEADER_SEARCH_ROWS:
                break
            found = recognise_header(record)
            if found is not None:
                layout = _CsvLayout(encoding, skip, delimiter, found, index)
                break
        if layout is not None:
            break
    if layout is None:
        for _line in lines:  # an encoding error further on is the better message
            pass
        raise _no_header()
    _check_header(layout.match)
    rows = 0
    try:
        for index, record in enumerate(
            _csv_records(_text_lines(path, encoding, skip), layout.delimiter)
        ):
            if index > layout.header_index and any(cell.strip() for cell in record):
                rows += 1
                if rows > max_rows:
                    raise _too_many_rows(max_rows)
    except _Undecodable as exc:
        exc.header_found = True
        raise
    return layout


def _csv_iterate(path: str | os.PathLike[str], layout: _CsvLayout) -> Iterator[RawRow]:
    key = layout.match.sheet.key
    positions = sorted(layout.match.positions.items())
    records = _csv_records(_text_lines(path, layout.encoding, layout.skip), layout.delimiter)
    for index, record in enumerate(records):
        if index <= layout.header_index:
            continue
        values = _values(record, positions)
        if values is not None:
            yield RawRow(key, index + 1, values)

"""Reading uploads (issue 14, point 3): real files from LibreOffice and GBK Excel exports, every
whole-file refusal with its code and both messages, and the checks that keep calamine's memory
bounded — a tiny workbook with two far-apart values must be refused, never allowed to abort the
process."""

from __future__ import annotations

import contextlib
import datetime as dt
import struct
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onetrip.portal.reporting import files
from onetrip.portal.reporting.files import REFUSAL_CODES, FileRefused, RawRow, read_rows

FIXTURES = Path(__file__).parent / "fixtures"
BOUNDED = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
HEADER = "事件,姓名,公民身份号码,手机号码,日期,社区,详细地址,房屋编号"
ROW = "入职,张伟,33010619900101123X,13800138000,2026-02-20,330106002001,保俶路12号501室,"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def rows(path: Path, filename: str | None = None, **limits: int) -> list[RawRow]:
    return list(read_rows(path, filename=filename or path.name, **limits))


def refusal(path: Path, filename: str | None = None, **limits: int) -> FileRefused:
    with pytest.raises(FileRefused) as info:
        list(read_rows(path, filename=filename or path.name, **limits))
    error = info.value
    assert error.code in REFUSAL_CODES
    assert error.message_zh and error.message_en and error.message_zh != error.message_en
    return error


def write(tmp_path: Path, name: str, content: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
    return path


def workbook(tmp_path: Path, sheets: dict[str, list[list[object]]], name: str = "t.xlsx") -> Path:
    book = openpyxl.Workbook()
    assert book.active is not None
    book.remove(book.active)
    for title, content in sheets.items():
        sheet = book.create_sheet(title)
        for row in content:
            sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def raw_xlsx(
    tmp_path: Path, sheet_xml: str, *, name: str = "raw.xlsx", title: str = "人员"
) -> Path:
    """A minimal workbook whose one sheet is ``sheet_xml``, as written by hand (inline strings,
    no styles), for the syntax corners spreadsheet programs do not write."""
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
            'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
            '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
            '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" xmlns:r="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="'
            f'{title}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target='
            '"worksheets/sheet1.xml"/></Relationships>',
        )
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return path


def sheet_xml(cells: str, *, prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    ns = f' xmlns:{prefix}="{MAIN_NS}"' if prefix else f' xmlns="{MAIN_NS}"'
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><{p}worksheet{ns}><{p}sheetData>{cells}'
        f"</{p}sheetData></{p}worksheet>"
    )


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_row() -> str:
    cells = "".join(text_cell(f"{chr(65 + i)}1", h) for i, h in enumerate(HEADER.split(",")))
    return f'<row r="1">{cells}</row>'


# --- Real files ------------------------------------------------------------------------------


def test_libreoffice_xlsx_from_csv_is_read_with_excel_row_numbers_and_typed_cells():
    found = rows(FIXTURES / "people_libreoffice.xlsx")
    assert [r.number for r in found] == [2, 3, 4, 5, 6, 7]
    assert {r.sheet for r in found} == {"people"}
    first = found[0].values
    assert first["id_number"] == "33010619900101123X"
    assert first["event_date"] == dt.date(2026, 2, 20)
    assert first["community"] == "330106002001"
    assert found[1].values["phone"] is None  # an empty cell
    assert found[4].values["event_date"] == "2026年2月24日"  # LibreOffice kept it as text


def test_libreoffice_xls_reads_like_the_xlsx():
    assert rows(FIXTURES / "people_libreoffice.xls") == rows(FIXTURES / "people_libreoffice.xlsx")


def test_gbk_csv_with_a_title_row_above_the_header():
    found = rows(FIXTURES / "people_gbk.csv")
    assert [r.number for r in found] == [3, 4, 5, 6, 7, 8]
    assert found[4].values["name"] == "阿依古丽·买买提"
    assert found[0].values["event_date"] == "2026/2/20"
    assert found[3].values["id_number"] == "３６０４２６１９９１０１０１００７１"


def test_utf8_csv_with_bom_reads_the_same_text_as_gbk():
    utf8 = rows(FIXTURES / "people.csv")
    gbk = rows(FIXTURES / "people_gbk.csv")
    assert [r.number for r in utf8] == [2, 3, 4, 5, 6, 7]
    for a, b in zip(utf8, gbk, strict=True):
        assert {k: v for k, v in a.values.items() if k != "event_date"} == {
            k: v for k, v in b.values.items() if k != "event_date"
        }


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64])
@pytest.mark.parametrize("name", ["people.csv", "people_gbk.csv"])
def test_csv_decoding_is_incremental_a_character_may_straddle_chunks(monkeypatch, chunk, name):
    expected = rows(FIXTURES / name)
    monkeypatch.setattr(files, "CSV_CHUNK", chunk)
    assert rows(FIXTURES / name) == expected


def test_utf16_csv_with_bom_and_tabs(tmp_path):
    content = HEADER.replace(",", "\t") + "\r\n" + ROW.replace(",", "\t") + "\r\n"
    path = write(tmp_path, "u16.csv", b"\xff\xfe" + content.encode("utf-16-le"))
    [row] = rows(path)
    assert row.values["name"] == "张伟" and row.number == 2


def test_blank_rows_are_skipped_and_numbering_kept(tmp_path):
    path = write(tmp_path, "b.csv", f"{HEADER}\n{ROW}\n,,,,,,,\n\n  ,\t,,,,,,\n{ROW}\n")
    assert [r.number for r in rows(path)] == [2, 6]


def test_quoted_multiline_cell_is_one_row(tmp_path):
    path = write(tmp_path, "q.csv", f'{HEADER}\n入职,"张\n伟",1,2,3,4,5,6\n{ROW}\n')
    found = rows(path)
    assert [r.number for r in found] == [2, 3]
    assert found[0].values["name"] == "张\n伟"


def test_headers_match_with_spaces_full_width_markers_and_english_keys(tmp_path):
    header = " 事件 ,ＮＡＭＥ,公民身份号码（必填）,手机号码*,日　期,community,详细 地址,house_ref"
    path = write(tmp_path, "h.csv", f"{header}\n{ROW}\n")
    [row] = rows(path)
    assert row.values["name"] == "张伟" and row.values["event_date"] == "2026-02-20"
    assert set(row.values) == {
        "event",
        "name",
        "id_number",
        "phone",
        "event_date",
        "community",
        "address_detail",
        "house_ref",
    }


def test_extra_columns_are_ignored_and_short_rows_lack_the_missing_keys(tmp_path):
    path = write(tmp_path, "x.csv", f"备注,{HEADER}\n随便,入职,张伟\n")
    [row] = rows(path)
    assert row.values == {"event": "入职", "name": "张伟"}


def test_a_cell_longer_than_the_limit_is_cut_for_the_validator(tmp_path):
    path = write(tmp_path, "l.csv", f"{HEADER}\n入职,{'张' * 10_000},1\n")
    [row] = rows(path)
    assert len(row.values["name"]) == files.MAX_CELL_LENGTH + 1


def test_workbook_with_both_sheets_title_row_and_instructions(tmp_path):
    houses = [
        "房屋编号",
        "社区",
        "详细地址",
        "房主姓名",
        "房主公民身份号码",
        "房间数",
        "出租起始日期",
    ]
    path = workbook(
        tmp_path,
        {
            "说明": [["请按模板填写"], ["事件"]],
            "人员": [["某公司登记表"], HEADER.split(","), ROW.split(",")],
            "Sheet3": [houses, ["H1", "330106002001", "1号", "王五", "330103198512310027", 3]],
        },
    )
    found = rows(path)
    assert [(r.sheet, r.number) for r in found] == [("people", 3), ("houses", 2)]
    assert found[1].values["rooms"] == 3


def test_a_second_read_gives_the_same_rows(tmp_path):
    path = FIXTURES / "bad_rows.xlsx"
    assert rows(path) == rows(path)


# --- Whole-file refusals ---------------------------------------------------------------------


def test_unknown_extension(tmp_path):
    assert refusal(write(tmp_path, "a.ods", b"PK\x03\x04")).code == "file_type"
    assert refusal(write(tmp_path, "a", b"x")).code == "file_type"


def test_empty_file(tmp_path):
    assert refusal(write(tmp_path, "a.csv", b"")).code == "file_empty"


def test_too_large(tmp_path):
    error = refusal(FIXTURES / "people.csv", max_bytes=100)
    assert error.code == "file_too_large"


@pytest.mark.parametrize(
    ("source", "named", "code"),
    [
        ("people_libreoffice.xls", "a.xlsx", "file_type_mismatch"),
        ("people_libreoffice.xlsx", "a.xls", "file_type_mismatch"),
        ("people_libreoffice.xlsx", "a.csv", "file_type_mismatch"),
        ("people_libreoffice.xls", "a.csv", "file_type_mismatch"),
        ("people.csv", "a.xlsx", "file_corrupt"),
        ("people.csv", "a.xls", "file_corrupt"),
    ],
)
def test_content_must_be_the_format_the_extension_says(source, named, code):
    assert refusal(FIXTURES / source, named).code == code


def test_an_xls_that_is_a_web_page(tmp_path):
    path = write(tmp_path, "export.xls", "\ufeff<html><table><tr><td>事件</td></tr></table></html>")
    assert refusal(path).code == "file_not_spreadsheet"


def test_a_password_protected_xlsx_is_an_ole2_container(tmp_path):
    head = files._OLE_MAGIC + b"\x00" * 500 + "EncryptedPackage".encode("utf-16-le")
    assert refusal(write(tmp_path, "secret.xlsx", head)).code == "file_encrypted"


def test_an_xlsb_or_ods_is_not_an_xlsx(tmp_path):
    path = tmp_path / "a.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.bin", b"\x00")
    assert refusal(path).code == "file_corrupt"


def test_too_many_rows_csv_and_workbook(tmp_path):
    path = write(tmp_path, "r.csv", HEADER + "\n" + (ROW + "\n") * 4)
    assert refusal(path, max_rows=3).code == "too_many_rows"
    assert len(rows(path, max_rows=4)) == 4
    assert refusal(FIXTURES / "people_libreoffice.xlsx", max_rows=5).code == "too_many_rows"
    assert refusal(FIXTURES / "people_libreoffice.xls", max_rows=5).code == "too_many_rows"


def test_no_recognisable_header(tmp_path):
    assert refusal(write(tmp_path, "n.csv", "a,b,c\n1,2,3\n")).code == "no_header"
    assert refusal(workbook(tmp_path, {"Sheet1": [["a", "b"], [1, 2]]})).code == "no_header"
    error = refusal(workbook(tmp_path, {"人员": [["a", "b"], [1, 2]]}, "named.xlsx"))
    assert error.code == "no_header" and "人员" in error.message_zh


def test_a_missing_required_column_is_named(tmp_path):
    header = HEADER.replace("公民身份号码,", "").replace("日期,", "")
    error = refusal(write(tmp_path, "m.csv", f"{header}\n入职,张伟\n"))
    assert error.code == "missing_columns"
    assert "公民身份号码" in error.message_zh and "日期" in error.message_zh
    assert "id_number" in error.message_en and "event_date" in error.message_en


def test_a_column_twice(tmp_path):
    error = refusal(write(tmp_path, "d.csv", f"{HEADER},姓名\n{ROW}\n"))
    assert error.code == "duplicate_column" and "姓名" in error.message_zh


def test_two_people_sheets(tmp_path):
    path = workbook(tmp_path, {"人员": [HEADER.split(",")], "Sheet2": [HEADER.split(",")]})
    assert refusal(path).code == "duplicate_sheet"


def test_undecodable_text_names_the_line(tmp_path):
    content = (HEADER + "\n" + ROW + "\n").encode() + b"\xff\xfe\xff,x\n"
    error = refusal(write(tmp_path, "u.csv", content))
    assert error.code == "undecodable_text" and "第3行" in error.message_zh


def test_a_damaged_byte_late_in_a_utf8_file_is_reported_where_it_is(tmp_path):
    content = (HEADER + "\n" + (ROW + "\n") * 5).encode() + b"\xe5\xbc\xa0\xff\n"
    error = refusal(write(tmp_path, "late.csv", content))
    assert error.code == "undecodable_text" and "第7行" in error.message_zh


def test_gbk_data_under_an_english_header_is_gbk(tmp_path):
    header = "event,name,id_number,phone,event_date,community,address_detail,house_ref"
    path = write(tmp_path, "g.csv", f"{header}\n{ROW}\n", encoding="gbk")
    [row] = rows(path)
    assert row.values["name"] == "张伟"


def test_an_empty_named_sheet_is_ignored(tmp_path):
    path = workbook(tmp_path, {"人员": [HEADER.split(","), ROW.split(",")], "房屋": []})
    assert [r.number for r in rows(path)] == [2]


def test_csv_with_nul_byte_is_read_and_left_to_the_validator(tmp_path):
    [row] = rows(write(tmp_path, "z.csv", f"{HEADER}\n入职,张\x00伟\n"))
    assert row.values["name"] == "张\x00伟"


def test_csv_with_an_unterminated_quote_at_the_end(tmp_path):
    [row] = rows(write(tmp_path, "q.csv", f'{HEADER}\n入职,"张伟'))
    assert row.values["name"] == "张伟"


def test_csv_with_a_field_beyond_the_csv_modules_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_CSV_LINE", 10**7)
    path = write(tmp_path, "big.csv", f'{HEADER}\n入职,"{"张" * 200_000}"\n')
    assert refusal(path).code == "csv_malformed"


def test_csv_line_that_never_ends(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "CSV_CHUNK", 1024)
    path = write(tmp_path, "long.csv", HEADER + "\n" + "x" * (files.MAX_CSV_LINE + 10))
    assert refusal(path).code == "line_too_long"


# --- Memory: what calamine would allocate is refused before it sees the file -------------


def test_far_away_cells_in_a_tiny_xlsx_are_refused_not_allocated(tmp_path):
    # Calamine would ask for 550 GB here and abort the process.
    cells = header_row() + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    path = raw_xlsx(tmp_path, sheet_xml(cells))
    assert path.stat().st_size < 2000
    assert refusal(path).code == "too_many_columns"


def test_a_far_away_row_within_the_columns_is_refused_as_too_many_cells(tmp_path):
    cells = header_row() + '<row r="1000000"><c r="Z1000000"><v>1</v></c></row>'
    assert refusal(raw_xlsx(tmp_path, sheet_xml(cells))).code == "too_many_cells"


def test_a_single_far_row_in_one_column_is_read_then_refused_by_its_row_count(tmp_path):
    cells = header_row() + '<row r="600000"><c r="A600000"><v>1</v></c></row>'
    assert refusal(raw_xlsx(tmp_path, sheet_xml(cells))).code == "too_many_rows"


def test_far_away_cells_in_a_tiny_xls_are_refused():
    assert (FIXTURES / "far_cell.xls").stat().st_size < 10_000
    assert refusal(FIXTURES / "far_cell.xls").code == "too_many_cells"


def test_styled_empty_cells_do_not_count(tmp_path):
    empties = "".join(f'<c r="{col}2" s="1"/>' for col in ("AZ", "BA", "XFD"))
    cells = header_row() + f'<row r="2">{text_cell("A2", "入职")}{empties}</row>'
    assert [r.number for r in rows(raw_xlsx(tmp_path, sheet_xml(cells)))] == [2]


def test_cells_without_references_are_placed_as_calamine_places_them(tmp_path):
    # No r attributes (some generators omit them): 40 cells in a row reach column AN.
    row = "<row>" + "<c><v>1</v></c>" * 40 + "</row>"
    assert refusal(raw_xlsx(tmp_path, sheet_xml(header_row() + row))).code == "too_many_columns"
    row = "<row>" + "<c><v>1</v></c>" * 8 + "</row>"
    assert [r.number for r in rows(raw_xlsx(tmp_path, sheet_xml(header_row() + row)))] == [2]


def test_prefixed_elements_are_scanned_exactly(tmp_path):
    cells = header_row().replace("<row", "<x:row").replace("</row", "</x:row")
    cells = cells.replace("<c ", "<x:c ").replace("</c>", "</x:c>")
    cells = cells.replace("<is>", "<x:is>").replace("</is>", "</x:is>")
    cells = cells.replace("<t>", "<x:t>").replace("</t>", "</x:t>")
    far = '<x:row r="900000"><x:c r="Y900000"><x:v>1</x:v></x:c></x:row>'
    path = raw_xlsx(tmp_path, sheet_xml(cells + far, prefix="x"))
    assert refusal(path).code == "too_many_cells"


def test_a_reference_hidden_behind_a_quoted_angle_bracket(tmp_path):
    decoy = '<row r="2"><c a=">" r="XFD2"><v>1</v></c></row>'
    path = raw_xlsx(tmp_path, sheet_xml(header_row() + decoy))
    assert refusal(path).code == "too_many_columns"


def test_a_single_quoted_reference_after_a_decoy(tmp_path):
    decoy = '<row r="2"><c r="A2" t="n" x=\' r="B2"\' r=\'XFD2\'><v>1</v></c></row>'
    path = raw_xlsx(tmp_path, sheet_xml(header_row() + decoy))
    with pytest.raises(FileRefused) as info:
        list(read_rows(path, filename="a.xlsx"))
    assert info.value.code in ("too_many_columns", "file_corrupt")


def test_an_unterminated_quote_does_not_make_the_exact_scan_backtrack(tmp_path):
    # A prefixed cell sends the part to the exact scan; then a long tag that never closes.
    cells = header_row() + '<x:c r="A2"><v>1</v></x:c><c ' + "a" * 5000 + '"'
    path = raw_xlsx(tmp_path, sheet_xml(cells))
    started = time.perf_counter()
    with contextlib.suppress(FileRefused):
        list(read_rows(path, filename="a.xlsx"))
    assert time.perf_counter() - started < 5


def test_zip_bomb_by_declared_size(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_UNCOMPRESSED", 20_000)
    cells = header_row() + "".join(
        f'<row r="{n}">{text_cell(f"G{n}", "x" * 50)}</row>' for n in range(2, 600)
    )
    assert refusal(raw_xlsx(tmp_path, sheet_xml(cells))).code == "zip_bomb"


def test_zip_bomb_by_lying_about_the_size(tmp_path):
    cells = header_row() + "".join(
        f'<row r="{n}">{text_cell(f"G{n}", "甲" * 100)}</row>' for n in range(2, 100)
    )
    path = raw_xlsx(tmp_path, sheet_xml(cells))
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    # Declare 1,000 bytes fewer than the real size, in the local header and the directory.
    patched = 0
    for signature, offset, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            if data[start + name_at : start + name_at + len(name)] == name:
                (size,) = struct.unpack_from("<I", data, start + offset)
                struct.pack_into("<I", data, start + offset, size - 1000)
                patched += 1
            start += 4
    assert patched == 2
    path.write_bytes(bytes(data))
    assert refusal(path).code == "zip_bomb"


def test_utf16_xml_part_is_refused(tmp_path):
    xml = sheet_xml(header_row()).replace('encoding="UTF-8"', 'encoding="UTF-16"')
    path = tmp_path / "u16.xlsx"
    source = raw_xlsx(tmp_path, xml)
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            content = src.read(info)
            if info.filename.endswith("sheet1.xml"):
                content = b"\xff\xfe" + content.decode().encode("utf-16-le")
            out.writestr(info, content)
    assert refusal(path).code == "file_corrupt"


# --- Properties --------------------------------------------------------------------------------

positions = st.lists(
    st.tuples(st.integers(1, 3000), st.integers(1, 30)), min_size=1, max_size=25, unique=True
)


def _letters(number: int) -> str:
    return files._column_letters(number)


@BOUNDED
@given(
    positions=positions,
    style=st.sampled_from(["canonical", "no_refs", "single_quotes", "spaced", "prefixed"]),
)
def test_scan_bounds_what_calamine_loads(tmp_path_factory, positions, style):
    """Whatever the syntax, the scanned extent is never smaller than calamine's grid."""
    import python_calamine

    tmp_path = tmp_path_factory.mktemp("scan")
    by_row: dict[int, list[int]] = {}
    for row, col in positions:
        by_row.setdefault(row, []).append(col)
    parts = []
    for row in sorted(by_row):
        cells = []
        for col in sorted(by_row[row]):
            ref = f"{_letters(col)}{row}"
            if style == "no_refs":
                cells.append("<c><v>1</v></c>")
            elif style == "single_quotes":
                cells.append(f"<c s='0' r='{ref}'><v>1</v></c>")
            elif style == "spaced":
                cells.append(f'<c\tr = "{ref}" ><v>1</v></c>')
            else:
                cells.append(f'<c r="{ref}"><v>1</v></c>')
        parts.append(f'<row r="{row}">' + "".join(cells) + "</row>")
    xml = sheet_xml("".join(parts))
    if style == "prefixed":
        xml = sheet_xml(
            "".join(parts).replace("<c ", "<x:c ").replace("</c>", "</x:c>"), prefix="x"
        )
        xml = xml.replace("<row", "<x:row").replace("</row>", "</x:row>")
        xml = xml.replace("<v>", "<x:v>").replace("</v>", "</x:v>")
    path = raw_xlsx(tmp_path, xml)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
        try:
            extent = files._scan_part(files._member_chunks(archive, info, [10**9]))
        except files._NotCanonical:
            extent = files._scan_exact(files._member_chunks(archive, info, [10**9]))
    sheet = python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_index(0)
    assert sheet.end is not None
    assert extent.rows >= sheet.end[0] + 1
    assert extent.columns >= sheet.end[1] + 1
    assert extent.cells >= len(positions)


@BOUNDED
@given(content=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".xlsx", ".xls"]))
def test_random_bytes_are_read_or_refused_never_crash(tmp_path_factory, content, suffix):
    tmp_path = tmp_path_factory.mktemp("fuzz")
    magic = {".xlsx": b"PK\x03\x04", ".xls": files._OLE_MAGIC, ".csv": b""}[suffix]
    path = write(tmp_path, "f" + suffix, magic + content)
    with contextlib.suppress(FileRefused):
        list(read_rows(path, filename=path.name))


@BOUNDED
@given(text=st.text(max_size=200), encoding=st.sampled_from(["utf-8", "gb18030", "utf-8-sig"]))
def test_random_csv_text_is_read_or_refused(tmp_path_factory, text, encoding):
    tmp_path = tmp_path_factory.mktemp("csv")
    try:
        content = (HEADER + "\n" + text).encode(encoding)
    except UnicodeEncodeError:
        return
    path = write(tmp_path, "t.csv", content)
    try:
        for row in read_rows(path, filename="t.csv"):
            assert row.sheet == "people" and row.number >= 2
    except FileRefused:
        pass


@BOUNDED
@given(offset=st.integers(0, 10_000), value=st.integers(0, 255))
def test_a_damaged_sheet_is_read_or_refused(tmp_path_factory, offset, value):
    tmp_path = tmp_path_factory.mktemp("damaged")
    with zipfile.ZipFile(FIXTURES / "bad_rows.xlsx") as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, content in members:
            if "worksheets/sheet" in info.filename:
                damaged = bytearray(content)
                damaged[offset % len(damaged)] = value
                content = bytes(damaged)
            out.writestr(info.filename, content)
    with contextlib.suppress(FileRefused):
        list(read_rows(path, filename="damaged.xlsx"))


def test_greater_than_patterns():
    import re

    for n in (0, 1, 9, 10, 99, 500001, 1048576):
        pattern = re.compile(files._greater_digits(n))
        for m in (*range(0, 1200), n - 1, n, n + 1, 10 * n, 10 * n + 7):
            if m >= 0:
                assert bool(pattern.fullmatch(str(m))) == (m > n), (n, m)
    for n in (0, 1, 8, 26, 27, 32, 702, 703):
        pattern = re.compile(files._greater_letters(n))
        for m in range(1, 800):
            assert bool(pattern.fullmatch(_letters(m))) == (m > n), (n, m)


def test_refusal_codes_are_documented_and_stable():
    assert set(REFUSAL_CODES) >= {
        "file_type",
        "file_type_mismatch",
        "file_too_large",
        "too_many_rows",
        "no_header",
        "missing_columns",
        "undecodable_text",
        "zip_bomb",
        "file_corrupt",
    }
    with pytest.raises(AssertionError):
        FileRefused("not_a_code", "x", "y")


def test_read_rows_refuses_before_yielding_anything(tmp_path):
    # The call raises; no half-read file reaches the caller.
    path = write(tmp_path, "r.csv", HEADER + "\n" + (ROW + "\n") * 4 + "\xff")
    with pytest.raises(FileRefused):
        read_rows(path, filename="r.csv", max_rows=3)

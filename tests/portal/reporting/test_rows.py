"""Checking rows (issue 14, point 4): a file with every kind of bad row gives exactly the
expected problems, each rule of rows.py by name, and properties over arbitrary cells — no cell
crashes the validator, full-width input is the same row as ASCII input, and the shortcuts give
what the shared rules give."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onetrip.common.text import clean_person_name, clean_text
from onetrip.contracts.reporting import HouseReportRow, PersonReportRow
from onetrip.portal.reporting import rows as rows_module
from onetrip.portal.reporting.columns import PEOPLE
from onetrip.portal.reporting.files import RawRow, read_rows
from onetrip.portal.reporting.rows import (
    ROW_ERROR_CODES,
    RowError,
    RowValidator,
    community_resolver,
    parse_date,
    reason_en,
    reason_zh,
)

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = dt.date(2026, 3, 2)
BOUNDED = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

#: Every problem of bad_rows.xlsx for a rental agency on TODAY: (sheet, row, column, code).
#: Nothing else may be reported; rows 2 and 34 (people), 2 and 15 (houses) are good and row 33
#: of 人员 is blank.
BAD_ROWS_EXPECTED = {
    ("people", 3, "事件", "required"),
    ("people", 4, "事件", "event_unknown"),
    ("people", 5, "事件", "event_not_allowed"),
    ("people", 6, "姓名", "name_characters"),
    ("people", 7, "姓名", "required"),
    ("people", 8, "公民身份号码", "id_number_as_number"),
    ("people", 9, "公民身份号码", "id_check_digit"),
    ("people", 10, "公民身份号码", "id_birth_date_invalid"),
    ("people", 11, "公民身份号码", "id_first_generation"),
    ("people", 12, "公民身份号码", "id_length"),
    ("people", 13, "公民身份号码", "non_ascii_digit"),
    ("people", 14, "公民身份号码", "id_number_truncated"),
    ("people", 15, "公民身份号码", "id_region_unknown"),
    ("people", 16, "手机号码", "phone_format"),
    ("people", 17, "日期", "required"),
    ("people", 18, "日期", "date_invalid"),
    ("people", 19, "日期", "date_format"),
    ("people", 20, "日期", "date_in_future"),
    ("people", 21, "日期", "date_too_old"),
    ("people", 22, "日期", "date_before_birth"),
    ("people", 23, "公民身份号码", "age_implausible"),
    ("people", 24, "社区", "community_unknown"),
    ("people", 25, "社区", "community_ambiguous"),
    ("people", 26, "详细地址", "address_not_precise"),
    ("people", 27, "详细地址", "required"),
    ("people", 28, "详细地址", "unsupported_character"),
    ("people", 29, "姓名", "cell_too_long"),
    ("people", 30, "日期", "date_is_number"),
    ("people", 31, "公民身份号码", "duplicate_person_event"),
    ("people", 32, "详细地址", "arrival_conflict"),
    ("people", 35, "公民身份号码", "id_number_as_number"),
    ("people", 36, "房屋编号", "too_long"),
    ("houses", 3, "房屋编号", "required"),
    ("houses", 4, "房屋编号", "duplicate_house"),
    ("houses", 5, "房主公民身份号码", "id_check_digit"),
    ("houses", 6, "房间数", "rooms_invalid"),
    ("houses", 7, "房间数", "rooms_invalid"),
    ("houses", 8, "房间数", "rooms_invalid"),
    ("houses", 9, "出租截止日期", "let_until_before_from"),
    ("houses", 10, "出租截止日期", "lease_too_long"),
    ("houses", 11, "出租起始日期", "let_from_out_of_range"),
    ("houses", 12, "房主手机号码", "phone_format"),
    ("houses", 13, "房主姓名", "required"),
    ("houses", 14, "出租起始日期", "required"),
}

GOOD: dict[str, Any] = {
    "event": "入职",
    "name": "张伟",
    "id_number": "33010619900101123X",
    "phone": "13800138000",
    "event_date": dt.date(2026, 2, 20),
    "community": "330106002001",
    "address_detail": "保俶路12号3幢2单元501室",
    "house_ref": "BS-0012",
}
GOOD_HOUSE: dict[str, Any] = {
    "house_ref": "H1",
    "community": "北山街道北山社区",
    "address_detail": "保俶路12号3幢2单元501室",
    "owner_name": "王五",
    "owner_id_number": "330103198512310027",
    "owner_phone": None,
    "rooms": 3,
    "let_from": dt.date(2025, 1, 1),
    "let_until": dt.date(2026, 12, 31),
}


def validator(kind: str = "employer") -> RowValidator:
    return RowValidator(organisation_kind=kind, today=TODAY)


def person(number: int = 2, kind: str = "employer", v: RowValidator | None = None, **changes: Any):
    return (v or validator(kind)).validate(RawRow("people", number, {**GOOD, **changes}))


def house(
    number: int = 2, kind: str = "rental_agency", v: RowValidator | None = None, **changes: Any
):
    return (v or validator(kind)).validate(RawRow("houses", number, {**GOOD_HOUSE, **changes}))


def codes(result: object) -> list[str]:
    assert isinstance(result, list), result
    return [e.code for e in result]


# --- The file with every kind of bad row ---------------------------------------------------


def validate_file(path: Path, kind: str) -> tuple[list[Any], list[RowError]]:
    v = validator(kind)
    good, bad = [], []
    for raw in read_rows(path, filename=path.name):
        result = v.validate(raw)
        if isinstance(result, list):
            bad.extend(result)
        else:
            good.append(result)
    return good, bad


def test_bad_rows_file_reports_exactly_the_expected_problems():
    good, bad = validate_file(FIXTURES / "bad_rows.xlsx", "rental_agency")
    assert {(e.sheet, e.row, e.column, e.code) for e in bad} == BAD_ROWS_EXPECTED
    assert {e.code for e in bad} <= set(ROW_ERROR_CODES)
    assert len(bad) == len(BAD_ROWS_EXPECTED)  # one problem each, nothing twice
    assert [(type(r).__name__, r.row) for r in good] == [
        ("PersonReportRow", 2),
        ("PersonReportRow", 34),
        ("HouseReportRow", 2),
        ("HouseReportRow", 15),
    ]


def test_every_message_names_row_column_and_value_and_fits_the_contract():
    _, bad = validate_file(FIXTURES / "bad_rows.xlsx", "rental_agency")
    for error in bad:
        assert error.message_zh.startswith(f"第{error.row}行 {error.column}")
        assert error.message_en.startswith(f"Row {error.row}, {error.column}")
        if error.value_shown:
            assert f"“{error.value_shown}”" in error.message_zh
        assert len(error.message_zh) <= 300 and len(error.message_en) <= 300
        assert len(error.column) <= 40 and len(error.value_shown) <= 100
        assert reason_zh(error) and not reason_zh(error).startswith("第")
        assert reason_en(error) and not reason_en(error).startswith("Row")


def test_personal_values_are_masked_in_messages():
    _, bad = validate_file(FIXTURES / "bad_rows.xlsx", "rental_agency")
    by_row = {(e.sheet, e.row): e for e in bad}
    assert by_row[("people", 9)].value_shown == "3301**********1235"
    assert "330106199001011235" not in by_row[("people", 9)].message_zh
    assert by_row[("people", 16)].value_shown == "*****"
    assert by_row[("people", 6)].value_shown == "张*"
    assert by_row[("houses", 12)].value_shown == "138***3800"


def test_real_files_give_the_same_valid_rows_in_every_format():
    results = {}
    for name in (
        "people.csv",
        "people_gbk.csv",
        "people_libreoffice.xlsx",
        "people_libreoffice.xls",
    ):
        good, bad = validate_file(FIXTURES / name, "employer")
        assert bad == [], (name, bad)
        results[name] = [r.model_dump(exclude={"row"}) for r in good]
    first = results["people.csv"]
    assert all(found == first for found in results.values())
    assert [r["id_number"] for r in first] == [
        "33010619900101123X",
        "330103198512310027",
        "11010519491231002X",
        "360426199101010071",
        "33010220000229004X",
        "330106198803064021",
    ]
    assert [r["phone"] for r in first][2:4] == ["13900139000", "13700137000"]
    assert {r["community_code"] for r in first} == {
        "330106002001",
        "330102003001",
        "330105001001",
        "330106007001",
    }
    assert first[3]["house_ref"] == "HB-1202"


# --- Rules --------------------------------------------------------------------------------


def test_a_good_row_becomes_the_contract_row():
    result = person(7)
    assert isinstance(result, PersonReportRow)
    assert (result.row, result.event, result.relation) == (7, "arrived", "employee")
    assert result.community_code == "330106002001"


@pytest.mark.parametrize(
    ("kind", "event", "allowed"),
    [
        ("employer", "入职", True),
        ("employer", "离职", True),
        ("employer", "入住", False),
        ("employer", "离开", False),
        ("rental_agency", "入住", True),
        ("rental_agency", "离开", True),
        ("rental_agency", "入职", False),
        ("property_management", "离开", True),
        ("property_management", "离职", False),
    ],
)
def test_who_reports_which_event(kind, event, allowed):
    result = person(kind=kind, event=event)
    if allowed:
        assert isinstance(result, PersonReportRow)
        assert result.relation == ("employee" if kind == "employer" else "tenant")
    else:
        assert codes(result) == ["event_not_allowed"]


def test_employers_do_not_report_houses():
    assert codes(house(kind="employer")) == ["houses_not_allowed"]
    assert isinstance(house(kind="property_management"), HouseReportRow)


def test_an_employee_under_16_is_refused_a_tenant_is_not():
    child = "330106201301011234"[:17]
    from onetrip.common.identifiers import id_check_char

    number = child + id_check_char(child)
    assert codes(person(id_number=number)) == ["employee_under_16"]
    assert isinstance(person(kind="rental_agency", event="入住", id_number=number), PersonReportRow)


def test_every_problem_of_a_row_is_reported_not_only_the_first():
    result = person(event="跳槽", id_number="1", phone="2", event_date="x", community="y")
    assert codes(result) == [
        "event_unknown",
        "id_length",
        "phone_format",
        "date_format",
        "community_unknown",
    ]


def test_event_dates_within_the_last_year_up_to_today():
    assert isinstance(person(event_date=TODAY), PersonReportRow)
    assert isinstance(person(event_date=TODAY - dt.timedelta(days=365)), PersonReportRow)
    assert codes(person(event_date=TODAY - dt.timedelta(days=366))) == ["date_too_old"]
    assert codes(person(event_date=TODAY + dt.timedelta(days=1))) == ["date_in_future"]


@pytest.mark.parametrize(
    "value",
    [
        "2026-02-20",
        "2026/02/20",
        "2026/2/20",
        "2026.2.20",
        "20260220",
        "2026年2月20日",
        "2026年2月20",
        "２０２６－０２－２０",
        " 2026-02-20 ",
        "2026-02-20 00:00:00",
        "2026/2/20 13:45",
        20260220,
        20260220.0,
        dt.datetime(2026, 2, 20, 8, 30),
        dt.date(2026, 2, 20),
    ],
)
def test_date_spellings(value):
    assert parse_date(value) == dt.date(2026, 2, 20)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("2026-02-30", "date_invalid"),
        ("2026-2/20", "date_format"),
        ("20/02/2026", "date_format"),
        ("2026", "date_format"),
        (46073.0, "date_is_number"),
        (True, "date_format"),
        (dt.time(8, 0), "date_format"),
        ("x" * 100, "date_format"),
    ],
)
def test_date_refusals(value, code):
    with pytest.raises(rows_module._CellError) as info:
        parse_date(value)
    assert info.value.code == code


def test_identifiers_are_normalised_by_the_shared_rule():
    result = person(
        id_number=" ３３０１０６１９９００１０１１２３ｘ ", phone="（+86）138-0013-8000"
    )
    assert isinstance(result, PersonReportRow)
    assert (result.id_number, result.phone) == ("33010619900101123X", "13800138000")
    assert isinstance(person(id_number="33010619900101123x"), PersonReportRow)


@pytest.mark.parametrize("phone", [13800138000.0, 1.38001380e10, 13800138000, "13800138000.0"])
def test_phone_typed_as_a_number(phone):
    result = person(phone=phone)
    if phone == "13800138000.0":
        assert codes(result) == ["phone_format"]
    else:
        assert isinstance(result, PersonReportRow) and result.phone == "13800138000"


def test_community_by_code_number_name_and_street():
    for value in (
        "330106002001",
        330106002001.0,
        "北山街道北山社区",
        "北山街道 北山社区",
        "西湖区北山街道北山社区",
        "杭州市西湖区北山街道北山社区",
        "浙江省杭州市西湖区北山街道北山社区",
        "北山社区",
        "３３０１０６００２００１",
    ):
        result = person(community=value)
        assert isinstance(result, PersonReportRow), value
        assert result.community_code == "330106002001"
    assert codes(person(community="胜利村")) == ["community_ambiguous"]
    assert codes(person(community="330106999999")) == ["community_unknown"]


def test_duplicates_name_the_first_row_and_only_accepted_rows_count():
    v = validator()
    assert codes(person(5, v=v, phone="1")) == ["phone_format"]  # refused: not remembered
    assert isinstance(person(6, v=v), PersonReportRow)
    [error] = person(9, v=v)
    assert error.code == "duplicate_person_event" and "第6行" in error.message_zh
    assert isinstance(person(10, v=v, event="离职"), PersonReportRow)  # another event
    assert isinstance(person(11, v=v, event_date=dt.date(2026, 2, 21)), PersonReportRow)


def test_arriving_at_two_addresses_on_one_day_is_a_contradiction_leaving_is_not():
    v = validator()
    assert isinstance(person(2, v=v), PersonReportRow)
    [error] = person(3, v=v, address_detail="文三路99号1幢101室")
    assert error.code == "arrival_conflict" and "第2行" in error.message_zh
    assert isinstance(person(4, v=v, event="离职", address_detail="文三路99号"), PersonReportRow)
    [error] = person(5, v=v, event="离职", address_detail="文三路100号")
    assert error.code == "duplicate_person_event"


def test_houses_duplicate_reference_and_tenancy_rules():
    v = validator("rental_agency")
    assert isinstance(house(2, v=v), HouseReportRow)
    [error] = house(3, v=v, community="330106002001")
    assert error.code == "duplicate_house" and "第2行" in error.message_zh
    assert isinstance(house(4, v=v, house_ref="H2", let_until=None), HouseReportRow)
    assert codes(house(house_ref="H3", let_from=TODAY + dt.timedelta(days=91))) == [
        "let_from_out_of_range"
    ]
    assert isinstance(house(house_ref="H3", let_from=TODAY + dt.timedelta(days=90)), HouseReportRow)
    assert codes(house(let_from=dt.date(1989, 12, 31), let_until=None)) == ["let_from_out_of_range"]
    assert isinstance(house(let_until=dt.date(2045, 1, 1)), HouseReportRow)  # exactly 20 years
    assert codes(house(let_until=dt.date(2045, 1, 2))) == ["lease_too_long"]


@pytest.mark.parametrize(
    ("rooms", "expected"),
    [(3, 3), (3.0, 3), ("3", 3), ("３间", 3), (" 12 ", 12), (999, 999), ("1", 1)],
)
def test_rooms(rooms, expected):
    result = house(rooms=rooms)
    assert isinstance(result, HouseReportRow) and result.rooms == expected


@pytest.mark.parametrize("rooms", [0, 1000, -1, 2.5, "三间", "3室", True, "", [3]])
def test_rooms_refused(rooms):
    result = house(rooms=rooms)
    expected = ["required"] if rooms == "" else ["rooms_invalid"]
    assert codes(result) == expected


def test_api_values_validate_like_file_values():
    values = {**GOOD, "event_date": "2026-02-20", "phone": "13800138000"}
    result = validator().validate(RawRow("people", 1, values))
    assert isinstance(result, PersonReportRow) and result.row == 1


def test_an_unknown_kind_or_sheet_is_a_programming_error():
    with pytest.raises(ValueError):
        RowValidator(organisation_kind="hotel", today=TODAY)
    with pytest.raises(ValueError):
        validator().validate(RawRow("cars", 2, {}))  # type: ignore[arg-type]


def test_resolver_is_built_once():
    assert community_resolver() is community_resolver()


# --- Properties ---------------------------------------------------------------------------

cells = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.text(alphabet="0123456789０１２３４５６７８９xXＸ -/.年月日　", max_size=25),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=dt.date(1, 1, 1)),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@BOUNDED
@given(values=st.dictionaries(st.sampled_from([c.key for c in PEOPLE.columns]), cells))
def test_any_people_cells_give_a_row_or_problems(values):
    result = validator("rental_agency").validate(RawRow("people", 5, values))
    _check_result(result)


@BOUNDED
@given(values=st.dictionaries(st.sampled_from(list(GOOD_HOUSE)), cells))
def test_any_house_cells_give_a_row_or_problems(values):
    _check_result(validator("rental_agency").validate(RawRow("houses", 5, values)))


@BOUNDED
@given(key=st.sampled_from(list(GOOD)), value=cells)
def test_one_odd_cell_in_a_good_row(key, value):
    _check_result(person(**{key: value}))


def _check_result(result: object) -> None:
    if isinstance(result, list):
        assert result
        for error in result:
            assert isinstance(error, RowError) and error.code in ROW_ERROR_CODES
            assert len(error.message_zh) <= 300 and len(error.message_en) <= 300
            assert len(error.column) <= 40 and len(error.value_shown) <= 100
    else:
        assert isinstance(result, PersonReportRow | HouseReportRow)


FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


@BOUNDED
@given(
    widen=st.lists(st.booleans(), min_size=40, max_size=40),
    keys=st.sets(
        st.sampled_from(["id_number", "phone", "community", "house_ref", "address_detail"])
    ),
)
def test_full_width_forms_are_the_same_row(widen, keys):
    def wide(text: str) -> str:
        return "".join(
            FULL_WIDTH.get(ch, ch) if widen[i % len(widen)] else ch for i, ch in enumerate(text)
        )

    changed = {key: wide(str(GOOD[key])) for key in keys}
    result = person(**changed)
    assert isinstance(result, PersonReportRow), result
    assert result == person()


@BOUNDED
@given(text=st.text(max_size=80))
def test_plain_text_shortcut_agrees_with_clean_text(text):
    column = PEOPLE.column("address_detail")
    try:
        shared: object = clean_text(
            text.translate(rows_module._FULL_WIDTH),
            field="a",
            label_zh="详细地址",
            label_en="address",
            max_length=60,
            required=True,
        )
    except Exception as exc:
        shared = type(exc)
    try:
        mine: object = rows_module._clean_text(
            text, column, label_en="address", max_length=60, required=True
        )
    except Exception as exc:
        mine = type(exc)
    assert mine == shared


@BOUNDED
@given(name=st.text(max_size=40) | st.text(alphabet="张王李赵·伟芳 　", max_size=40))
def test_name_shortcut_agrees_with_clean_person_name(name):
    v = validator()
    errors: list[RowError] = []
    mine = v._name("people", 2, PEOPLE.column("name"), name, errors)
    try:
        shared: str | None = clean_person_name(name, field="name", label_zh="姓名")
    except Exception:
        shared = None
    assert mine == shared
    assert bool(errors) == (shared is None)

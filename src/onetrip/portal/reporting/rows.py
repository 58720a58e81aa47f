"""Checking one raw row of an organisation's report and turning it into the ferry's row.

:class:`RowValidator` takes the :class:`~onetrip.portal.reporting.files.RawRow` values a file (or
an API batch) holds and returns a :class:`~onetrip.contracts.reporting.PersonReportRow` or
:class:`~onetrip.contracts.reporting.HouseReportRow`, or every problem of the row as
:class:`RowError` values. A bad row never stops the others. One validator reads one file: it
remembers the rows it accepted, to find duplicates and contradictions within the file.

Identifiers go through :mod:`onetrip.common.identifiers` (the one normalisation: full-width forms
to ASCII, white space removed, other non-ASCII refused; lower-case ``x``), names and free text
through :mod:`onetrip.common.text`; nothing here re-implements those checks. Two shortcuts return
what the shared rules return for plain input (a name of 2–30 Han characters, text of Han
characters, ASCII letters, digits and a little punctuation) without their character-by-character
look-ups; tests check over arbitrary text that they agree. :data:`ROW_ERROR_CODES` lists every
``RowError.code``.

Decisions (each a rule a test names):

- **Who reports what.** Employers report 入职/离职 only (ZJ-6); rental agencies and
  property-management firms report 入住/离开 and the 房屋 sheet (ZJ-7…ZJ-9). Any other row is
  refused, with a message saying who reports it instead.
- **Event dates** lie between one year before ``today`` and ``today``: the duty is to report
  within 3 working days, so a date in the future or more than a year old is almost always a
  typo (2025 for 2026); older facts belong to the station, not to a bulk upload. The date may
  not precede the person's birth.
- **Ages.** An employee must be at least 16 on the event date (Labour Law Art. 15 forbids hiring
  under-16s; such a row is much likelier a mistyped ID number). Nobody may be older than 110.
- **Tenancies.** 出租起始日期 from 1990-01-01 up to 90 days ahead (a house is registered before it
  is let); 出租截止日期 not before the start and at most 20 years after it (Civil Code Art. 705:
  a lease may not exceed twenty years).
- **Numbers in identifier cells.** Excel keeps 15 significant digits, so an ID number stored as a
  number has already lost its last digits: such a cell is refused with a message to format the
  column as text. Phone numbers and community codes survive as numbers and are accepted.
- **Duplicates.** The same person with the same event on the same date, or the same 房屋编号,
  a second time: the second row is refused naming the first. **Contradictions:** one person
  arriving (入住/入职) at two different addresses on one day: the second row is refused naming the
  first. Only rows that were accepted are remembered.
- **Addresses** go down to the house number: at least one digit or one of 号/室/栋/幢/楼/单元.

Speed: 55,000–60,000 rows/s on one otherwise idle core, about 43,000 when the machine's other
core is busy too (``benchmarks/reporting_memory.py``, people rows). A third of it is the shared
ID check (about 7 µs, its character-by-character normalisation the larger half); pydantic's
``model_validate`` costs about 2 µs (less than ``model_construct``); the region look-up
(python-stdnum's table, 25 µs) is cached per code.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from onetrip.common import divisions
from onetrip.common.errors import ApplicationError
from onetrip.common.identifiers import (
    IdentifierError,
    ResidentId,
    normalize_mobile,
    parse_resident_id,
    region_code_ever_existed,
)
from onetrip.common.masking import mask_id_number, mask_name, mask_phone
from onetrip.common.text import clean_person_name, clean_text
from onetrip.contracts.reporting import HouseReportRow, PersonReportRow

from .columns import EVENTS, EVENTS_FOR_KIND, HOUSES, PEOPLE, SHEETS_FOR_KIND, Column, SheetKey

MAX_EVENT_AGE_DAYS: Final = 365
MIN_EMPLOYEE_AGE: Final = 16
MAX_AGE: Final = 110
MIN_LET_FROM: Final = dt.date(1990, 1, 1)
MAX_LET_FROM_AHEAD_DAYS: Final = 90
MAX_LEASE_YEARS: Final = 20
MAX_ROOMS: Final = 999
MAX_SHOWN: Final = 40
#: Longest text cell looked at (files.MAX_CELL_LENGTH; an API batch can send more).
MAX_CELL_LENGTH: Final = 500

_FULL_WIDTH: Final = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH[0x3000] = 0x20
_DATE_SEPARATED: Final = re.compile(
    r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})"
    r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?",
    re.ASCII,
)
_DATE_CHINESE: Final = re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日?", re.ASCII)
_DATE_COMPACT: Final = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})", re.ASCII)
_SCIENTIFIC: Final = re.compile(r"[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+", re.ASCII)
_ROOMS: Final = re.compile(r"([0-9]{1,4})间?", re.ASCII)
_ADDRESS_NUMBER: Final = re.compile(r"[0-9号室栋幢楼]|单元")
_CITY_PREFIXES: Final = ("浙江省", "杭州市")


#: Every ``RowError.code``, with what it means. Codes from the shared validators keep their
#: names (onetrip.common.identifiers, onetrip.common.text).
ROW_ERROR_CODES: Final[dict[str, str]] = {
    "required": "a required cell is empty",
    "cell_too_long": f"a cell holds more than {MAX_CELL_LENGTH} characters",
    "not_text": "a cell holds a value that cannot be read as text (TRUE/FALSE, a list…)",
    "event_unknown": "事件 is none of 入住, 离开, 入职, 离职",
    "event_not_allowed": "this kind of organisation does not report this event",
    "houses_not_allowed": "an employer's file holds a 房屋 row",
    "id_number_as_number": "an ID number stored as a number (or 3.30106E+17): digits are lost",
    "id_number_truncated": "an ID number ending in 000 with a wrong check character",
    "id_length": "identifiers: not 18 characters",
    "id_first_generation": "identifiers: a 15-digit first-generation number",
    "id_format": "identifiers: not 17 digits and a digit or X",
    "id_birth_date_invalid": "identifiers: the birth date does not exist",
    "id_birth_date_future": "identifiers: the birth date is after today",
    "id_birth_date_implausible": "identifiers: born before 1900",
    "id_check_digit": "identifiers: wrong check character",
    "id_region_unknown": "identifiers: the first six digits were never a division code",
    "non_ascii_digit": "identifiers: digits of another script",
    "non_ascii_character": "identifiers: a character other than 0-9, A-Z",
    "control_character": "identifiers/text: an invisible control character",
    "phone_format": "identifiers: not an 11-digit mainland mobile number",
    "name_characters": "text: a name that is neither Chinese nor Latin letters",
    "name_length": "text: a name too short or too long",
    "unsupported_character": "text: an emoji or a character that cannot be stored",
    "too_long": "text: longer than the field allows",
    "date_format": "a date in no accepted spelling",
    "date_invalid": "a date that does not exist (30 February)",
    "date_is_number": "a date cell formatted as a plain number",
    "date_in_future": "an event date after today",
    "date_too_old": f"an event date more than {MAX_EVENT_AGE_DAYS} days ago",
    "date_before_birth": "an event date before the birth date in the ID number",
    "age_implausible": f"older than {MAX_AGE} by the ID number",
    "employee_under_16": f"an employee younger than {MIN_EMPLOYEE_AGE} on the event date",
    "community_unknown": "not a community of the city",
    "community_ambiguous": "a community name the city has more than once",
    "address_not_precise": "an address without a house number",
    "rooms_invalid": f"房间数 is not a whole number from 1 to {MAX_ROOMS}",
    "let_from_out_of_range": "出租起始日期 before 1990 or more than 90 days ahead",
    "let_until_before_from": "出租截止日期 before 出租起始日期",
    "lease_too_long": f"a lease over {MAX_LEASE_YEARS} years (Civil Code Art. 705)",
    "duplicate_person_event": "the same person, event and date as an earlier row",
    "arrival_conflict": "the same person arriving at another address the same day",
    "duplicate_house": "the same 房屋编号 as an earlier row",
    "row_invalid": "the row passed every check but not the contract (a bug)",
}


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem of one row: where (sheet, row as the clerk sees it, column header), what
    (``value_shown``, masked for names, ID numbers and phone numbers) and why (``code``, a
    sentence in Chinese and English that also names the row, column and value)."""

    sheet: str
    row: int
    column: str
    value_shown: str
    code: str
    message_zh: str
    message_en: str


def reason_zh(error: RowError) -> str:
    """The message without its leading ``第N行``: for a place that already shows the row."""
    prefix = f"第{error.row}行 "
    return error.message_zh.removeprefix(prefix)


def reason_en(error: RowError) -> str:
    prefix = f"Row {error.row}, "
    return error.message_en.removeprefix(prefix)


# --- Communities ------------------------------------------------------------------------------


class CommunityResolver:
    """Finds the 12-digit code of one of the city's communities from what a clerk writes: the
    code, ``XX街道XX社区`` (``XX镇XX村``), the same with the district in front (with or without
    ``浙江省杭州市``), or the community's name alone when no other community in the city has it.
    Full-width forms and white space do not matter. Built once from
    :mod:`onetrip.common.divisions`; a call is one dictionary look-up."""

    def __init__(self, lookup: dict[str, str], ambiguous: frozenset[str]) -> None:
        self._lookup = lookup
        self._ambiguous = ambiguous

    @staticmethod
    def normalize(value: str) -> str:
        text = "".join(value.translate(_FULL_WIDTH).split())
        for prefix in _CITY_PREFIXES:
            text = text.removeprefix(prefix)
        return text

    def __call__(self, value: str) -> str | None:
        found = self._lookup.get(value)
        return found if found is not None else self._lookup.get(self.normalize(value))

    def is_ambiguous(self, value: str) -> bool:
        return self.normalize(value) in self._ambiguous

    def labels(self) -> list[tuple[str, str]]:
        """(code, ``区街道社区`` label) of every community, for the template's drop-down."""
        found = divisions.load()
        out = []
        for community in found.community_by_code.values():
            street = found.street_by_code[community.street_code]
            district = found.district_by_code[community.district_code]
            out.append((community.code, f"{district.name}{street.name}{community.name}"))
        return out


@functools.cache
def _resolver_for(directory: str) -> CommunityResolver:
    found = divisions.load(directory)
    lookup: dict[str, str] = {}
    by_name: dict[str, list[str]] = {}
    for community in found.community_by_code.values():
        street = found.street_by_code[community.street_code]
        district = found.district_by_code.get(community.district_code)
        lookup[community.code] = community.code
        lookup[street.name + community.name] = community.code
        if district is not None:
            lookup[district.name + street.name + community.name] = community.code
        by_name.setdefault(community.name, []).append(community.code)
    ambiguous = set()
    for name, codes in by_name.items():
        if len(codes) == 1:
            lookup.setdefault(name, codes[0])
        elif name not in lookup:
            ambiguous.add(name)
    return CommunityResolver(lookup, frozenset(ambiguous))


def community_resolver() -> CommunityResolver:
    """The resolver of the deployment's divisions (``divisions.data_dir()``), built once."""
    return _resolver_for(str(divisions.data_dir()))


# --- Cells ------------------------------------------------------------------------------------


class _CellError(Exception):
    """A cell's problem, raised by the small parsers below and caught per column."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        self.code, self.zh, self.en = code, zh, en


def _text(value: Any) -> str:
    """A cell as text: strings as they are (the shared rules strip them, and refuse control
    characters that ``str.strip`` would silently drop), whole numbers without ``.0`` (a phone
    typed into a number cell: ``13800138000.0``, ``1.38001380e10``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise _CellError("not_text", "应为文字，不能是TRUE/FALSE", "should be text, not TRUE/FALSE")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e18:
            return str(int(value))
        return f"{value:.15g}"
    raise _CellError("not_text", "内容无法识别，应为文字", "cannot be read as text")


def _shown(value: Any) -> str:
    """The cell as a clerk would recognise it, cut to MAX_SHOWN characters."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    elif isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.15g}"
    elif isinstance(value, str | int | bool):
        text = str(value).strip()
    else:
        text = type(value).__name__
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def _masked(kind: str, value: Any) -> str:
    shown = _shown(value)
    if kind == "id_number":
        return mask_id_number(shown)
    if kind == "phone":
        return mask_phone(shown)
    if kind == "name":
        return mask_name(shown)
    if kind == "address":
        return shown[:6] + "****" if len(shown) > 6 else shown
    return shown


def parse_date(value: Any) -> dt.date:
    """A date cell: a calamine date/datetime, or text as 2026-11-30, 2026/11/30, 2026/1/5,
    2026.11.30, 20261130 or 2026年11月30日 (full-width digits too), a time after it ignored;
    a whole number yyyymmdd. Anything else is ``date_format``; an impossible day
    ``date_invalid``; a plain number ``date_is_number`` (a date cell formatted as General)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _date_format()
    if isinstance(value, int | float):
        if (isinstance(value, int) or value.is_integer()) and 19000101 <= value <= 21001231:
            value = str(int(value))
        else:
            raise _CellError(
                "date_is_number",
                "日期被存成了数字，请把本列设置为日期格式，按“2026-11-30”填写",
                "the date is stored as a plain number; format the column as a date and "
                "write it as 2026-11-30",
            )
    text = "".join(value.translate(_FULL_WIDTH).split()) if not value.isascii() else value.strip()
    if len(text) > 40:
        raise _date_format()
    match = (
        _DATE_SEPARATED.fullmatch(text)
        or _DATE_CHINESE.fullmatch(text)
        or _DATE_COMPACT.fullmatch(text)
    )
    if match is None:
        raise _date_format()
    groups = [g for g in match.groups() if g is not None and g not in "-/."]
    try:
        return dt.date(int(groups[0]), int(groups[1]), int(groups[2]))
    except ValueError:
        raise _CellError(
            "date_invalid",
            "日期不存在（如2月30日）",
            "the date does not exist (such as 30 February)",
        ) from None


def _date_format() -> _CellError:
    return _CellError(
        "date_format",
        "日期格式不正确，请按“2026-11-30”填写",
        "the date is not in a known format; write it as 2026-11-30",
    )


def _parse_rooms(value: Any) -> int:
    if isinstance(value, bool):
        raise _rooms_error()
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise _rooms_error()
        number = int(value)
    elif isinstance(value, str):
        match = _ROOMS.fullmatch("".join(value.translate(_FULL_WIDTH).split()))
        if match is None:
            raise _rooms_error()
        number = int(match.group(1))
    else:
        raise _rooms_error()
    if not 1 <= number <= MAX_ROOMS:
        raise _rooms_error()
    return number


def _rooms_error() -> _CellError:
    return _CellError(
        "rooms_invalid",
        f"房间数应为1至{MAX_ROOMS}的整数",
        f"the number of rooms is a whole number from 1 to {MAX_ROOMS}",
    )


def _event_age_years(birth: dt.date, on: dt.date) -> int:
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


# --- The validator ----------------------------------------------------------------------------

_HOUSES_REFUSED_FOR: Final = {
    "employer": (
        "用工单位只报送员工的入职、离职，不报送房屋；出租房屋由房屋出租人、租赁中介或物业报送",
        "an employer reports its workers only; rental houses are reported by the landlord, a "
        "rental agency or the property-management firm",
    )
}
_EVENT_REFUSED_FOR: Final = {
    "employer": (
        "用工单位只报送“入职”“离职”；租客的入住、离开由房屋出租人、租赁中介或物业报送",
        "an employer reports 入职 (hired) and 离职 (left) only; tenants are reported by the "
        "landlord, a rental agency or the property-management firm",
    ),
    "rental_agency": (
        "租赁中介只报送租客的“入住”“离开”；员工的入职、离职由用工单位报送",
        "a rental agency reports tenants' 入住 (moved in) and 离开 (moved out) only; workers "
        "are reported by their employer",
    ),
    "property_management": (
        "物业服务企业只报送租客的“入住”“离开”；员工的入职、离职由用工单位报送",
        "a property-management firm reports tenants' 入住 and 离开 only; workers are reported "
        "by their employer",
    ),
}


class RowValidator:
    """Checks the rows of one file (or API batch) for one organisation.

    ``today`` is the organisation's local date (``timezone.localdate()``); ``community_resolver``
    defaults to :func:`community_resolver`. :meth:`validate` returns the contract row or the
    row's problems, all of them, each column checked independently."""

    def __init__(
        self,
        *,
        organisation_kind: str,
        today: dt.date,
        community_resolver: Callable[[str], str | None] | None = None,
    ) -> None:
        if organisation_kind not in EVENTS_FOR_KIND:
            raise ValueError(f"unknown organisation kind {organisation_kind!r}")
        self.organisation_kind = organisation_kind
        self.today = today
        self._events = frozenset(EVENTS_FOR_KIND[organisation_kind])
        self._sheets = frozenset(SHEETS_FOR_KIND[organisation_kind])
        self._resolve: Callable[[str], str | None] = community_resolver or _default_resolver()
        self._oldest_event = today - dt.timedelta(days=MAX_EVENT_AGE_DAYS)
        self._latest_let_from = today + dt.timedelta(days=MAX_LET_FROM_AHEAD_DAYS)
        self._region_ok: dict[str, bool] = {}
        # (person, event word, date) → first row; (person, date) → first arrival row and a
        # hash of its address. Keys are ints (the ID's 17 digits with the date) to keep 500,000
        # rows within a few dozen MB.
        self._people: dict[int, int] = {}
        self._arrivals: dict[int, int] = {}
        self._houses: dict[str, int] = {}

    # -- the entry point --

    def validate(self, raw: Any) -> PersonReportRow | HouseReportRow | list[RowError]:
        """Check one :class:`~onetrip.portal.reporting.files.RawRow` (or an API item shaped
        like one). Blank text counts as an empty cell."""
        values = raw.values
        odd = False  # a blank or an over-long text cell: rare, so looked at only when present
        for value in values.values():
            if value.__class__ is str and (
                not value or len(value) > MAX_CELL_LENGTH or value.isspace()
            ):
                odd = True
                values = {
                    k: None if isinstance(v, str) and (not v or v.isspace()) else v
                    for k, v in values.items()
                }
                break
        if raw.sheet == "people":
            return self._person(raw.number, values, odd)
        if raw.sheet == "houses":
            return self._house(raw.number, values, odd)
        raise ValueError(f"unknown sheet {raw.sheet!r}")

    # -- helpers --

    def _error(
        self,
        sheet: SheetKey,
        row: int,
        column: Column | None,
        shown: str,
        code: str,
        zh: str,
        en: str,
    ) -> RowError:
        header = column.header if column else ""
        if column is None:
            place_zh = place_en = ""
        elif shown:
            place_zh = f"{header}“{shown}”："
            place_en = f"{header} ({column.key}) “{shown}”: "
        else:
            place_zh = f"{header}："
            place_en = f"{header} ({column.key}): "
        return RowError(
            sheet,
            row,
            header,
            shown,
            code,
            f"第{row}行 {place_zh}{zh}",
            f"Row {row}, {place_en}{en}",
        )

    def _cell_error(
        self,
        sheet: SheetKey,
        row: int,
        column: Column,
        value: Any,
        exc: _CellError | ApplicationError,
    ) -> RowError:
        if isinstance(exc, _CellError):
            code, zh, en = exc.code, exc.zh, exc.en
        else:
            code, zh, en = exc.code, exc.message_zh, exc.message_en
        return self._error(sheet, row, column, _masked(column.kind, value), code, zh, en)

    def _required(self, sheet: SheetKey, row: int, column: Column) -> RowError:
        return self._error(
            sheet,
            row,
            column,
            "",
            "required",
            f"必须填写{column.header}",
            f"{column.header} ({column.key}) is required",
        )

    def _check_long(
        self, sheet: SheetKey, row: int, columns: tuple[Column, ...], values: dict[str, Any]
    ) -> list[RowError]:
        errors = []
        for column in columns:
            value = values.get(column.key)
            if isinstance(value, str) and len(value) > MAX_CELL_LENGTH:
                errors.append(
                    self._error(
                        sheet,
                        row,
                        column,
                        _masked(column.kind, value),
                        "cell_too_long",
                        f"内容超过{MAX_CELL_LENGTH}个字",
                        f"the cell holds more than {MAX_CELL_LENGTH} characters",
                    )
                )
        return errors

    def _resident_id(self, value: Any) -> ResidentId:
        """Parse with the shared validator; its region look-up cached per code."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise _CellError(
                "id_number_as_number",
                "身份证号码被Excel存成了数字，后几位已经丢失；请把本列设置为“文本”格式后重新填写",
                "Excel stored the ID number as a number and its last digits are lost; format the "
                "column as text and type the numbers again",
            )
        text = _text(value)
        if ("e" in text or "E" in text or "ｅ" in text or "Ｅ" in text) and _SCIENTIFIC.fullmatch(
            "".join(text.translate(_FULL_WIDTH).split())
        ):
            raise _CellError(
                "id_number_as_number",
                "身份证号码以科学计数法保存（如3.30106E+17），后几位已经丢失；请把本列设置为“文本”格式后重新填写",
                "the ID number was saved in scientific notation (3.30106E+17) and its last digits "
                "are lost; format the column as text and type the numbers again",
            )
        try:
            resident = parse_resident_id(text, today=self.today, check_region=False)
        except IdentifierError as exc:
            normal = "".join(text.translate(_FULL_WIDTH).split()).upper()
            if exc.code == "id_check_digit" and normal.endswith("000"):
                raise _CellError(
                    "id_number_truncated",
                    "身份证号码后三位是000，校验位不正确：多半是Excel把号码当成数字保存、丢失了后几位；"
                    "请把本列设置为“文本”格式后重新填写",
                    "the ID number ends in 000 and its check character is wrong: Excel probably "
                    "stored it as a number and lost the last digits; format the column as text "
                    "and type it again",
                ) from None
            raise
        region = resident.region_code
        known = self._region_ok.get(region)
        if known is None:
            known = self._region_ok[region] = region_code_ever_existed(region)
        if not known:
            raise IdentifierError(
                "id_region_unknown",
                "身份证号码前6位不是有效的行政区划代码",
                "The first six digits of the ID number are not a known division code",
            )
        return resident

    def _community(self, value: Any) -> str:
        text = _text(value)
        code = self._resolve(text)
        if code is not None:
            return code
        resolver = self._resolve
        if isinstance(resolver, CommunityResolver) and resolver.is_ambiguous(text):
            raise _CellError(
                "community_ambiguous",
                "本市有不止一个同名的社区（村），请写明街道或乡镇，如“XX街道XX社区”，或填写12位社区代码",
                "more than one community (village) in the city has this name; add the street or "
                "town (XX街道XX社区) or use the 12-digit community code",
            )
        raise _CellError(
            "community_unknown",
            "不是本市的社区；请填写12位社区代码、“XX街道XX社区”，或从模板的下拉列表中选择",
            "is not a community of the city; write the 12-digit community code or "
            "XX街道XX社区, or pick it from the template's drop-down list",
        )

    def _address(self, value: Any, column: Column) -> str:
        text = _clean_text(_text(value), column, label_en="address", max_length=200, required=True)
        if not _ADDRESS_NUMBER.search(text):
            raise _CellError(
                "address_not_precise",
                "详细地址应写到门牌号和房间号，如“保俶路12号3幢2单元501室”",
                "the address must go down to the house and room number, such as "
                "保俶路12号3幢2单元501室",
            )
        return text

    def _ref(self, value: Any, column: Column) -> str:
        return _clean_text(
            _text(value), column, label_en="house reference", max_length=40, required=False
        )

    def _phone(self, value: Any) -> str:
        return normalize_mobile(_text(value))

    # -- people --

    def _person(
        self, row: int, values: dict[str, Any], odd: bool
    ) -> PersonReportRow | list[RowError]:
        sheet: SheetKey = "people"
        errors = self._check_long(sheet, row, PEOPLE.columns, values) if odd else []
        if errors:
            return errors
        get = values.get
        cols = _PEOPLE_COLUMNS

        event = relation = None
        value = get("event")
        word = value if value.__class__ is str else ""
        mapped = EVENTS.get(word)
        if mapped is None and value is not None:
            word = "".join(_text_or_blank(value).translate(_FULL_WIDTH).split())
            mapped = EVENTS.get(word)
        if value is None:
            errors.append(self._required(sheet, row, cols["event"]))
        elif mapped is None:
            errors.append(
                self._error(
                    sheet,
                    row,
                    cols["event"],
                    _shown(value),
                    "event_unknown",
                    "事件应为“入住”“离开”“入职”或“离职”之一",
                    "the event is one of 入住, 离开, 入职 or 离职",
                )
            )
        elif word not in self._events:
            zh, en = _EVENT_REFUSED_FOR[self.organisation_kind]
            errors.append(self._error(sheet, row, cols["event"], word, "event_not_allowed", zh, en))
        else:
            event, relation = mapped

        name = self._name(sheet, row, cols["name"], get("name"), errors)

        resident: ResidentId | None = None
        value = get("id_number")
        if value is None:
            errors.append(self._required(sheet, row, cols["id_number"]))
        else:
            try:
                resident = self._resident_id(value)
            except (_CellError, ApplicationError) as exc:
                errors.append(self._cell_error(sheet, row, cols["id_number"], value, exc))

        phone = self._optional_phone(sheet, row, cols["phone"], get("phone"), errors)

        event_date = self._required_date(sheet, row, cols["event_date"], get("event_date"), errors)
        if event_date is not None and not self._oldest_event <= event_date <= self.today:
            errors.append(self._event_date_error(sheet, row, event_date))
            event_date = None

        if resident is not None and event_date is not None:
            birth = resident.birth_date
            if birth > event_date:
                errors.append(
                    self._error(
                        sheet,
                        row,
                        cols["event_date"],
                        event_date.isoformat(),
                        "date_before_birth",
                        "日期早于身份证号码中的出生日期，请核对",
                        "the date is before the birth date in the ID number; please check",
                    )
                )
            else:
                age = event_date.year - birth.year
                if (event_date.month, event_date.day) < (birth.month, birth.day):
                    age -= 1
                if age > MAX_AGE:
                    errors.append(self._age_error(sheet, row, cols["id_number"], resident))
                elif relation == "employee" and age < MIN_EMPLOYEE_AGE:
                    errors.append(self._under_age_error(sheet, row, resident))

        community = self._required_community(
            sheet, row, cols["community"], get("community"), errors
        )
        address = self._required_address(
            sheet, row, cols["address_detail"], get("address_detail"), errors
        )

        house_ref = ""
        value = get("house_ref")
        if value is not None:
            try:
                house_ref = self._ref(value, cols["house_ref"])
            except (_CellError, ApplicationError) as exc:
                errors.append(self._cell_error(sheet, row, cols["house_ref"], value, exc))

        if errors:
            return errors
        assert resident is not None and event_date is not None and event is not None
        assert community is not None and address is not None and name is not None

        number = resident.number
        person = int(number[:17]) * 1_000_000 + event_date.toordinal()
        where = hash((community, address)) & 0xFFFFFFFF
        if event == "arrived":
            seen = self._arrivals.get(person)
            if seen is not None and seen & 0xFFFFFFFF != where:
                return [self._conflict_error(sheet, row, seen >> 32, address)]
        key = person * 4 + _EVENT_INDEX[word]
        first_row = self._people.get(key)
        if first_row is not None:
            return [
                self._error(
                    sheet,
                    row,
                    cols["id_number"],
                    mask_id_number(number),
                    "duplicate_person_event",
                    f"与第{first_row}行重复：同一人、同一事件、同一日期报送了两次",
                    f"duplicates row {first_row}: the same person, event and date reported twice",
                )
            ]
        try:
            result = PersonReportRow.model_validate(
                {
                    "row": row,
                    "event": event,
                    "relation": relation,
                    "name": name,
                    "id_number": number,
                    "phone": phone,
                    "event_date": event_date,
                    "community_code": community,
                    "address_detail": address,
                    "house_ref": house_ref,
                }
            )
        except ValueError as exc:  # a constraint the checks above missed: a bug, one row only
            return [self._row_invalid(sheet, row, exc)]
        self._people[key] = row
        if event == "arrived":
            self._arrivals.setdefault(person, (row << 32) | where)
        return result

    def _event_date_error(self, sheet: SheetKey, row: int, event_date: dt.date) -> RowError:
        column = _PEOPLE_COLUMNS["event_date"]
        if event_date > self.today:
            return self._error(
                sheet,
                row,
                column,
                event_date.isoformat(),
                "date_in_future",
                "日期晚于今天，请核对",
                "the date is after today; please check it",
            )
        return self._error(
            sheet,
            row,
            column,
            event_date.isoformat(),
            "date_too_old",
            "日期早于一年前，请核对年份；更早的情况请到辖区派出所办理",
            "the date is more than a year ago; check the year — older facts are reported at "
            "the local police station",
        )

    def _under_age_error(self, sheet: SheetKey, row: int, resident: ResidentId) -> RowError:
        return self._error(
            sheet,
            row,
            _PEOPLE_COLUMNS["id_number"],
            mask_id_number(resident.number),
            "employee_under_16",
            f"按身份证号码，此人入职时未满{MIN_EMPLOYEE_AGE}周岁，不得招用；请核对身份证号码",
            f"by the ID number this person was under {MIN_EMPLOYEE_AGE} when hired, which the "
            "Labour Law forbids; please check the ID number",
        )

    def _conflict_error(self, sheet: SheetKey, row: int, first: int, address: str) -> RowError:
        return self._error(
            sheet,
            row,
            _PEOPLE_COLUMNS["address_detail"],
            _masked("address", address),
            "arrival_conflict",
            f"同一人同一天在第{first}行登记到了另一个地址，请核对是哪一个",
            f"row {first} reports this person arriving at another address on the same day; "
            "check which one is right",
        )

    def _row_invalid(self, sheet: SheetKey, row: int, exc: Exception) -> RowError:
        return self._error(
            sheet,
            row,
            None,
            "",
            "row_invalid",
            "该行无法读取",
            f"the row cannot be read ({exc.__class__.__name__})",
        )

    def _age_error(
        self, sheet: SheetKey, row: int, column: Column, resident: ResidentId
    ) -> RowError:
        return self._error(
            sheet,
            row,
            column,
            mask_id_number(resident.number),
            "age_implausible",
            f"按身份证号码此人超过{MAX_AGE}周岁，请核对身份证号码",
            f"by the ID number this person is over {MAX_AGE}; please check the ID number",
        )

    def _name(
        self, sheet: SheetKey, row: int, column: Column, value: Any, errors: list[RowError]
    ) -> str | None:
        if value is None:
            errors.append(self._required(sheet, row, column))
            return None
        if value.__class__ is str and _PLAIN_HAN_NAME.fullmatch(value):
            return str(value)  # what clean_person_name returns for 2-30 Han characters
        try:
            return clean_person_name(_text(value), field=column.key, label_zh=column.header)
        except (_CellError, ApplicationError) as exc:
            errors.append(self._cell_error(sheet, row, column, value, exc))
            return None

    def _optional_phone(
        self, sheet: SheetKey, row: int, column: Column, value: Any, errors: list[RowError]
    ) -> str:
        if value is None:
            return ""
        try:
            return self._phone(value)
        except (_CellError, ApplicationError) as exc:
            errors.append(self._cell_error(sheet, row, column, value, exc))
            return ""

    def _required_community(
        self, sheet: SheetKey, row: int, column: Column, value: Any, errors: list[RowError]
    ) -> str | None:
        if value is None:
            errors.append(self._required(sheet, row, column))
            return None
        try:
            return self._community(value)
        except _CellError as exc:
            errors.append(self._cell_error(sheet, row, column, value, exc))
            return None

    def _required_address(
        self, sheet: SheetKey, row: int, column: Column, value: Any, errors: list[RowError]
    ) -> str | None:
        if value is None:
            errors.append(self._required(sheet, row, column))
            return None
        try:
            return self._address(value, column)
        except (_CellError, ApplicationError) as exc:
            errors.append(self._cell_error(sheet, row, column, value, exc))
            return None

    def _required_date(
        self, sheet: SheetKey, row: int, column: Column, value: Any, errors: list[RowError]
    ) -> dt.date | None:
        if value is None:
            errors.append(self._required(sheet, row, column))
            return None
        try:
            return parse_date(value)
        except _CellError as exc:
            errors.append(self._cell_error(sheet, row, column, value, exc))
            return None

    # -- houses --

    def _house(
        self, row: int, values: dict[str, Any], odd: bool
    ) -> HouseReportRow | list[RowError]:
        sheet: SheetKey = "houses"
        if "houses" not in self._sheets:
            zh, en = _HOUSES_REFUSED_FOR[self.organisation_kind]
            return [self._error(sheet, row, None, "", "houses_not_allowed", zh, en)]
        errors = self._check_long(sheet, row, HOUSES.columns, values) if odd else []
        if errors:
            return errors
        cols = _HOUSE_COLUMNS

        house_ref: str | None = None
        value = values.get("house_ref")
        if value is None:
            errors.append(self._required(sheet, row, cols["house_ref"]))
        else:
            try:
                house_ref = self._ref(value, cols["house_ref"]) or None
            except (_CellError, ApplicationError) as exc:
                errors.append(self._cell_error(sheet, row, cols["house_ref"], value, exc))

        community = self._required_community(
            sheet, row, cols["community"], values.get("community"), errors
        )
        address = self._required_address(
            sheet, row, cols["address_detail"], values.get("address_detail"), errors
        )
        owner_name = self._name(sheet, row, cols["owner_name"], values.get("owner_name"), errors)

        owner: ResidentId | None = None
        value = values.get("owner_id_number")
        if value is None:
            errors.append(self._required(sheet, row, cols["owner_id_number"]))
        else:
            try:
                owner = self._resident_id(value)
            except (_CellError, ApplicationError) as exc:
                errors.append(self._cell_error(sheet, row, cols["owner_id_number"], value, exc))
            else:
                if _event_age_years(owner.birth_date, self.today) > MAX_AGE:
                    errors.append(self._age_error(sheet, row, cols["owner_id_number"], owner))
                    owner = None

        owner_phone = self._optional_phone(
            sheet, row, cols["owner_phone"], values.get("owner_phone"), errors
        )

        rooms: int | None = None
        value = values.get("rooms")
        if value is None:
            errors.append(self._required(sheet, row, cols["rooms"]))
        else:
            try:
                rooms = _parse_rooms(value)
            except _CellError as exc:
                errors.append(self._cell_error(sheet, row, cols["rooms"], value, exc))

        let_from = self._required_date(sheet, row, cols["let_from"], values.get("let_from"), errors)
        if let_from is not None and not MIN_LET_FROM <= let_from <= self._latest_let_from:
            errors.append(
                self._error(
                    sheet,
                    row,
                    cols["let_from"],
                    let_from.isoformat(),
                    "let_from_out_of_range",
                    f"出租起始日期应在{MIN_LET_FROM.year}年以后，且不晚于{MAX_LET_FROM_AHEAD_DAYS}天之后",
                    f"the letting start is after {MIN_LET_FROM.year} and at most "
                    f"{MAX_LET_FROM_AHEAD_DAYS} days ahead",
                )
            )
            let_from = None

        let_until: dt.date | None = None
        value = values.get("let_until")
        if value is not None:
            try:
                let_until = parse_date(value)
            except _CellError as exc:
                errors.append(self._cell_error(sheet, row, cols["let_until"], value, exc))
            else:
                if let_from is not None and let_until < let_from:
                    errors.append(
                        self._error(
                            sheet,
                            row,
                            cols["let_until"],
                            let_until.isoformat(),
                            "let_until_before_from",
                            "出租截止日期早于出租起始日期",
                            "the letting end is before its start",
                        )
                    )
                elif let_from is not None and let_until > _add_years(let_from, MAX_LEASE_YEARS):
                    errors.append(
                        self._error(
                            sheet,
                            row,
                            cols["let_until"],
                            let_until.isoformat(),
                            "lease_too_long",
                            f"租期超过{MAX_LEASE_YEARS}年（《民法典》第七百零五条：租赁期限不得超过二十年）",
                            f"the lease is longer than {MAX_LEASE_YEARS} years "
                            "(Civil Code Art. 705)",
                        )
                    )

        if errors:
            return errors
        assert house_ref is not None and community is not None and address is not None
        assert owner_name is not None and owner is not None and rooms is not None
        assert let_from is not None

        first_row = self._houses.get(house_ref)
        if first_row is not None:
            return [
                self._error(
                    sheet,
                    row,
                    cols["house_ref"],
                    house_ref,
                    "duplicate_house",
                    f"房屋编号与第{first_row}行重复，每套房屋只填一行",
                    f"the house reference duplicates row {first_row}; one row per house",
                )
            ]
        try:
            result = HouseReportRow.model_validate(
                {
                    "row": row,
                    "house_ref": house_ref,
                    "community_code": community,
                    "address_detail": address,
                    "owner_name": owner_name,
                    "owner_id_number": owner.number,
                    "owner_phone": owner_phone,
                    "rooms": rooms,
                    "let_from": let_from,
                    "let_until": let_until,
                }
            )
        except ValueError as exc:
            return [self._row_invalid(sheet, row, exc)]
        self._houses[house_ref] = row
        return result


#: A name :func:`~onetrip.common.text.clean_person_name` returns unchanged: 2 to 30 Han
#: characters and nothing else.
_PLAIN_HAN_NAME: Final = re.compile(r"[\u4e00-\u9fff]{2,30}")
#: Text that :func:`~onetrip.common.text.clean_text` certainly accepts as it is (Han characters,
#: ASCII letters, digits and a little punctuation): checked with one regex instead of a
#: character-by-character category look-up, which costs 3 µs for an address.
_PLAIN_TEXT: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff0-9A-Za-z #()\-·,.、/]*")


def _clean_text(
    value: str, column: Column, *, label_en: str, max_length: int, required: bool
) -> str:
    """:func:`~onetrip.common.text.clean_text` after full-width forms became ASCII; plain text
    takes a shortcut with the same result, anything else (and every refusal) the shared rule."""
    text = value
    plain = _PLAIN_TEXT.fullmatch(text) is not None
    if not plain:
        text = value.translate(_FULL_WIDTH)
        plain = _PLAIN_TEXT.fullmatch(text) is not None
    if plain:
        folded = " ".join(text.split())
        if (folded or not required) and len(folded) <= max_length:
            return folded
    return clean_text(
        text,
        field=column.key,
        label_zh=column.header,
        label_en=label_en,
        max_length=max_length,
        required=required,
    )


def _text_or_blank(value: Any) -> str:
    try:
        return _text(value)
    except _CellError:
        return ""


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _default_resolver() -> Callable[[str], str | None]:
    return community_resolver()


_PEOPLE_COLUMNS: Final = {c.key: c for c in PEOPLE.columns}
_HOUSE_COLUMNS: Final = {c.key: c for c in HOUSES.columns}
_EVENT_INDEX: Final = {word: index for index, word in enumerate(EVENTS)}

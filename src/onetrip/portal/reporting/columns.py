"""The two sheets an organisation fills in — 人员 (people) and 房屋 (houses) — and their columns,
in one place: the template, the file reader, the row validator and the error report all read them
from here, so a header, a required flag or an event word is never spelled twice.

Header matching is forgiving in one direction only: a header cell matches a column when, after
full-width forms become ASCII, every white space (U+3000 included) is removed and Latin letters
are lower-cased, it equals the column's Chinese header, its English key, or one of a few
spellings clerks' own spreadsheets use (``身份证号码`` for ``公民身份号码``). A trailing ``*`` or
``（必填）``/``（选填）`` marker is ignored, because clerks copy headers from printed forms. Nothing
else is guessed: an unknown header is an extra column and is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

SheetKey = Literal["people", "houses"]
CellKind = Literal[
    "event", "name", "id_number", "phone", "date", "community", "address", "ref", "rooms"
]


@dataclass(frozen=True)
class Column:
    """One column of a sheet.

    ``header`` is the exact Chinese header of the template (plain ``str``: it is compared and
    written into files); ``label`` is the same words for display in the active language.
    ``kind`` tells the template how to format the column (text, date, whole number) and the
    validator which check applies."""

    key: str
    header: str
    label: Promise
    required: bool
    kind: CellKind
    help_zh: str
    example: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sheet:
    """One sheet of the template; a CSV file holds exactly one of them."""

    key: SheetKey
    title: str
    label: Promise
    columns: tuple[Column, ...]

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)


# --- 事件 (event): the four words a clerk may write ----------------------------------------------

#: The word in the 事件 column → (event, relation) of the contract's ``PersonReportRow``:
#: 入住/离开 a tenant moving in and out (ZJ-7…ZJ-9), 入职/离职 a worker hired and leaving (ZJ-6).
EVENTS: Final[dict[str, tuple[Literal["arrived", "left"], Literal["employee", "tenant"]]]] = {
    "入住": ("arrived", "tenant"),
    "离开": ("left", "tenant"),
    "入职": ("arrived", "employee"),
    "离职": ("left", "employee"),
}

#: Which events and sheets each kind of organisation reports. Employers report the workers they
#: hire and who leave (ZJ-6); rental agencies and property-management firms report tenants and the
#: rental houses they let or manage (ZJ-7…ZJ-9). A job intermediary's employer/employee matches
#: (ZJ-9) are reported by the employer itself in this model.
EVENTS_FOR_KIND: Final[dict[str, tuple[str, ...]]] = {
    "employer": ("入职", "离职"),
    "rental_agency": ("入住", "离开"),
    "property_management": ("入住", "离开"),
}
SHEETS_FOR_KIND: Final[dict[str, tuple[SheetKey, ...]]] = {
    "employer": ("people",),
    "rental_agency": ("people", "houses"),
    "property_management": ("people", "houses"),
}

# --- The sheets -------------------------------------------------------------------------------

COMMUNITY_HELP = "12位社区代码，或“XX街道XX社区”，或本市唯一的社区名称；可从下拉列表选择"

PEOPLE: Final = Sheet(
    key="people",
    title="人员",
    label=gettext_lazy("人员"),
    columns=(
        Column(
            "event",
            "事件",
            gettext_lazy("事件"),
            True,
            "event",
            "入住、离开（租客）或入职、离职（员工），从下拉列表选择",
            "入职",
        ),
        Column("name", "姓名", gettext_lazy("姓名"), True, "name", "与身份证一致", "张三"),
        Column(
            "id_number",
            "公民身份号码",
            gettext_lazy("公民身份号码"),
            True,
            "id_number",
            "18位，末位X可大写或小写；请保持本列为文本格式",
            "33010619900101123X",
            aliases=("身份证号码", "身份证号", "身份证"),
        ),
        Column(
            "phone",
            "手机号码",
            gettext_lazy("手机号码"),
            False,
            "phone",
            "选填，11位中国大陆手机号码",
            "13800138000",
            aliases=("手机号", "联系电话", "电话"),
        ),
        Column(
            "event_date",
            "日期",
            gettext_lazy("日期"),
            True,
            "date",
            "入住、离开、入职或离职的日期，如2026-11-30；不能晚于今天，也不能早于一年前",
            "2026-11-30",
        ),
        Column(
            "community",
            "社区",
            gettext_lazy("社区"),
            True,
            "community",
            COMMUNITY_HELP,
            "北山街道北山社区",
        ),
        Column(
            "address_detail",
            "详细地址",
            gettext_lazy("详细地址"),
            True,
            "address",
            "写到门牌号和房间号，如“保俶路12号3幢2单元501室”",
            "保俶路12号3幢2单元501室",
            aliases=("居住地址", "地址"),
        ),
        Column(
            "house_ref",
            "房屋编号",
            gettext_lazy("房屋编号"),
            False,
            "ref",
            "选填，本单位自己的房屋编号，与“房屋”表一致",
            "BS-0012",
        ),
    ),
)

HOUSES: Final = Sheet(
    key="houses",
    title="房屋",
    label=gettext_lazy("房屋"),
    columns=(
        Column(
            "house_ref",
            "房屋编号",
            gettext_lazy("房屋编号"),
            True,
            "ref",
            "本单位自己的房屋编号，每套房屋一个，不得重复",
            "BS-0012",
        ),
        Column(
            "community",
            "社区",
            gettext_lazy("社区"),
            True,
            "community",
            COMMUNITY_HELP,
            "北山街道北山社区",
        ),
        Column(
            "address_detail",
            "详细地址",
            gettext_lazy("详细地址"),
            True,
            "address",
            "写到门牌号和房间号",
            "保俶路12号3幢2单元501室",
            aliases=("房屋地址", "地址"),
        ),
        Column(
            "owner_name", "房主姓名", gettext_lazy("房主姓名"), True, "name", "与身份证一致", "李四"
        ),
        Column(
            "owner_id_number",
            "房主公民身份号码",
            gettext_lazy("房主公民身份号码"),
            True,
            "id_number",
            "18位；请保持本列为文本格式",
            "330103198512310027",
            aliases=("房主身份证号码", "房主身份证号"),
        ),
        Column(
            "owner_phone",
            "房主手机号码",
            gettext_lazy("房主手机号码"),
            False,
            "phone",
            "选填，11位中国大陆手机号码",
            "13900139000",
            aliases=("房主手机号", "房主电话"),
        ),
        Column("rooms", "房间数", gettext_lazy("房间数"), True, "rooms", "整数，1至999", "3"),
        Column(
            "let_from",
            "出租起始日期",
            gettext_lazy("出租起始日期"),
            True,
            "date",
            "如2026-01-01",
            "2026-01-01",
        ),
        Column(
            "let_until",
            "出租截止日期",
            gettext_lazy("出租截止日期"),
            False,
            "date",
            "选填；不早于起始日期，租期不超过20年",
            "2027-12-31",
        ),
    ),
)

SHEETS: Final[tuple[Sheet, ...]] = (PEOPLE, HOUSES)
SHEET_BY_KEY: Final[dict[str, Sheet]] = {s.key: s for s in SHEETS}

# --- Header matching --------------------------------------------------------------------------

_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_MARKERS: Final = ("(必填)", "(选填)", "(可选)", "*")


def normalize_header(value: object) -> str:
    """A header cell as compared: full-width forms as ASCII, no white space at all, Latin letters
    lower-cased, a trailing required/optional marker dropped. Non-text cells give ``""``."""
    if not isinstance(value, str):
        return ""
    text = "".join(value.translate(_FULL_WIDTH).split()).lower()
    for marker in _MARKERS:
        if text.endswith(marker):
            text = text[: -len(marker)]
    return text


def _spellings(sheet: Sheet) -> dict[str, str]:
    out: dict[str, str] = {}
    for column in sheet.columns:
        for spelling in (column.header, column.key, *column.aliases):
            out[normalize_header(spelling)] = column.key
    return out


_SPELLINGS: Final[dict[str, dict[str, str]]] = {s.key: _spellings(s) for s in SHEETS}
_TITLES: Final[dict[str, SheetKey]] = {
    normalize_header(spelling): s.key for s in SHEETS for spelling in (s.title, s.key)
}


def sheet_for_title(title: str) -> Sheet | None:
    """The sheet a workbook tab is named after (``人员``, ``房屋``, or the English key)."""
    key = _TITLES.get(normalize_header(title))
    return SHEET_BY_KEY[key] if key else None


@dataclass(frozen=True)
class HeaderMatch:
    """How one header row maps onto a sheet: cell position → column key, plus what is wrong."""

    sheet: Sheet
    positions: dict[int, str]
    missing: tuple[Column, ...]
    duplicated: tuple[Column, ...]


def match_header(cells: Sequence[object], sheet: Sheet) -> HeaderMatch:
    """Map a header row onto ``sheet``'s columns. Unknown headers are extra columns (ignored)."""
    spellings = _SPELLINGS[sheet.key]
    positions: dict[int, str] = {}
    seen: dict[str, int] = {}
    duplicated: list[Column] = []
    for index, cell in enumerate(cells):
        key = spellings.get(normalize_header(cell))
        if key is None:
            continue
        if key in seen:
            column = sheet.column(key)
            if column not in duplicated:
                duplicated.append(column)
            continue
        seen[key] = index
        positions[index] = key
    missing = tuple(c for c in sheet.required if c.key not in seen)
    return HeaderMatch(sheet, positions, missing, tuple(duplicated))


def recognise_header(
    cells: Sequence[object], sheets: Iterable[Sheet] = SHEETS
) -> HeaderMatch | None:
    """The sheet whose headers this row holds, when at least half of that sheet's required
    columns are there (so a title row such as ``XX公司员工入职登记`` or a data row is not taken
    for a header); of several, the one with more matching columns. ``None`` if none fits."""
    best: HeaderMatch | None = None
    best_score = 0
    for sheet in sheets:
        found = match_header(cells, sheet)
        required_found = len(sheet.required) - len(found.missing)
        if required_found * 2 < len(sheet.required):
            continue
        score = len(found.positions)
        if score > best_score:
            best, best_score = found, score
    return best

"""Writes for stations and windows: loading the reference files, the station admin's edits of a
window and its capacity calendar, and publishing both to the portal over the ferry.

The police zone owns the window directory and the calendars (DESIGN §7); every change, whether
from the reference files or from the workbench, is checked by the same rules here
(`window_clean`, `calendar_clean`) and published as whole snapshots (`window.published` before
`window.calendar`) in the transaction of the change.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, get_args

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.utils import timezone

from onetrip.common import divisions
from onetrip.common.db import atomic_for
from onetrip.common.errors import ApplicationError, FieldError
from onetrip.common.text import clean_text
from onetrip.contracts.base import Contract
from onetrip.contracts.booking import (
    BookingService,
    ClosureV1,
    OpeningHoursV1,
    WindowCalendarV1,
    WindowPublishedV1,
    WorkdayV1,
)
from onetrip.ferry.agent.outbox import emit
from onetrip.police.accounts.models import Role
from onetrip.police.accounts.selectors import staff_profile
from onetrip.police.audit.services import audit_record

from .errors import ReferenceDataError, WindowError, WindowInvalid
from .models import Station, StationStreet, Window, WindowCalendar
from .selectors import window_get_for_staff

logger = logging.getLogger(__name__)

PACKAGED_DIR = Path(__file__).resolve().parent / "data"
STATION_FILE = "stations.csv"
COVERAGE_FILE = "station_streets.csv"
WINDOW_FILE = "windows.csv"
CALENDAR_FILE = "window_calendars.csv"
HOLIDAY_FILE = "holidays.csv"
WINDOW_COLUMNS = (
    "code",
    "station_code",
    "name",
    "address",
    "phone",
    "opening_hours",
    "latitude",
    "longitude",
    "active",
    "street_code",
    "counters",
    "lunch_starts",
    "lunch_ends",
    "services",
)
CALENDAR_COLUMNS = (
    "window_code",
    "slot_minutes",
    "counters_per_slot",
    "horizon_days",
    "min_notice_minutes",
    "online_quota_per_day",
    "hours",
)


@dataclass
class LoadCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class LoadReport:
    directory: Path
    stations: LoadCounts = field(default_factory=LoadCounts)
    streets: LoadCounts = field(default_factory=LoadCounts)
    windows: LoadCounts = field(default_factory=LoadCounts)
    calendars: LoadCounts = field(default_factory=LoadCounts)
    uncovered_streets: list[str] = field(default_factory=list)
    # Messages queued for the portal (window snapshots and calendars).
    published: int = 0

    @property
    def changed(self) -> bool:
        return any(
            c.created or c.updated
            for c in (self.stations, self.streets, self.windows, self.calendars)
        )


def _bad(file: str, line: int, zh: str, en: str) -> ReferenceDataError:
    return ReferenceDataError(
        "reference_invalid", f"{file} 第{line}行: {zh}", f"{file} line {line}: {en}"
    )


def _read(directory: Path, name: str, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV file with their line numbers; lines starting with "#" before the header
    are comments (where a file says where its data come from)."""
    path = directory / name
    if not path.is_file():
        raise ReferenceDataError(
            "reference_missing", f"找不到文件 {path}", f"File not found: {path}"
        )
    with path.open(encoding="utf-8-sig", newline="") as f:
        lines = f.read().splitlines(keepends=True)
    skipped = 0
    while skipped < len(lines) and lines[skipped].startswith("#"):
        skipped += 1
    reader = csv.DictReader(lines[skipped:])
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise ReferenceDataError(
            "reference_columns",
            f"{name} 缺少列 {', '.join(missing)}",
            f"{name} lacks columns {', '.join(missing)}",
        )
    return [
        (n, {k: (v or "").strip() for k, v in row.items() if k is not None})
        for n, row in enumerate(reader, start=2 + skipped)
    ]


def _coordinate(file: str, line: int, value: str) -> Decimal | None:
    if not value:
        return None
    try:
        return Decimal(value).quantize(Decimal("0.000001"))
    except InvalidOperation:
        raise _bad(file, line, f"坐标无效 {value!r}", f"invalid coordinate {value!r}") from None


def _upsert(
    model: type[models.Model],
    key: dict[str, Any],
    values: dict[str, Any],
    counts: LoadCounts,
    existing: Mapping[Any, Any] | None = None,
) -> tuple[Any, list[str] | None]:
    """The row and the names of the fields written (None when it was created). `existing`,
    the table's rows read once by their one key field, saves a query per row."""
    if existing is None:
        obj = model._default_manager.filter(**key).first()
    else:
        [key_value] = key.values()
        obj = existing.get(key_value)
    if obj is None:
        counts.created += 1
        return model._default_manager.create(**key, **values), None
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
        counts.updated += 1
    else:
        counts.unchanged += 1
    return obj, changed


def _bad_problems(file: str, line: int, exc: WindowInvalid) -> ReferenceDataError:
    return _bad(
        file,
        line,
        "；".join(e.message_zh for e in exc.errors),
        "; ".join(e.message_en for e in exc.errors),
    )


def _hours_from_text(file: str, line: int, text: str) -> list[dict[str, str | int]]:
    """Weekly hours as the reference file writes them: "0-4 08:30-17:00;5 09:00-12:00"
    (weekdays 0 = Monday, a range or one day, then the hours)."""
    hours: list[dict[str, str | int]] = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        match = re.fullmatch(r"([0-6])(?:-([0-6]))?\s+(\d{1,2}:\d{2})-(\d{1,2}:\d{2})", part)
        if match is None:
            raise _bad(
                file,
                line,
                f"办公时间 {part!r} 格式应为 0-4 08:30-17:00",
                f"hours {part!r} should read like 0-4 08:30-17:00",
            )
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        for weekday in range(first, last + 1):
            hours.append({"weekday": weekday, "opens": match.group(3), "closes": match.group(4)})
    return hours


def _holidays(root: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """The city's public holidays and make-up working days (调休), for every calendar."""
    holidays: list[str] = []
    workdays: list[dict[str, Any]] = []
    for line, row in _read(root, HOLIDAY_FILE, ("date", "kind", "as_weekday")):
        if row["kind"] == "holiday":
            holidays.append(row["date"])
        elif row["kind"] == "workday":
            workdays.append({"date": row["date"], "as_weekday": row["as_weekday"]})
        else:
            raise _bad(
                HOLIDAY_FILE,
                line,
                "kind 应为 holiday 或 workday",
                "kind must be holiday or workday",
            )
    return holidays, workdays


def reference_load(*, directory: Path | str | None = None) -> LoadReport:
    """Load stations, the streets they cover, their windows and the windows' capacity calendars
    from the reference files, idempotently, and publish what changed to the portal.

    ``directory`` holds ``stations.csv``, ``station_streets.csv``, ``windows.csv``,
    ``window_calendars.csv`` and ``holidays.csv`` (the city's public holidays and 调休 days,
    put on every calendar); the default is the generated Hangzhou demo data packaged with
    OneTrip. Rows are matched by code and only changed fields are written, so loading the same
    files twice changes and publishes nothing. Every file is validated against the city's
    divisions (:mod:`onetrip.common.divisions`) and each window and calendar by the workbench's
    own rules (`window_clean`, `calendar_clean`) before anything is written, and the whole load
    is one transaction, messages included: a bad file leaves the database untouched.
    Rows missing from the files are left alone (a deployment retires a window by ``active=0``);
    a calendar's one-off closures are the station admin's and the files never touch them.
    """
    root = Path(directory) if directory else PACKAGED_DIR
    city = divisions.load()
    station_rows = _read(
        root, STATION_FILE, ("code", "name", "branch_name", "district_code", "phone", "address")
    )
    coverage_rows = _read(root, COVERAGE_FILE, ("station_code", "street_code"))
    window_rows = _read(root, WINDOW_FILE, WINDOW_COLUMNS)
    calendar_rows = _read(root, CALENDAR_FILE, CALENDAR_COLUMNS)
    holidays, workdays = _holidays(root)

    station_codes: set[str] = set()
    for line, row in station_rows:
        if not row["code"] or not row["name"] or not row["branch_name"]:
            raise _bad(
                STATION_FILE, line, "代码、名称、签发机关必填", "code, name, branch required"
            )
        district = city.district_by_code.get(row["district_code"])
        if district is None or not district.current:
            raise _bad(
                STATION_FILE,
                line,
                f"区县代码 {row['district_code']} 不是现行区县",
                f"district {row['district_code']} is not a current district",
            )
        if row["code"] in station_codes:
            raise _bad(STATION_FILE, line, "派出所代码重复", "duplicate station code")
        station_codes.add(row["code"])
    known_stations = station_codes | set(Station.objects.values_list("code", flat=True))

    covered: set[str] = set()
    for line, row in coverage_rows:
        if row["street_code"] not in city.street_by_code:
            raise _bad(
                COVERAGE_FILE,
                line,
                f"街道代码 {row['street_code']} 不存在",
                f"unknown street {row['street_code']}",
            )
        if row["street_code"] in covered:
            raise _bad(COVERAGE_FILE, line, "同一街道只能由一个派出所管辖", "street covered twice")
        if row["station_code"] not in known_stations:
            raise _bad(COVERAGE_FILE, line, "派出所代码不存在", "unknown station code")
        covered.add(row["street_code"])

    calendars_by_window: dict[str, tuple[int, dict[str, str]]] = {}
    for line, row in calendar_rows:
        if row["window_code"] in calendars_by_window:
            raise _bad(CALENDAR_FILE, line, "窗口的预约日历重复", "duplicate window calendar")
        calendars_by_window[row["window_code"]] = (line, row)

    windows: list[tuple[str, str, dict[str, Any], dict[str, Any] | None]] = []
    seen_windows: set[str] = set()
    for line, row in window_rows:
        if row["station_code"] not in known_stations:
            raise _bad(WINDOW_FILE, line, "派出所代码不存在", "unknown station code")
        if not row["code"] or not row["name"] or row["code"] in seen_windows:
            raise _bad(WINDOW_FILE, line, "窗口代码缺失或重复", "missing or duplicate window code")
        if row["active"] not in ("0", "1", "true", "false", ""):
            raise _bad(WINDOW_FILE, line, "active 应为 0 或 1", "active must be 0 or 1")
        if row["street_code"] and row["street_code"] not in city.street_by_code:
            raise _bad(
                WINDOW_FILE,
                line,
                f"街道代码 {row['street_code']} 不存在",
                f"unknown street {row['street_code']}",
            )
        seen_windows.add(row["code"])
        calendar_line, calendar_row = calendars_by_window.pop(row["code"], (0, {}))
        hours = (
            _hours_from_text(CALENDAR_FILE, calendar_line, calendar_row["hours"])
            if calendar_row
            else []
        )
        try:
            checked = window_clean(
                data={
                    **row,
                    "services": [s for s in row["services"].split("|") if s],
                    "active": row["active"] in ("1", "true", ""),
                },
                hours=hours,
                counters_per_slot=0,
            )
        except WindowInvalid as exc:
            raise _bad_problems(WINDOW_FILE, line, exc) from None
        calendar_values: dict[str, Any] | None = None
        if calendar_row:
            try:
                calendar_values = calendar_clean(
                    data={
                        **calendar_row,
                        "hours": hours,
                        "holidays": holidays,
                        "workdays": workdays,
                    },
                    window_counters=checked["counters"],
                    lunch=(checked["lunch_starts"], checked["lunch_ends"]),
                )
            except WindowInvalid as exc:
                raise _bad_problems(CALENDAR_FILE, calendar_line, exc) from None
            del calendar_values["closures"]
        windows.append(
            (
                row["code"],
                row["station_code"],
                {
                    "name": row["name"],
                    "latitude": _coordinate(WINDOW_FILE, line, row["latitude"]),
                    "longitude": _coordinate(WINDOW_FILE, line, row["longitude"]),
                    "street_code": row["street_code"],
                    **checked,
                },
                calendar_values,
            )
        )
    if calendars_by_window:
        line, row = min(calendars_by_window.values(), key=lambda entry: entry[0])
        raise _bad(
            CALENDAR_FILE,
            line,
            f"窗口代码 {row['window_code']} 不在 {WINDOW_FILE} 中",
            f"window {row['window_code']} is not in {WINDOW_FILE}",
        )

    report = LoadReport(directory=root)
    now = timezone.now()
    with atomic_for(Station, durable=True):
        stations: dict[str, Station] = {}
        renamed: set[str] = set()
        known = {s.code: s for s in Station.objects.all()}
        for _line, row in station_rows:
            stations[row["code"]], changed = _upsert(
                Station,
                {"code": row["code"]},
                {k: row[k] for k in ("name", "branch_name", "district_code", "phone", "address")},
                report.stations,
                known,
            )
            if changed and {"name", "district_code"} & set(changed):
                renamed.add(row["code"])

        def station(code: str) -> Station:
            if code not in stations:
                stations[code] = Station.objects.get(code=code)
            return stations[code]

        streets = {s.street_code: s for s in StationStreet.objects.all()}
        for _line, row in coverage_rows:
            _upsert(
                StationStreet,
                {"street_code": row["street_code"]},
                {"station_id": station(row["station_code"]).pk},
                report.streets,
                streets,
            )
        published: set[str] = set()
        known_windows = {w.code: w for w in Window.objects.all()}
        known_calendars = {c.window_id: c for c in WindowCalendar.objects.all()}
        for code, station_code, values, calendar_values in windows:
            window, window_changed = _upsert(
                Window,
                {"code": code},
                {"station_id": station(station_code).pk, **values},
                report.windows,
                known_windows,
            )
            window.station = station(station_code)
            calendar: WindowCalendar | None = None
            calendar_changed: list[str] | None = []
            if calendar_values is not None:
                calendar, calendar_changed = _upsert(
                    WindowCalendar,
                    {"window_id": window.pk},
                    calendar_values,
                    report.calendars,
                    known_calendars,
                )
            publish_window = (
                window_changed is None or bool(window_changed) or (station_code in renamed)
            )
            lunch_moved = window_changed is None or bool(
                {"lunch_starts", "lunch_ends"} & set(window_changed)
            )
            publish_calendar = calendar is not None and (
                calendar_changed is None or bool(calendar_changed) or lunch_moved
            )
            if publish_window or publish_calendar:
                report.published += window_publish(
                    window=window,
                    actor="system",
                    as_of=now,
                    publish_window=publish_window,
                    calendar=calendar if publish_calendar else None,
                )
            published.add(code)
        # Windows the files leave out still carry their station's new name to the portal.
        for window in (
            Window.objects.filter(station__code__in=renamed)
            .exclude(code__in=published)
            .select_related("station")
        ):
            report.published += window_publish(window=window, actor="system", as_of=now)

    all_covered = set(StationStreet.objects.values_list("street_code", flat=True))
    report.uncovered_streets = sorted(set(city.street_by_code) - all_covered)
    return report


# -- the rules of a window and its calendar ----------------------------------------------------

WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SERVICE_CODES: tuple[str, ...] = get_args(BookingService)
PHONE = re.compile(r"[0-9][0-9\-]{5,38}[0-9](?:转[0-9]{1,6})?")
# Ranges of `WindowCalendarV1`, with the words an admin reads.
CALENDAR_NUMBERS: dict[str, tuple[int, int, str, str]] = {
    "slot_minutes": (5, 240, "时段长度", "slot length"),
    "counters_per_slot": (0, 50, "每个时段可预约人数", "bookings per slot"),
    "horizon_days": (1, 90, "可提前预约天数", "booking horizon"),
    "min_notice_minutes": (0, 10_080, "最少提前预约时间（分钟）", "minimum notice"),
    "online_quota_per_day": (0, 10_000, "每日网上预约上限", "daily online quota"),
}
MAX_HOLIDAYS = 400
MAX_WORKDAYS = 100
MAX_CLOSURES = 400


def _problem(field: str, code: str, zh: str, en: str) -> FieldError:
    return FieldError(field, code, zh, en)


def _hhmm(value: dt.time) -> str:
    return value.strftime("%H:%M")


def parse_time(value: Any) -> dt.time | None:
    """A time of day as typed ("8:30", "08:30") or given; None for empty. ValueError otherwise."""
    if value is None or isinstance(value, dt.time):
        return value
    text = str(value).strip().replace("：", ":")
    if not text:
        return None
    match = re.fullmatch(r"([01]?[0-9]|2[0-3]):([0-5][0-9])", text)
    if match is None:
        raise ValueError(text)
    return dt.time(int(match.group(1)), int(match.group(2)))


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise ValueError(text)
    return dt.date.fromisoformat(text)


def _weekday_of(value: Any) -> int:
    """A weekday as 0–6, from an int, a digit or 周一…周日 / 星期一…."""
    if isinstance(value, int) and not isinstance(value, bool):
        day = value
    else:
        text = str(value or "").strip()
        for prefix in ("星期", "礼拜"):
            text = text.replace(prefix, "周")
        if text in WEEKDAYS_ZH:
            return WEEKDAYS_ZH.index(text)
        if text == "周天":
            return 6
        if not text.isdigit():
            raise ValueError(text)
        day = int(text)
    if not 0 <= day <= 6:
        raise ValueError(str(value))
    return day


def lunch_for_day(
    opens: dt.time, closes: dt.time, lunch: tuple[dt.time | None, dt.time | None]
) -> tuple[dt.time | None, dt.time | None]:
    """The window's lunch break on a day with these hours: only when it lies strictly inside
    them (a morning-only Saturday has none)."""
    starts, ends = lunch
    if starts is None or ends is None:
        return None, None
    if opens < starts and ends < closes:
        return starts, ends
    return None, None


def _lunch_problems(
    lunch: tuple[dt.time | None, dt.time | None],
    hours: Sequence[Mapping[str, Any]],
    *,
    field: str,
) -> list[FieldError]:
    """The lunch break against the weekly hours: it must split at least one day in two and may
    not cut into the start or end of any day."""
    starts, ends = lunch
    if starts is None and ends is None:
        return []
    if starts is None or ends is None:
        return [
            _problem(
                field,
                "lunch_incomplete",
                "午休开始和结束时间须同时填写，或都不填",
                "Give both the start and the end of the lunch break, or neither",
            )
        ]
    if ends <= starts:
        return [
            _problem(
                field,
                "lunch_order",
                f"午休结束时间 {_hhmm(ends)} 须晚于开始时间 {_hhmm(starts)}",
                f"The lunch break ends ({_hhmm(ends)}) before it starts ({_hhmm(starts)})",
            )
        ]
    problems: list[FieldError] = []
    inside = False
    for day in hours:
        opens, closes = parse_time(day["opens"]), parse_time(day["closes"])
        if opens is None or closes is None or opens >= closes:
            continue
        if opens < starts and ends < closes:
            inside = True
        elif starts < closes and ends > opens:
            weekday = int(day["weekday"])
            problems.append(
                _problem(
                    field,
                    "lunch_outside_hours",
                    f"午休时间 {_hhmm(starts)}–{_hhmm(ends)} 超出了{WEEKDAYS_ZH[weekday]}的办公"
                    f"时间 {_hhmm(opens)}–{_hhmm(closes)}，午休须在办公时间之内",
                    f"The lunch break {_hhmm(starts)}–{_hhmm(ends)} runs past the "
                    f"{WEEKDAYS_EN[weekday]} hours {_hhmm(opens)}–{_hhmm(closes)}; it must lie "
                    "inside the opening hours",
                )
            )
    if not problems and not inside and hours:
        problems.append(
            _problem(
                field,
                "lunch_outside_hours",
                f"午休时间 {_hhmm(starts)}–{_hhmm(ends)} 不在任何一天的办公时间之内",
                f"The lunch break {_hhmm(starts)}–{_hhmm(ends)} lies outside every day's hours",
            )
        )
    return problems


def _number(
    data: Mapping[str, Any],
    name: str,
    problems: list[FieldError],
    lo: int,
    hi: int,
    zh: str,
    en: str,
) -> int:
    raw = data.get(name)
    try:
        if isinstance(raw, bool):
            raise ValueError
        value = int(str(raw).strip()) if not isinstance(raw, int) else raw
    except (TypeError, ValueError):
        problems.append(
            _problem(name, "not_a_number", f"{zh}须填写整数", f"The {en} must be a whole number")
        )
        return lo
    if not lo <= value <= hi:
        problems.append(
            _problem(
                name,
                "out_of_range",
                f"{zh}须在{lo}至{hi}之间，现为{value}",
                f"The {en} must be between {lo} and {hi}, not {value}",
            )
        )
    return value


def _clean_hours(raw: Any, problems: list[FieldError]) -> list[dict[str, Any]]:
    """The weekly hours, one entry per open weekday, Monday first."""
    days: dict[int, dict[str, Any]] = {}
    seen: set[int] = set()
    if not isinstance(raw, list | tuple) or len(raw) > 7:
        problems.append(
            _problem("hours", "hours_invalid", "每周办公时间格式不正确", "Invalid weekly hours")
        )
        return []
    for entry in raw:
        try:
            weekday = _weekday_of(entry.get("weekday"))
        except (AttributeError, ValueError):
            problems.append(
                _problem("hours", "weekday_invalid", "星期须为周一至周日", "Unknown weekday")
            )
            continue
        name_zh, name_en = WEEKDAYS_ZH[weekday], WEEKDAYS_EN[weekday]
        if weekday in seen:
            problems.append(
                _problem(
                    "hours",
                    "weekday_twice",
                    f"{name_zh}的办公时间填写了两次",
                    f"{name_en} is given twice",
                )
            )
            continue
        seen.add(weekday)
        try:
            opens, closes = parse_time(entry.get("opens")), parse_time(entry.get("closes"))
        except ValueError:
            problems.append(
                _problem(
                    "hours",
                    "time_format",
                    f"{name_zh}的时间格式应为 时:分，如 08:30",
                    f"{name_en}: write times as HH:MM, e.g. 08:30",
                )
            )
            continue
        if opens is None and closes is None:
            continue  # closed that day
        if opens is None or closes is None:
            problems.append(
                _problem(
                    "hours",
                    "hours_incomplete",
                    f"{name_zh}须同时填写开门和关门时间，不办公则都不填",
                    f"{name_en}: give both opening and closing time, or neither if closed",
                )
            )
            continue
        if closes <= opens:
            problems.append(
                _problem(
                    "hours",
                    "closes_before_opens",
                    f"{name_zh}的关门时间 {_hhmm(closes)} 须晚于开门时间 {_hhmm(opens)}",
                    f"{name_en} closes ({_hhmm(closes)}) before it opens ({_hhmm(opens)})",
                )
            )
            continue
        days[weekday] = {"weekday": weekday, "opens": _hhmm(opens), "closes": _hhmm(closes)}
    return [days[d] for d in sorted(days)]


def _clean_holidays(raw: Any, problems: list[FieldError]) -> list[str]:
    found: set[dt.date] = set()
    for value in raw or []:
        try:
            found.add(parse_date(value))
        except ValueError:
            problems.append(
                _problem(
                    "holidays",
                    "date_format",
                    f"节假日“{str(value)[:20]}”不是有效日期，格式应为 2026-10-01",
                    f"Holiday {str(value)[:20]!r} is not a date like 2026-10-01",
                )
            )
    if len(found) > MAX_HOLIDAYS:
        problems.append(
            _problem(
                "holidays",
                "too_many",
                f"节假日最多{MAX_HOLIDAYS}天",
                f"At most {MAX_HOLIDAYS} holidays",
            )
        )
    return [d.isoformat() for d in sorted(found)]


def _clean_workdays(
    raw: Any, hours: list[dict[str, Any]], holidays: list[str], problems: list[FieldError]
) -> list[dict[str, Any]]:
    """Make-up working days (调休): a Saturday or Sunday worked with a weekday's hours."""
    open_days = {d["weekday"] for d in hours}
    found: dict[str, dict[str, Any]] = {}
    for entry in raw or []:
        value = entry.get("date") if isinstance(entry, Mapping) else entry
        try:
            day = parse_date(value)
        except ValueError:
            problems.append(
                _problem(
                    "workdays",
                    "date_format",
                    f"调休上班日“{str(value)[:20]}”不是有效日期，格式应为 2026-10-10",
                    f"Make-up working day {str(value)[:20]!r} is not a date like 2026-10-10",
                )
            )
            continue
        raw_weekday = entry.get("as_weekday") if isinstance(entry, Mapping) else None
        try:
            as_weekday = 0 if raw_weekday in (None, "") else _weekday_of(raw_weekday)
        except ValueError:
            as_weekday = -1
        iso = day.isoformat()
        if day.weekday() < 5:
            problems.append(
                _problem(
                    "workdays",
                    "workday_not_weekend",
                    f"调休上班日 {iso} 是{WEEKDAYS_ZH[day.weekday()]}，不是周末；调休上班日须为"
                    "周六或周日",
                    f"Make-up working day {iso} is a {WEEKDAYS_EN[day.weekday()]}, not a "
                    "Saturday or Sunday",
                )
            )
        elif not 0 <= as_weekday <= 4:
            problems.append(
                _problem(
                    "workdays",
                    "as_weekday_invalid",
                    f"调休上班日 {iso} 须按周一至周五中的某一天上班",
                    f"Make-up working day {iso} must be worked as a day from Monday to Friday",
                )
            )
        elif as_weekday not in open_days:
            problems.append(
                _problem(
                    "workdays",
                    "as_weekday_closed",
                    f"调休上班日 {iso} 按{WEEKDAYS_ZH[as_weekday]}上班，但{WEEKDAYS_ZH[as_weekday]}"
                    "不办公",
                    f"Make-up working day {iso} is worked as {WEEKDAYS_EN[as_weekday]}, a day "
                    "the window is closed",
                )
            )
        elif iso in holidays:
            problems.append(
                _problem(
                    "workdays",
                    "workday_is_holiday",
                    f"{iso} 不能既是节假日又是调休上班日",
                    f"{iso} cannot be both a holiday and a make-up working day",
                )
            )
        elif iso in found:
            problems.append(
                _problem(
                    "workdays",
                    "workday_twice",
                    f"调休上班日 {iso} 填写了两次",
                    f"Make-up working day {iso} is given twice",
                )
            )
        else:
            found[iso] = {"date": iso, "as_weekday": as_weekday}
    if len(found) > MAX_WORKDAYS:
        problems.append(
            _problem(
                "workdays",
                "too_many",
                f"调休上班日最多{MAX_WORKDAYS}天",
                f"At most {MAX_WORKDAYS} make-up working days",
            )
        )
    return [found[d] for d in sorted(found)]


def _clean_closures(raw: Any, problems: list[FieldError]) -> list[dict[str, Any]]:
    """One-off closures: a whole day, or the part of it between `starts` and `ends`."""
    closures: list[dict[str, Any]] = []
    for entry in raw or []:
        if not isinstance(entry, Mapping):
            entry = {"date": entry}
        try:
            day = parse_date(entry.get("date"))
        except ValueError:
            problems.append(
                _problem(
                    "closures",
                    "date_format",
                    f"停办日期“{str(entry.get('date'))[:20]}”不是有效日期，格式应为 2026-12-24",
                    f"Closure date {str(entry.get('date'))[:20]!r} is not a date like 2026-12-24",
                )
            )
            continue
        iso = day.isoformat()
        try:
            starts, ends = parse_time(entry.get("starts")), parse_time(entry.get("ends"))
        except ValueError:
            problems.append(
                _problem(
                    "closures",
                    "time_format",
                    f"{iso} 停办的时间格式应为 时:分，如 09:00-12:00",
                    f"Closure on {iso}: write times as HH:MM, e.g. 09:00-12:00",
                )
            )
            continue
        if (starts is None) != (ends is None):
            problems.append(
                _problem(
                    "closures",
                    "closure_incomplete",
                    f"{iso} 停办须同时填写开始和结束时间，全天停办则都不填",
                    f"Closure on {iso}: give both start and end, or neither for the whole day",
                )
            )
            continue
        if starts is not None and ends is not None and ends <= starts:
            problems.append(
                _problem(
                    "closures",
                    "closure_order",
                    f"{iso} 停办的结束时间 {_hhmm(ends)} 须晚于开始时间 {_hhmm(starts)}",
                    f"Closure on {iso} ends ({_hhmm(ends)}) before it starts ({_hhmm(starts)})",
                )
            )
            continue
        try:
            reason = clean_text(
                entry.get("reason"),
                field="closures",
                label_zh="停办原因",
                label_en="closure reason",
                max_length=200,
            )
        except ApplicationError as exc:
            problems.append(_problem("closures", exc.code, exc.message_zh, exc.message_en))
            continue
        closures.append(
            {
                "date": iso,
                "starts": _hhmm(starts) if starts else None,
                "ends": _hhmm(ends) if ends else None,
                "reason": reason,
            }
        )
    if len(closures) > MAX_CLOSURES:
        problems.append(
            _problem(
                "closures",
                "too_many",
                f"临时停办最多{MAX_CLOSURES}条",
                f"At most {MAX_CLOSURES} closures",
            )
        )
    closures.sort(key=lambda c: (c["date"], c["starts"] or "", c["ends"] or ""))
    return closures


def calendar_clean(
    *,
    data: Mapping[str, Any],
    window_counters: int,
    lunch: tuple[dt.time | None, dt.time | None],
) -> dict[str, Any]:
    """A capacity calendar as stored, or `WindowInvalid` with every problem at once.

    `data` holds the numbers of `CALENDAR_NUMBERS`, `hours` ([{weekday, opens, closes}]),
    `holidays` (dates), `workdays` ([{date, as_weekday}], 调休) and `closures` ([{date,
    starts, ends, reason}]); times as "HH:MM", dates as "YYYY-MM-DD". The window's counters
    bound the bookings per slot and its lunch break must fit the hours."""
    problems: list[FieldError] = []
    values: dict[str, Any] = {
        name: _number(data, name, problems, lo, hi, zh, en)
        for name, (lo, hi, zh, en) in CALENDAR_NUMBERS.items()
    }
    slot = values["slot_minutes"]
    if 5 <= slot <= 240 and slot % 5:
        problems.append(
            _problem(
                "slot_minutes",
                "slot_not_multiple_of_5",
                f"时段长度须为5分钟的整数倍，现为{slot}分钟",
                f"The slot length must be a multiple of 5 minutes, not {slot}",
            )
        )
    per_slot = values["counters_per_slot"]
    if 0 <= per_slot <= 50 and per_slot > window_counters:
        problems.append(
            _problem(
                "counters_per_slot",
                "more_than_counters",
                f"每个时段可预约人数（{per_slot}）不能超过窗口的柜台数（{window_counters}）",
                f"Bookings per slot ({per_slot}) cannot exceed the window's counters "
                f"({window_counters})",
            )
        )
    hours = _clean_hours(data.get("hours", []), problems)
    for day in hours:
        opens, closes = parse_time(day["opens"]), parse_time(day["closes"])
        assert opens is not None and closes is not None
        minutes = (closes.hour * 60 + closes.minute) - (opens.hour * 60 + opens.minute)
        if 5 <= slot <= 240 and minutes < slot:
            problems.append(
                _problem(
                    "hours",
                    "day_shorter_than_slot",
                    f"{WEEKDAYS_ZH[day['weekday']]}的办公时间不足一个时段（{slot}分钟）",
                    f"{WEEKDAYS_EN[day['weekday']]} is shorter than one slot ({slot} minutes)",
                )
            )
    problems += _lunch_problems(lunch, hours, field="hours")
    values["hours"] = hours
    values["holidays"] = _clean_holidays(data.get("holidays", []), problems)
    values["workdays"] = _clean_workdays(
        data.get("workdays", []), hours, values["holidays"], problems
    )
    values["closures"] = _clean_closures(data.get("closures", []), problems)
    if problems:
        raise WindowInvalid(problems)
    return values


def window_clean(
    *, data: Mapping[str, Any], hours: Sequence[Mapping[str, Any]], counters_per_slot: int
) -> dict[str, Any]:
    """A window's editable settings as stored, or `WindowInvalid` with every problem at once.

    `data` holds `opening_hours` (the text residents read), `lunch_starts`, `lunch_ends`,
    `counters`, `services` (codes of `BookingService`), `phone`, `address` and `active`. The
    lunch break must fit the calendar's weekly `hours`, and the counters must hold the
    calendar's bookings per slot."""
    problems: list[FieldError] = []
    values: dict[str, Any] = {}
    for name, zh, en, limit, required in (
        ("opening_hours", "办公时间说明", "opening hours text", 500, False),
        ("address", "地址", "address", 200, True),
    ):
        try:
            values[name] = clean_text(
                data.get(name),
                field=name,
                label_zh=zh,
                label_en=en,
                max_length=limit,
                required=required,
            )
        except ApplicationError as exc:
            problems.append(_problem(name, exc.code, exc.message_zh, exc.message_en))
    phone = "".join(str(data.get("phone") or "").split())
    if phone and not PHONE.fullmatch(phone):
        problems.append(
            _problem(
                "phone",
                "phone_format",
                "电话号码格式不正确，如 0571-87654321",
                "Enter a phone number such as 0571-87654321",
            )
        )
    values["phone"] = phone
    values["counters"] = _number(data, "counters", problems, 1, 50, "柜台数", "number of counters")
    if 1 <= values["counters"] <= 50 and values["counters"] < counters_per_slot:
        problems.append(
            _problem(
                "counters",
                "fewer_than_bookings_per_slot",
                f"柜台数（{values['counters']}）不能少于预约日历中每个时段可预约人数"
                f"（{counters_per_slot}），请先修改预约日历",
                f"Counters ({values['counters']}) cannot be fewer than the calendar's bookings "
                f"per slot ({counters_per_slot}); change the calendar first",
            )
        )
    raw_services = data.get("services") or []
    if isinstance(raw_services, str):
        raw_services = [raw_services]
    services = [s for s in SERVICE_CODES if s in set(map(str, raw_services))]
    unknown = [str(s)[:30] for s in raw_services if str(s) not in SERVICE_CODES]
    if unknown:
        problems.append(
            _problem(
                "services",
                "service_unknown",
                f"未知的业务代码：{'、'.join(unknown)}",
                f"Unknown service codes: {', '.join(unknown)}",
            )
        )
    elif not services:
        problems.append(
            _problem(
                "services",
                "services_required",
                "请至少选择一项办理业务",
                "Choose at least one service the window offers",
            )
        )
    values["services"] = services
    try:
        lunch = (parse_time(data.get("lunch_starts")), parse_time(data.get("lunch_ends")))
    except ValueError:
        problems.append(
            _problem(
                "lunch_starts",
                "time_format",
                "午休时间格式应为 时:分，如 12:00",
                "Write the lunch break as HH:MM, e.g. 12:00",
            )
        )
        lunch = (None, None)
    problems += _lunch_problems(lunch, hours, field="lunch_starts")
    values["lunch_starts"], values["lunch_ends"] = lunch
    active = data.get("active", True)
    values["active"] = active if isinstance(active, bool) else str(active) in ("1", "true", "on")
    if problems:
        raise WindowInvalid(problems)
    return values


# -- publishing to the portal ----------------------------------------------------------------

PURPOSE = "window_directory"
OBJECT_TYPE = "window"


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def window_snapshot(window: Window, *, as_of: dt.datetime) -> WindowPublishedV1:
    """The whole window as residents see it (`window.published`)."""
    station = window.station
    return WindowPublishedV1(
        code=window.code,
        station_code=station.code,
        station_name=station.name,
        district_code=station.district_code,
        street_code=window.street_code,
        name=window.name,
        address=window.address,
        phone=window.phone,
        opening_hours_text=window.opening_hours,
        counters=window.counters,
        services=list(window.services),
        latitude=_float(window.latitude),
        longitude=_float(window.longitude),
        active=window.active,
        as_of=as_of,
    )


def calendar_snapshot(
    window: Window, calendar: WindowCalendar, *, as_of: dt.datetime
) -> WindowCalendarV1:
    """The whole capacity calendar (`window.calendar`), with the window's lunch break put on
    each day whose hours hold it."""
    lunch = (window.lunch_starts, window.lunch_ends)
    hours = []
    for day in calendar.hours:
        opens, closes = parse_time(day["opens"]), parse_time(day["closes"])
        assert opens is not None and closes is not None
        starts, ends = lunch_for_day(opens, closes, lunch)
        hours.append(
            OpeningHoursV1(
                weekday=day["weekday"],
                opens=opens,
                closes=closes,
                lunch_starts=starts,
                lunch_ends=ends,
            )
        )
    return WindowCalendarV1(
        window_code=window.code,
        slot_minutes=calendar.slot_minutes,
        counters_per_slot=calendar.counters_per_slot,
        horizon_days=calendar.horizon_days,
        min_notice_minutes=calendar.min_notice_minutes,
        online_quota_per_day=calendar.online_quota_per_day,
        hours=hours,
        holidays=[dt.date.fromisoformat(d) for d in calendar.holidays],
        workdays=[WorkdayV1(**w) for w in calendar.workdays],
        closures=[
            ClosureV1(
                date=dt.date.fromisoformat(c["date"]),
                starts=parse_time(c["starts"]),
                ends=parse_time(c["ends"]),
                reason=c["reason"],
            )
            for c in calendar.closures
        ],
        as_of=as_of,
    )


def window_publish(
    *,
    window: Window,
    actor: str,
    as_of: dt.datetime,
    publish_window: bool = True,
    calendar: WindowCalendar | None = None,
) -> int:
    """Queue the window's snapshot, then its calendar's, for the portal; call inside the
    transaction of the change. The window goes first, so the portal knows it when the calendar
    arrives. Returns the number of messages queued."""
    messages: list[Contract] = []
    if publish_window:
        messages.append(window_snapshot(window, as_of=as_of))
    if calendar is not None:
        messages.append(calendar_snapshot(window, calendar, as_of=as_of))
    for message in messages:
        emit(
            zone="police",
            message=message,
            aggregate_id=window.code,
            correlation_id=window.code,
            actor=actor,
            purpose=PURPOSE,
        )
    return len(messages)


# -- the station admin's edits ---------------------------------------------------------------

User = AbstractBaseUser | AnonymousUser


def window_check_can_edit(*, user: User, window: Window) -> None:
    """Raise `WindowError` (403) unless `user` is the administrator of the window's station:
    district and city administrators see the settings without changing them."""
    profile = staff_profile(user)
    if profile is None or profile.role != Role.STATION_ADMIN:
        raise WindowError(
            "role_cannot_edit",
            "只有本所管理员可以修改办证窗口和预约日历",
            "Only the station's administrator may change the window and its calendar",
            status=403,
        )
    if profile.station_id != window.station_id:
        raise WindowError(
            "other_station",
            "只有窗口所属派出所的管理员可以修改",
            "Only the administrator of the window's station may change it",
            status=403,
        )


def window_can_edit(*, user: User, window: Window) -> bool:
    """For templates: whether the edit forms would be accepted."""
    try:
        window_check_can_edit(user=user, window=window)
    except WindowError:
        return False
    return True


def _locked_window(user: User, code: str) -> Window:
    visible = window_get_for_staff(user=user, code=code)
    window_check_can_edit(user=user, window=visible)
    return Window.objects.select_for_update().select_related("station").get(pk=visible.pk)


def _audit_change(user: User, window: Window, action: str, changed: list[str]) -> None:
    profile = staff_profile(user)
    audit_record(
        actor=user.get_username(),
        actor_role=profile.role if profile else "",
        station_code=window.station.code,
        action=action,
        object_type=OBJECT_TYPE,
        object_id=window.code,
        purpose=PURPOSE,
        detail={"fields": sorted(changed)},
    )


def window_update(*, user: User, code: str, data: Mapping[str, Any]) -> Window:
    """Change a window's settings (hours text, lunch break, counters, services, phone, address,
    active), checked against its calendar; publish the window and, when the lunch break moved,
    its calendar, and audit the change, all in one transaction. Saving what is already there
    changes, publishes and audits nothing."""
    with atomic_for(Window, durable=True):
        window = _locked_window(user, code)
        calendar = WindowCalendar.objects.select_for_update().filter(window=window).first()
        values = window_clean(
            data=data,
            hours=calendar.hours if calendar else [],
            counters_per_slot=calendar.counters_per_slot if calendar else 0,
        )
        changed = [name for name, value in values.items() if getattr(window, name) != value]
        if not changed:
            return window
        for name in changed:
            setattr(window, name, values[name])
        window.save(update_fields=changed)
        lunch_moved = {"lunch_starts", "lunch_ends"} & set(changed)
        window_publish(
            window=window,
            actor=f"staff:{user.get_username()}",
            as_of=timezone.now(),
            calendar=calendar if lunch_moved else None,
        )
        _audit_change(user, window, "window.update", changed)
        logger.info("window updated window=%s fields=%s", window.code, ",".join(changed))
        return window


def window_calendar_update(*, user: User, code: str, data: Mapping[str, Any]) -> WindowCalendar:
    """Replace a window's capacity calendar with `data` (see `calendar_clean`), publish it and
    audit the change in one transaction. The portal then moves or cancels the bookings that no
    longer fit (DESIGN §7). Saving what is already there changes nothing."""
    with atomic_for(Window, durable=True):
        window = _locked_window(user, code)
        values = calendar_clean(
            data=data,
            window_counters=window.counters,
            lunch=(window.lunch_starts, window.lunch_ends),
        )
        calendar = WindowCalendar.objects.select_for_update().filter(window=window).first()
        if calendar is None:
            calendar = WindowCalendar(window=window)
            changed = list(values)
        else:
            changed = [name for name, value in values.items() if getattr(calendar, name) != value]
            if not changed:
                return calendar
        for name, value in values.items():
            setattr(calendar, name, value)
        calendar.save()
        window_publish(
            window=window,
            actor=f"staff:{user.get_username()}",
            as_of=timezone.now(),
            publish_window=False,
            calendar=calendar,
        )
        _audit_change(user, window, "window.calendar_update", changed)
        logger.info("window calendar updated window=%s fields=%s", window.code, ",".join(changed))
        return calendar


def calendar_lists_from_text(
    *, holidays: str = "", workdays: str = "", closures: str = ""
) -> dict[str, list[Any]]:
    """Split what an admin types, one entry a line, into the lists `calendar_clean` checks:
    holidays "2026-10-01 [note]", make-up days "2026-10-10 [周一]", closures "2026-12-24
    [09:00-12:00] [reason]". Splitting only; every check is `calendar_clean`'s."""

    def lines(text: str) -> list[list[str]]:
        return [line.split() for line in text.replace("\r", "").split("\n") if line.strip()]

    closure_list: list[dict[str, Any]] = []
    for parts in lines(closures):
        entry: dict[str, Any] = {"date": parts[0], "starts": None, "ends": None}
        rest = parts[1:]
        if rest and re.fullmatch(r"[0-9:：]+[-–~至][0-9:：]+", rest[0]):
            entry["starts"], entry["ends"] = re.split(r"[-–~至]", rest[0], maxsplit=1)
            rest = rest[1:]
        entry["reason"] = " ".join(rest)
        closure_list.append(entry)
    return {
        "holidays": [parts[0] for parts in lines(holidays)],
        "workdays": [
            {"date": parts[0], "as_weekday": parts[1] if len(parts) > 1 else ""}
            for parts in lines(workdays)
        ],
        "closures": closure_list,
    }

"""Writes for stations and windows: loading the reference files."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import models

from onetrip.common import divisions
from onetrip.common.db import atomic_for

from .errors import ReferenceDataError
from .models import Station, StationStreet, Window

PACKAGED_DIR = Path(__file__).resolve().parent / "data"
STATION_FILE = "stations.csv"
COVERAGE_FILE = "station_streets.csv"
WINDOW_FILE = "windows.csv"


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
    uncovered_streets: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated for c in (self.stations, self.streets, self.windows))


def _bad(file: str, line: int, zh: str, en: str) -> ReferenceDataError:
    return ReferenceDataError(
        "reference_invalid", f"{file} 第{line}行: {zh}", f"{file} line {line}: {en}"
    )


def _read(directory: Path, name: str, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    path = directory / name
    if not path.is_file():
        raise ReferenceDataError(
            "reference_missing", f"找不到文件 {path}", f"File not found: {path}"
        )
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise ReferenceDataError(
                "reference_columns",
                f"{name} 缺少列 {', '.join(missing)}",
                f"{name} lacks columns {', '.join(missing)}",
            )
        return [
            (n, {k: (v or "").strip() for k, v in row.items() if k is not None})
            for n, row in enumerate(reader, start=2)
        ]


def _coordinate(file: str, line: int, value: str) -> Decimal | None:
    if not value:
        return None
    try:
        return Decimal(value).quantize(Decimal("0.000001"))
    except InvalidOperation:
        raise _bad(file, line, f"坐标无效 {value!r}", f"invalid coordinate {value!r}") from None


def _upsert(
    model: type[models.Model], key: dict[str, Any], values: dict[str, Any], counts: LoadCounts
) -> Any:
    obj = model._default_manager.filter(**key).first()
    if obj is None:
        counts.created += 1
        return model._default_manager.create(**key, **values)
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
        counts.updated += 1
    else:
        counts.unchanged += 1
    return obj


def reference_load(*, directory: Path | str | None = None) -> LoadReport:
    """Load stations, the streets they cover and their windows from CSV files, idempotently.

    ``directory`` holds ``stations.csv``, ``station_streets.csv`` and ``windows.csv``; the default
    is the generated Hangzhou demo data packaged with OneTrip. Rows are matched by code and only
    changed fields are written, so loading the same files twice changes nothing. Every file is
    validated against the city's divisions (:mod:`onetrip.common.divisions`) before anything is
    written, and the whole load is one transaction: a bad file leaves the database untouched.
    Rows missing from the files are left alone (a deployment retires a window by ``active=0``).
    """
    root = Path(directory) if directory else PACKAGED_DIR
    city = divisions.load()
    station_rows = _read(
        root, STATION_FILE, ("code", "name", "branch_name", "district_code", "phone", "address")
    )
    coverage_rows = _read(root, COVERAGE_FILE, ("station_code", "street_code"))
    window_rows = _read(
        root,
        WINDOW_FILE,
        (
            "code",
            "station_code",
            "name",
            "address",
            "phone",
            "opening_hours",
            "latitude",
            "longitude",
            "active",
        ),
    )

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

    windows: list[tuple[str, str, dict[str, Any]]] = []
    seen_windows: set[str] = set()
    for line, row in window_rows:
        if row["station_code"] not in known_stations:
            raise _bad(WINDOW_FILE, line, "派出所代码不存在", "unknown station code")
        if not row["code"] or not row["name"] or row["code"] in seen_windows:
            raise _bad(WINDOW_FILE, line, "窗口代码缺失或重复", "missing or duplicate window code")
        if row["active"] not in ("0", "1", "true", "false", ""):
            raise _bad(WINDOW_FILE, line, "active 应为 0 或 1", "active must be 0 or 1")
        seen_windows.add(row["code"])
        windows.append(
            (
                row["code"],
                row["station_code"],
                {
                    "name": row["name"],
                    "address": row["address"],
                    "phone": row["phone"],
                    "opening_hours": row["opening_hours"],
                    "latitude": _coordinate(WINDOW_FILE, line, row["latitude"]),
                    "longitude": _coordinate(WINDOW_FILE, line, row["longitude"]),
                    "active": row["active"] in ("1", "true", ""),
                },
            )
        )

    report = LoadReport(directory=root)
    with atomic_for(Station, durable=True):
        stations: dict[str, Station] = {}
        for _line, row in station_rows:
            stations[row["code"]] = _upsert(
                Station,
                {"code": row["code"]},
                {k: row[k] for k in ("name", "branch_name", "district_code", "phone", "address")},
                report.stations,
            )

        def station(code: str) -> Station:
            if code not in stations:
                stations[code] = Station.objects.get(code=code)
            return stations[code]

        for _line, row in coverage_rows:
            _upsert(
                StationStreet,
                {"street_code": row["street_code"]},
                {"station_id": station(row["station_code"]).pk},
                report.streets,
            )
        for code, station_code, values in windows:
            _upsert(
                Window,
                {"code": code},
                {"station_id": station(station_code).pk, **values},
                report.windows,
            )

    all_covered = set(StationStreet.objects.values_list("street_code", flat=True))
    report.uncovered_streets = sorted(set(city.street_by_code) - all_covered)
    return report

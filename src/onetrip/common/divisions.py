"""Administrative divisions of the deployment's city (DOMAIN ID-16…ID-19).

Pure Python, no Django. The reference data are CSV files in one directory:

- ``districts.csv``: ``code,name,…``: current county-level divisions (6-digit GB/T 2260 codes);
- ``retired_districts.csv`` (optional): ``code,name,validUntil,successorCodes,…``: codes that no
  longer exist but still appear in ID numbers and old records; ``successorCodes`` is
  space-separated;
- ``streets.csv``: ``code,name,areaCode,…``: sub-districts (街道), towns (镇) and townships (乡)
  with their 9-digit statistical codes; ``areaCode`` is the district;
- ``communities.csv`` (optional): ``code,name,streetCode``: communities (社区) and villages (村),
  12-digit codes;
- ``district_centroids_approx.csv`` (optional): ``code,name,lat,lon``.

The directory is, in order: the ``directory`` argument of :func:`load`, the environment variable
``ONETRIP_DIVISIONS_DIR``, or the Hangzhou data packaged with OneTrip (``common/data/hangzhou``;
its communities are generated, representative, not real). Each directory is read once and cached.

Jurisdiction routing works on the *current* divisions: a record carrying a retired district code
maps forward with :func:`current_district_for`. Where a retired district was split (江干区 330104
went to 上城区 330102 and 钱塘区 330114), the district alone cannot decide: the street (街道) of the
address does, because streets are always stored with their current codes (DOMAIN ID-19).
"""

from __future__ import annotations

import csv
import functools
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

PACKAGED_DIR = Path(__file__).resolve().parent / "data" / "hangzhou"
ENV_VAR = "ONETRIP_DIVISIONS_DIR"

STREET_SUFFIXES = ("街道", "畲族乡", "镇", "乡")


@dataclass(frozen=True)
class District:
    """A county-level division (区, 县, 县级市), current or retired."""

    code: str
    name: str
    current: bool = True
    successor_codes: tuple[str, ...] = ()
    valid_until: date | None = None
    centroid: tuple[float, float] | None = None

    @property
    def city_code(self) -> str:
        return self.code[:4]

    @property
    def kind(self) -> str:
        """区, 县 or 市 (county-level city), from the name's last character."""
        return self.name[-1:]


@dataclass(frozen=True)
class Street:
    """A sub-district (街道), town (镇), township (乡) or special area, 9-digit code."""

    code: str
    name: str
    district_code: str

    @property
    def kind(self) -> str:
        """街道, 镇, 乡 or "" for special areas (开发区, 农场…)."""
        for suffix in ("街道", "镇", "乡"):
            if self.name.endswith(suffix):
                return suffix
        return ""

    @property
    def stem(self) -> str:
        """The name without its 街道/镇/乡 suffix: 北山街道 → 北山, 莪山畲族乡 → 莪山."""
        for suffix in STREET_SUFFIXES:
            if self.name.endswith(suffix) and len(self.name) > len(suffix):
                return self.name[: -len(suffix)]
        return self.name


@dataclass(frozen=True)
class Community:
    """A community (社区, urban) or village (村, rural), 12-digit code."""

    code: str
    name: str
    street_code: str

    @property
    def kind(self) -> str:
        """社区 or 村."""
        return "村" if self.name.endswith("村") else "社区"

    @property
    def district_code(self) -> str:
        return self.street_code[:6]


class DivisionsDataError(ValueError):
    """A reference-data file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Divisions:
    """All divisions read from one directory. Obtain it with :func:`load`."""

    directory: Path
    district_by_code: Mapping[str, District]
    street_by_code: Mapping[str, Street]
    community_by_code: Mapping[str, Community]
    streets_by_district: Mapping[str, tuple[Street, ...]] = field(repr=False)
    communities_by_street: Mapping[str, tuple[Community, ...]] = field(repr=False)

    def districts(self, *, include_retired: bool = False) -> list[District]:
        return [d for d in self.district_by_code.values() if include_retired or d.current]

    def current_district_for(self, code: str) -> tuple[str, ...]:
        district = self.district_by_code.get(code)
        if district is None:
            return ()
        seen: set[str] = set()
        result: list[str] = []
        pending = [district]
        while pending:
            d = pending.pop(0)
            if d.code in seen:
                continue
            seen.add(d.code)
            if d.current:
                result.append(d.code)
                continue
            pending.extend(
                self.district_by_code[s] for s in d.successor_codes if s in self.district_by_code
            )
        return tuple(sorted(result))


def _rows(path: Path, required: tuple[str, ...]) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise DivisionsDataError(f"{path}: missing columns {missing}")
        for row in reader:
            yield {k: (v or "").strip() for k, v in row.items() if k is not None}


def _check_code(path: Path, code: str, digits: int) -> str:
    if len(code) != digits or not code.isdigit():
        raise DivisionsDataError(f"{path}: code {code!r} is not {digits} digits")
    return code


@functools.cache
def _load(directory: Path) -> Divisions:
    if not (directory / "districts.csv").is_file():
        raise DivisionsDataError(f"{directory}: districts.csv not found")
    centroids: dict[str, tuple[float, float]] = {}
    centroid_path = directory / "district_centroids_approx.csv"
    if centroid_path.is_file():
        for row in _rows(centroid_path, ("code", "lat", "lon")):
            centroids[row["code"]] = (float(row["lat"]), float(row["lon"]))

    districts: dict[str, District] = {}
    path = directory / "districts.csv"
    for row in _rows(path, ("code", "name")):
        code = _check_code(path, row["code"], 6)
        districts[code] = District(code, row["name"], centroid=centroids.get(code))
    retired_path = directory / "retired_districts.csv"
    if retired_path.is_file():
        for row in _rows(retired_path, ("code", "name", "successorCodes")):
            code = _check_code(retired_path, row["code"], 6)
            if code in districts:
                raise DivisionsDataError(f"{retired_path}: {code} is also a current district")
            until = row.get("validUntil", "")
            districts[code] = District(
                code,
                row["name"],
                current=False,
                successor_codes=tuple(row["successorCodes"].split()),
                valid_until=date.fromisoformat(until) if until else None,
            )
        for d in districts.values():
            for successor in d.successor_codes:
                if successor not in districts:
                    raise DivisionsDataError(
                        f"{retired_path}: unknown successor {successor} of {d.code}"
                    )

    streets: dict[str, Street] = {}
    path = directory / "streets.csv"
    if path.is_file():
        for row in _rows(path, ("code", "name", "areaCode")):
            code = _check_code(path, row["code"], 9)
            if not districts.get(row["areaCode"], District("", "", current=False)).current:
                raise DivisionsDataError(f"{path}: {code} is in no current district")
            if not code.startswith(row["areaCode"]):
                raise DivisionsDataError(f"{path}: {code} does not start with its district code")
            streets[code] = Street(code, row["name"], row["areaCode"])

    communities: dict[str, Community] = {}
    path = directory / "communities.csv"
    if path.is_file():
        for row in _rows(path, ("code", "name", "streetCode")):
            code = _check_code(path, row["code"], 12)
            if row["streetCode"] not in streets or not code.startswith(row["streetCode"]):
                raise DivisionsDataError(f"{path}: {code} is in no known street")
            communities[code] = Community(code, row["name"], row["streetCode"])

    by_district: dict[str, list[Street]] = {}
    for s in streets.values():
        by_district.setdefault(s.district_code, []).append(s)
    by_street: dict[str, list[Community]] = {}
    for c in communities.values():
        by_street.setdefault(c.street_code, []).append(c)
    return Divisions(
        directory=directory,
        district_by_code=districts,
        street_by_code=streets,
        community_by_code=communities,
        streets_by_district={k: tuple(v) for k, v in by_district.items()},
        communities_by_street={k: tuple(v) for k, v in by_street.items()},
    )


def data_dir(directory: str | os.PathLike[str] | None = None) -> Path:
    """The directory in use: the argument, else ``$ONETRIP_DIVISIONS_DIR``, else packaged."""
    chosen = directory or os.environ.get(ENV_VAR) or PACKAGED_DIR
    return _resolved(os.fspath(chosen))


@functools.lru_cache(maxsize=32)
def _resolved(chosen: str) -> Path:
    # resolve() walks the path with a system call per part; the police handler asks per message.
    return Path(chosen).resolve()


def load(directory: str | os.PathLike[str] | None = None) -> Divisions:
    """The divisions of ``directory`` (see :func:`data_dir`), read once and cached."""
    return _load(data_dir(directory))


def clear_cache() -> None:
    """Forget every loaded directory (after its files changed, or in tests)."""
    _load.cache_clear()
    _resolved.cache_clear()


def districts(*, include_retired: bool = False) -> list[District]:
    """Current districts in file order; with ``include_retired`` the retired codes too."""
    return load().districts(include_retired=include_retired)


def district(code: str) -> District | None:
    """The district with this code, current or retired."""
    return load().district_by_code.get(code)


def streets_of(district_code: str) -> list[Street]:
    return list(load().streets_by_district.get(district_code, ()))


def street(code: str) -> Street | None:
    return load().street_by_code.get(code)


def communities_of(street_code: str) -> list[Community]:
    return list(load().communities_by_street.get(street_code, ()))


def community(code: str) -> Community | None:
    return load().community_by_code.get(code)


def community_label(code: str) -> str:
    """ "西湖区 北山街道 北山社区" for a community code; the code itself when unknown."""
    found = community(code)
    if found is None:
        return code
    parts = [district(found.district_code), street(found.street_code), found]
    return " ".join(p.name for p in parts if p is not None)


def is_in_city(community_code: str) -> bool:
    """Whether the community is one of the deployment city's communities."""
    return community_code in load().community_by_code


def district_codes_ever() -> frozenset[str]:
    """Every district code the city has used, current and retired (for ID numbers, ID-6)."""
    return frozenset(load().district_by_code)


def current_district_for(code: str) -> tuple[str, ...]:
    """The current district(s) a district code maps to for jurisdiction routing (ID-17…ID-19).

    - a current code maps to itself: ``330106`` → ``("330106",)``;
    - a retired code maps to its successor: ``330103`` 下城区 → ``("330105",)``,
      ``330185`` 临安市 → ``("330112",)``;
    - a retired code that was split returns every candidate, sorted: ``330104`` 江干区 →
      ``("330102", "330114")``. The caller must then route by street, never pick one;
    - an unknown code returns ``()``.
    """
    return load().current_district_for(code)

"""Generate OneTrip's demo reference data for Hangzhou, deterministically.

Reads the real divisions packaged in ``src/onetrip/common/data/hangzhou`` (districts, streets,
centroids) and writes the *representative, synthetic* data that has no public source:

- ``src/onetrip/common/data/hangzhou/communities.csv``: 2–4 communities per street (社区 for
  街道 and special areas, codes street+001…; 村 for 镇/乡, codes street+200…);
- ``src/onetrip/police/stations/data/stations.csv``: one police station per street, named per
  DOMAIN ID-20 (``杭州市公安局{区}分局{地名}派出所``, counties ``{县}公安局{地名}派出所``);
- ``src/onetrip/police/stations/data/station_streets.csv``: which station covers which street;
- ``src/onetrip/police/stations/data/windows.csv``: one service window per station plus three in
  the busiest urban districts (199 in all, as in the 2017 bulletin), placed near the district
  centroid with a deterministic jitter.

Phones, addresses, coordinates and community names are invented and only plausible.

Usage: ``.venv/bin/python scripts/make_reference_data.py`` (writes the files) or
``… --check`` (exit status 1 when the committed files differ from what this script generates).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import sys
from pathlib import Path

from onetrip.common import divisions

ROOT = Path(__file__).resolve().parents[1]
COMMON_DIR = ROOT / "src" / "onetrip" / "common" / "data" / "hangzhou"
STATIONS_DIR = ROOT / "src" / "onetrip" / "police" / "stations" / "data"

URBAN_DISTRICTS = {"330102", "330105", "330106", "330108"}

# Names of special areas without a 街道/镇/乡 suffix, as a station or community would use them.
SPECIAL_STEMS = {
    "萧山经济技术开发区": "开发区",
    "萧山商业城": "商业城",
    "围垦区": "围垦",
    "红山农场": "红山",
    "萧山钱江世纪城": "钱江世纪城",
}

# Extra windows in the busiest urban districts: street code → window name.
EXTRA_WINDOWS = {
    "330102003": "上城区行政服务中心居住证窗口",
    "330105013": "拱墅区市民之家居住证窗口",
    "330106013": "西湖区行政服务中心居住证窗口",
}

COMMUNITY_QUALIFIERS = ("", "东", "西", "南", "北", "新")
VILLAGE_NAMES = (
    "新民",
    "联合",
    "红星",
    "光明",
    "东山",
    "石桥",
    "湖塘",
    "上塘",
    "大溪",
    "山口",
    "枫林",
    "竹园",
    "桥头",
    "高桥",
    "塘头",
    "后山",
    "岭下",
    "溪口",
    "金星",
    "胜利",
    "和平",
    "青山",
    "白石",
    "方家",
    "王家",
    "徐家",
    "里阳",
    "外沙",
)

OPENING_HOURS = "周一至周五 08:30-12:00, 13:30-17:00；周六 09:00-12:00（法定节假日除外）"


def digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:8], "big")


def stem(street: divisions.Street) -> str:
    return SPECIAL_STEMS.get(street.name, street.stem)


def branch_name(district: divisions.District) -> str:
    if district.kind == "区":
        return f"杭州市公安局{district.name}分局"
    return f"{district.name}公安局"


def station_code(street: divisions.Street) -> str:
    """12 digits in the shape of a public-security organ code: district, 50 (station), street."""
    return f"{street.district_code}50{street.code[6:]}0"


def phone(seed: str) -> str:
    return f"0571-8{digest('phone', seed) % 10_000_000:07d}"


def address(district: divisions.District, street: divisions.Street, seed: str) -> str:
    number = 1 + digest("address", seed) % 298
    road = f"{stem(street)}路"
    return f"杭州市{district.name}{street.name}{road}{number}号"


def communities(street: divisions.Street) -> list[tuple[str, str]]:
    count = 2 + digest("communities", street.code) % 3
    base = stem(street)
    if street.kind in ("镇", "乡"):
        names = [f"{base}村"]
        start = digest("villages", street.code) % len(VILLAGE_NAMES)
        i = 0
        while len(names) < count:
            candidate = VILLAGE_NAMES[(start + 7 * i) % len(VILLAGE_NAMES)] + "村"
            i += 1
            if candidate not in names:
                names.append(candidate)
        return [(f"{street.code}{200 + n:03d}", name) for n, name in enumerate(names)]
    names = [f"{base}{q}社区" for q in COMMUNITY_QUALIFIERS[:count]]
    return [(f"{street.code}{1 + n:03d}", name) for n, name in enumerate(names)]


def jitter(seed: str, spread: float) -> float:
    return ((digest("jitter", seed) % 20001) / 10000.0 - 1.0) * spread


def coordinates(district: divisions.District, seed: str) -> tuple[str, str]:
    lat, lon = district.centroid or (30.274, 120.155)
    spread = 0.025 if district.code in URBAN_DISTRICTS else 0.08
    return (
        f"{lat + jitter(seed + 'lat', spread):.6f}",
        f"{lon + jitter(seed + 'lon', spread):.6f}",
    )


def to_csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def generate() -> dict[Path, str]:
    data = divisions.load(COMMON_DIR)
    community_rows: list[list[str]] = []
    station_rows: list[list[str]] = []
    coverage_rows: list[list[str]] = []
    window_rows: list[list[str]] = []
    for district in data.districts():
        for street in data.streets_by_district.get(district.code, ()):
            for code, name in communities(street):
                community_rows.append([code, name, street.code])
            code = station_code(street)
            station_address = address(district, street, code)
            station_phone = phone(code)
            station_rows.append(
                [
                    code,
                    f"{branch_name(district)}{stem(street)}派出所",
                    branch_name(district),
                    district.code,
                    station_phone,
                    station_address,
                ]
            )
            coverage_rows.append([code, street.code])
            lat, lon = coordinates(district, code)
            window_rows.append(
                [
                    f"{code}01",
                    code,
                    f"{stem(street)}派出所户籍窗口",
                    station_address,
                    station_phone,
                    OPENING_HOURS,
                    lat,
                    lon,
                    "1",
                ]
            )
            if street.code in EXTRA_WINDOWS:
                seed = f"{code}02"
                lat, lon = coordinates(district, seed)
                window_rows.append(
                    [
                        seed,
                        code,
                        EXTRA_WINDOWS[street.code],
                        address(district, street, seed),
                        phone(seed),
                        OPENING_HOURS,
                        lat,
                        lon,
                        "1",
                    ]
                )
    return {
        COMMON_DIR / "communities.csv": to_csv(["code", "name", "streetCode"], community_rows),
        STATIONS_DIR / "stations.csv": to_csv(
            ["code", "name", "branch_name", "district_code", "phone", "address"], station_rows
        ),
        STATIONS_DIR / "station_streets.csv": to_csv(
            ["station_code", "street_code"], coverage_rows
        ),
        STATIONS_DIR / "windows.csv": to_csv(
            [
                "code",
                "station_code",
                "name",
                "address",
                "phone",
                "opening_hours",
                "latitude",
                "longitude",
                "active",
            ],
            window_rows,
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    stale = []
    for path, text in generate().items():
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if args.check and stale:
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Organisation reporting: reading and checking a 500,000-row people sheet, its speed and its
peak memory (issue 14's acceptance: peak RSS under 500 MB).

    .venv/bin/python benchmarks/reporting_memory.py [--rows 500000] [--fresh] [--repeat 1]

1. Generates, once (cached in var/benchmarks/reporting/, --fresh to rebuild), an employer's
   people sheet: --rows rows of 入职/离职 with valid ID numbers from Hangzhou and other provinces,
   phones, dates within the last year, communities written as codes, ``街道社区`` or with the
   district, addresses down to the room, and about 2% bad rows (a wrong check character, a bad
   phone, a date in the future). The .xlsx is written the way Excel writes one (shared strings,
   cell references, dates as styled serial numbers; generated directly, much faster than
   openpyxl), and the same rows as a UTF-8 CSV.
2. Runs each measurement in a fresh Python process, so each peak RSS (``ru_maxrss``) is its own:
   the whole-file checks of the .xlsx alone (``scan``); reading only (``parse``: the scan,
   calamine and the rows); reading and validating (``read+validate``); validating only (rows
   read first, then timed).

Prints rows/s and peak RSS per line (``ru_maxrss``, and the kernel's VmHWM of the process's own
memory as a cross-check), and the machine's load average (other work may run on it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "var" / "benchmarks" / "reporting"
TODAY = dt.date(2026, 3, 2)
HEADER = ["事件", "姓名", "公民身份号码", "手机号码", "日期", "社区", "详细地址", "房屋编号"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国文斌辉玲萍红梅鹏飞宇浩然"
# Hangzhou's districts (with retired codes, as old ID numbers keep them) and other provinces.
REGIONS = [
    *("330102", "330105", "330106", "330108", "330109", "330110", "330111", "330112"),
    *("330103", "330104", "330185", "360426", "410102", "420106", "430104", "510104"),
    *("522601", "340104", "320102", "610112", "130102", "450102"),
]
ROADS = [
    *("文三路", "文二路", "保俶路", "教工路", "学院路", "莫干山路"),
    *("湖墅南路", "天目山路", "古墩路", "丰潭路", "江南大道", "滨盛路"),
]
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def load_average() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


# --- The data ------------------------------------------------------------------------------


def id_number(draw: random.Random) -> str:
    birth = dt.date(1966, 1, 1) + dt.timedelta(days=draw.randrange(40 * 365))
    body = f"{draw.choice(REGIONS)}{birth:%Y%m%d}{draw.randrange(1000):03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def people_rows(count: int, seed: int = 14) -> list[list[object]]:
    from onetrip.common import divisions

    found = divisions.load()
    communities = []
    for community in found.community_by_code.values():
        street = found.street_by_code[community.street_code]
        district = found.district_by_code[community.district_code]
        communities.append(
            (
                community.code,
                street.name + community.name,
                district.name + street.name + community.name,
            )
        )
    draw = random.Random(seed)
    rows: list[list[object]] = []
    for index in range(count):
        code, street_name, full_name = draw.choice(communities)
        spelling = draw.random()
        community = code if spelling < 0.6 else street_name if spelling < 0.9 else full_name
        number = id_number(draw)
        phone = f"1{draw.choice('3578')}{draw.randrange(10**9):09d}" if draw.random() < 0.8 else ""
        day = TODAY - dt.timedelta(days=draw.randrange(300))
        broken = draw.random()
        if broken < 0.007:
            number = number[:17] + ("0" if number[17] != "0" else "1")
        elif broken < 0.014:
            phone = "1380013800"
        elif broken < 0.02:
            day = TODAY + dt.timedelta(days=3)
        rows.append(
            [
                draw.choice(("入职", "入职", "离职")),
                draw.choice(SURNAMES)
                + "".join(draw.choice(GIVEN) for _ in range(draw.choice((1, 2)))),
                number,
                phone,
                day,
                community,
                f"{draw.choice(ROADS)}{draw.randrange(1, 400)}号{draw.randrange(1, 30)}幢"
                f"{draw.randrange(1, 5)}单元{draw.randrange(1, 30)}{draw.randrange(1, 5):02d}室",
                f"H{index % 20000:05d}" if draw.random() < 0.5 else "",
            ]
        )
    return rows


def _col(index: int) -> str:
    return "ABCDEFGH"[index]


def write_xlsx(path: Path, rows: list[list[object]]) -> None:
    """The sheet as Excel writes it: shared strings, references on every cell and row, dates as
    serial numbers with a date style."""
    strings: dict[str, int] = {}

    def shared(text: str) -> int:
        index = strings.get(text)
        if index is None:
            index = strings[text] = len(strings)
        return index

    epoch = dt.date(1899, 12, 30)
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            out.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns='
                b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:H'
                + str(len(rows) + 1).encode()
                + b'"/><sheetData>'
            )
            buffer: list[str] = []
            for number, row in enumerate([HEADER, *rows], start=1):
                cells = []
                for index, value in enumerate(row):
                    ref = f"{_col(index)}{number}"
                    if isinstance(value, dt.date):
                        cells.append(f'<c r="{ref}" s="1"><v>{(value - epoch).days}</v></c>')
                    elif value:
                        cells.append(f'<c r="{ref}" t="s"><v>{shared(str(value))}</v></c>')
                buffer.append(f'<row r="{number}" spans="1:8">{"".join(cells)}</row>')
                if len(buffer) >= 5000:
                    out.write("".join(buffer).encode())
                    buffer = []
            out.write("".join(buffer).encode())
            out.write(b"</sheetData></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
            out.write(
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://'
                f'schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" '
                f'uniqueCount="{len(strings)}">'.encode()
            )
            texts = list(strings)
            for start in range(0, len(texts), 5000):
                out.write(
                    "".join(
                        f"<si><t>{escape(t)}</t></si>" for t in texts[start : start + 5000]
                    ).encode()
                )
            out.write(b"</sst>")
        ns = "http://schemas.openxmlformats.org"
        archive.writestr(
            "[Content_Types].xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="{ns}/package/'
            f'2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
            f'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
            f'"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
            f'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
            f'"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            f'officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" '
            f'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
            f'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{ns}/'
            f'package/2006/relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/'
            f'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{ns}/'
            f'spreadsheetml/2006/main" xmlns:r="{ns}/officeDocument/2006/relationships"><sheets>'
            f'<sheet name="人员" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{ns}/'
            f'package/2006/relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/'
            f'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
            f'Type="{ns}/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId3" Type="{ns}/officeDocument/2006/relationships/sharedStrings" '
            f'Target="sharedStrings.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/styles.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{ns}/'
            f'spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode='
            f'"yyyy\\-mm\\-dd"/></numFmts><fonts count="1"><font><sz val="11"/><name val="等线"/>'
            f'</font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill>'
            f'</fills><borders count="1"><border/></borders><cellStyleXfs count="1">'
            f'<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            f'<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" '
            f'applyNumberFormat="1"/></cellXfs></styleSheet>',
        )
    tmp.replace(path)


def write_csv(path: Path, rows: list[list[object]]) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8-sig", newline="") as out:
        out.write(",".join(HEADER) + "\r\n")
        for row in rows:
            out.write(
                ",".join(v.isoformat() if isinstance(v, dt.date) else str(v) for v in row) + "\r\n"
            )
    tmp.replace(path)


def generate(count: int) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows = people_rows(count)
    write_xlsx(CACHE / f"people_{count}.xlsx", rows)
    write_csv(CACHE / f"people_{count}.csv", rows)
    print(f"generated {count:,} rows in {time.perf_counter() - started:.1f} s", flush=True)


def files_for(count: int, fresh: bool) -> tuple[Path, Path]:
    """The cached files, generated in a process of their own: Linux keeps a process's peak RSS
    across ``exec``, so a parent that had held 500,000 rows would lend its peak to every child
    it starts."""
    xlsx, csv = CACHE / f"people_{count}.xlsx", CACHE / f"people_{count}.csv"
    if fresh or not (xlsx.exists() and csv.exists()):
        subprocess.run([sys.executable, __file__, "--generate", str(count)], cwd=REPO, check=True)
    return xlsx, csv


# --- One measurement, in its own process ---------------------------------------------------


def child(mode: str, path: Path) -> None:
    from onetrip.portal.reporting import files
    from onetrip.portal.reporting.rows import RowValidator

    validator = RowValidator(organisation_kind="employer", today=TODAY)
    rows = valid = 0
    if mode == "scan":
        started = time.perf_counter()
        files._scan_xlsx(path)
        seconds = time.perf_counter() - started
        rows = -1
    elif mode == "validate":
        raws = list(files.read_rows(path, filename=path.name))
        started = time.perf_counter()
        for raw in raws:
            rows += 1
            valid += not isinstance(validator.validate(raw), list)
        seconds = time.perf_counter() - started
    else:
        started = time.perf_counter()
        for raw in files.read_rows(path, filename=path.name):
            rows += 1
            if mode == "read+validate":
                valid += not isinstance(validator.validate(raw), list)
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    status = Path("/proc/self/status").read_text()
    hwm = int(status.split("VmHWM:")[1].split()[0]) // 1024  # this process's own peak
    print(
        json.dumps(
            {"rows": rows, "valid": valid, "seconds": seconds, "peak_mb": peak, "hwm_mb": hwm}
        )
    )


def measure(mode: str, path: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        cwd=REPO, check=True, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--fresh", action="store_true", help="generate the files again")
    parser.add_argument("--repeat", type=int, default=1, help="runs per line; the best is shown")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(args.generate)
        return
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    xlsx, csv = files_for(args.rows, args.fresh)
    sizes = f"{xlsx.stat().st_size / 2**20:.1f} MB and {csv.stat().st_size / 2**20:.1f} MB"
    print(f"{args.rows:,} rows ({xlsx.name}, {csv.name}: {sizes}); load {load_average()}")
    print(
        f"{'file':6} {'measurement':14} {'rows/s':>10} {'seconds':>8} {'valid':>9} "
        f"{'peak RSS':>9} {'VmHWM':>8}"
    )
    lines = [
        ("xlsx", "scan", xlsx),
        ("xlsx", "parse", xlsx),
        ("xlsx", "validate", xlsx),
        ("xlsx", "read+validate", xlsx),
        ("csv", "parse", csv),
        ("csv", "validate", csv),
        ("csv", "read+validate", csv),
    ]
    for kind, mode, path in lines:
        runs = [measure(mode, path) for _ in range(max(args.repeat, 1))]
        best = min(runs, key=lambda r: r["seconds"])
        rate = f"{best['rows'] / best['seconds']:,.0f}" if best["rows"] > 0 else "-"
        valid = f"{best['valid']:,}" if best["rows"] > 0 else "-"
        peak = max(r["peak_mb"] for r in runs)
        hwm = max(r["hwm_mb"] for r in runs)
        print(
            f"{kind:6} {mode:14} {rate:>10} {best['seconds']:>8.2f} {valid:>9} "
            f"{peak:>6} MB {hwm:>5} MB",
            flush=True,
        )
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()

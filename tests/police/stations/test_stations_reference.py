"""Stations, their streets and windows: the packaged reference data and its loader (ID-20)."""

import csv
import shutil
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from onetrip.common import divisions
from onetrip.police.stations import selectors
from onetrip.police.stations.errors import ReferenceDataError
from onetrip.police.stations.models import Station, StationStreet, Window
from onetrip.police.stations.services import PACKAGED_DIR, reference_load

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def run_load(*args: str) -> str:
    out = StringIO()
    call_command("load_reference", *args, stdout=out)
    return out.getvalue()


def test_load_reference_loads_the_packaged_city_and_prints_counts():
    output = run_load()
    assert "派出所 stations: 196 (新增 created 196" in output
    assert "辖区街道 streets: 196 (新增 created 196" in output
    assert "办证窗口 windows: 199 (新增 created 199" in output
    assert "streets without a station" not in output
    assert Station.objects.count() == 196
    assert StationStreet.objects.count() == 196
    assert Window.objects.count() == 199


def test_load_reference_twice_changes_nothing():
    run_load()
    before = list(Window.objects.order_by("code").values())
    output = run_load()
    assert "未变 unchanged 196)" in output
    assert "未变 unchanged 199)" in output
    assert "新增 created 0, 更新 updated 0" in output
    assert list(Window.objects.order_by("code").values()) == before
    report = reference_load()
    assert not report.changed


def copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "ref"
    shutil.copytree(PACKAGED_DIR, target)
    return target


def rewrite(path: Path, change) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    fieldnames = list(rows[0])
    rows = change(rows)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_load_reference_from_a_deployment_directory_updates_changed_rows(tmp_path):
    run_load()
    own = copy_data(tmp_path)

    def rename(rows):
        rows[0]["phone"] = "0571-80000000"
        return rows

    def deactivate(rows):
        rows[0]["active"] = "0"
        return rows

    rewrite(own / "stations.csv", rename)
    rewrite(own / "windows.csv", deactivate)
    output = run_load("--dir", str(own))
    assert "派出所 stations: 196 (新增 created 0, 更新 updated 1, 未变 unchanged 195)" in output
    assert "办证窗口 windows: 199 (新增 created 0, 更新 updated 1, 未变 unchanged 198)" in output
    assert Station.objects.get(code="330102500010").phone == "0571-80000000"
    assert Window.objects.filter(active=False).count() == 1


def test_a_street_moves_to_another_station(tmp_path):
    run_load()
    own = copy_data(tmp_path)

    def move(rows):
        for row in rows:
            if row["street_code"] == "330106002":
                row["station_code"] = "330106500040"
        return rows

    rewrite(own / "station_streets.csv", move)
    report = reference_load(directory=own)
    assert (report.streets.updated, report.streets.unchanged) == (1, 195)
    assert selectors.station_for_street("330106002").code == "330106500040"


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        ("stations.csv", lambda rows: [*rows, dict(rows[0])], "duplicate station code"),
        (
            "stations.csv",
            lambda rows: [{**rows[0], "district_code": "330103"}, *rows[1:]],
            "not a current district",
        ),
        (
            "station_streets.csv",
            lambda rows: [
                *rows,
                {"station_code": rows[0]["station_code"], "street_code": "330103001"},
            ],
            "unknown street",
        ),
        ("station_streets.csv", lambda rows: [*rows, dict(rows[0])], "street covered twice"),
        (
            "windows.csv",
            lambda rows: [{**rows[0], "station_code": "000000000000"}, *rows[1:]],
            "unknown station code",
        ),
        ("windows.csv", lambda rows: [{**rows[0], "latitude": "north"}, *rows[1:]], "coordinate"),
        ("windows.csv", lambda rows: [{**rows[0], "active": "yes"}, *rows[1:]], "active"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_written(tmp_path, file, change, message):
    own = copy_data(tmp_path)
    rewrite(own / file, change)
    with pytest.raises(ReferenceDataError, match=message) as info:
        reference_load(directory=own)
    assert info.value.message_zh and info.value.message_en
    assert Station.objects.count() == 0
    with pytest.raises(CommandError):
        run_load("--dir", str(own))


def test_missing_file_and_missing_column(tmp_path):
    own = copy_data(tmp_path)
    (own / "windows.csv").unlink()
    with pytest.raises(ReferenceDataError, match="not found") as info:
        reference_load(directory=own)
    assert info.value.code == "reference_missing"
    (own / "windows.csv").write_text("code,name\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="lacks columns"):
        reference_load(directory=own)


def test_a_partial_deployment_reports_uncovered_streets(tmp_path):
    own = copy_data(tmp_path)
    rewrite(own / "station_streets.csv", lambda rows: rows[:-1])
    report = reference_load(directory=own)
    assert report.uncovered_streets == ["330182202"]
    output = run_load("--dir", str(own))
    assert "streets without a station: 1" in output


class TestPackagedData:
    @pytest.fixture(autouse=True)
    def _loaded(self):
        reference_load()

    def test_id20_station_per_street_named_after_branch_and_place(self):
        beishan = selectors.station_for_street("330106002")
        assert beishan is not None
        assert beishan.code == "330106500020"
        assert beishan.name == "杭州市公安局西湖区分局北山派出所"
        assert beishan.branch_name == "杭州市公安局西湖区分局"
        assert beishan.district_code == "330106"
        hubin = selectors.station_for_street("330102003")
        assert hubin is not None
        assert (hubin.code, hubin.name) == ("330102500030", "杭州市公安局上城区分局湖滨派出所")
        zhuantang = selectors.station_for_street("330106010")
        assert zhuantang is not None and zhuantang.name == "杭州市公安局西湖区分局转塘派出所"

    def test_id20_county_bureaus_issue_as_county_public_security_bureau(self):
        branches = set(
            Station.objects.filter(district_code__in=["330122", "330127", "330182"]).values_list(
                "branch_name", flat=True
            )
        )
        assert branches == {"桐庐县公安局", "淳安县公安局", "建德市公安局"}
        qiandaohu = selectors.station_for_street("330127100")
        assert qiandaohu is not None and qiandaohu.name == "淳安县公安局千岛湖派出所"
        eshan = selectors.station_for_street("330122201")
        assert eshan is not None and eshan.name == "桐庐县公安局莪山派出所"

    def test_every_street_of_the_city_is_covered_by_one_station_of_its_district(self):
        city = divisions.load()
        coverage = dict(StationStreet.objects.values_list("street_code", "station__district_code"))
        assert set(coverage) == set(city.street_by_code)
        for street_code, district_code in coverage.items():
            assert street_code.startswith(district_code)

    def test_station_names_are_unique(self):
        names = list(Station.objects.values_list("name", flat=True))
        assert len(names) == len(set(names)) == 196

    def test_station_for_community(self):
        for code in ("330106002001", "330106002004"):
            station = selectors.station_for_community(code)
            assert station is not None and station.code == "330106500020"
        village = selectors.station_for_community("330106109200")  # 三墩村, 三墩镇
        assert village is not None and village.name == "杭州市公安局西湖区分局三墩派出所"
        assert selectors.station_for_community("330106002999") is None
        assert selectors.station_for_community("") is None

    def test_station_by_code_and_streets(self):
        station = selectors.station_by_code("330106500020")
        assert station is not None
        assert selectors.street_codes_of(station) == ["330106002"]
        assert selectors.station_by_code("nope") is None
        assert selectors.stations_in_district("330106").count() == 12

    def test_windows_one_per_station_plus_three_in_busy_districts(self):
        hubin = selectors.station_by_code("330102500030")
        assert hubin is not None
        windows = list(selectors.windows_of(hubin))
        assert [w.code for w in windows] == ["33010250003001", "33010250003002"]
        assert windows[1].name == "上城区行政服务中心居住证窗口"
        assert selectors.active_windows().count() == 199
        per_station = Station.objects.filter(windows__isnull=True).count()
        assert per_station == 0

    def test_windows_of_hides_inactive_windows_unless_asked(self):
        station = selectors.station_by_code("330106500020")
        assert station is not None
        Window.objects.filter(station=station).update(active=False)
        assert not selectors.windows_of(station).exists()
        assert selectors.windows_of(station, active_only=False).count() == 1

    def test_windows_lie_near_their_district_centroid(self):
        for window in selectors.active_windows():
            district = divisions.district(window.station.district_code)
            assert district is not None and district.centroid is not None
            lat, lon = district.centroid
            assert abs(window.latitude - Decimal(str(lat))) <= Decimal("0.08")
            assert abs(window.longitude - Decimal(str(lon))) <= Decimal("0.08")
            assert window.phone.startswith("0571-")
            assert window.address.startswith("杭州市")
            assert "周一至周五" in window.opening_hours

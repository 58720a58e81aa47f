"""Divisions of the deployment's city (DOMAIN ID-16…ID-19)."""

import subprocess
import sys
from pathlib import Path

import pytest

from onetrip.common import divisions

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch):
    monkeypatch.delenv(divisions.ENV_VAR, raising=False)
    divisions.clear_cache()
    yield
    divisions.clear_cache()


def test_id19_current_districts_are_the_thirteen_after_2021():
    codes = [d.code for d in divisions.districts()]
    assert codes == [
        "330102",
        "330105",
        "330106",
        "330108",
        "330109",
        "330110",
        "330111",
        "330112",
        "330113",
        "330114",
        "330122",
        "330127",
        "330182",
    ]
    assert all(d.current and d.successor_codes == () for d in divisions.districts())


def test_id16_retired_codes_stay_readable():
    all_codes = {d.code for d in divisions.districts(include_retired=True)}
    assert {"330103", "330104", "330185"} <= all_codes
    xiacheng = divisions.district("330103")
    assert xiacheng is not None
    assert xiacheng.name == "下城区"
    assert not xiacheng.current
    assert xiacheng.valid_until is not None and xiacheng.valid_until.year == 2021
    assert "330103" in divisions.district_codes_ever()


def test_id19_xiacheng_maps_forward_to_gongshu():
    assert divisions.current_district_for("330103") == ("330105",)


def test_id17_linan_city_maps_forward_to_linan_district():
    assert divisions.current_district_for("330185") == ("330112",)


def test_id18_jianggan_is_ambiguous_and_needs_the_street():
    assert divisions.current_district_for("330104") == ("330102", "330114")
    # The street decides: 下沙 and 白杨 are in 钱塘区 with their current codes.
    xiasha = divisions.street("330114001")
    assert xiasha is not None and xiasha.name == "下沙街道"
    assert xiasha.district_code == "330114"


def test_current_district_for_current_and_unknown_codes():
    assert divisions.current_district_for("330106") == ("330106",)
    assert divisions.current_district_for("999999") == ()


def test_streets_of_a_district_and_their_parent():
    xihu = divisions.streets_of("330106")
    assert len(xihu) == 12
    names = {s.name for s in xihu}
    assert {"北山街道", "转塘街道", "三墩镇", "双浦镇"} <= names
    beishan = divisions.street("330106002")
    assert beishan is not None
    assert (beishan.name, beishan.district_code, beishan.stem, beishan.kind) == (
        "北山街道",
        "330106",
        "北山",
        "街道",
    )
    assert divisions.streets_of("330103") == []
    assert sum(len(divisions.streets_of(d.code)) for d in divisions.districts()) == 196


def test_street_stem_and_kind():
    assert divisions.Street("330122105", "莪山畲族乡", "330122").stem == "莪山"
    assert divisions.Street("330122105", "莪山畲族乡", "330122").kind == "乡"
    assert divisions.Street("330106109", "三墩镇", "330106").stem == "三墩"
    special = divisions.Street("330109503", "红山农场", "330109")
    assert (special.stem, special.kind) == ("红山农场", "")


def test_every_street_has_two_to_four_communities_with_nested_codes():
    data = divisions.load()
    assert len(data.street_by_code) == 196
    for street in data.street_by_code.values():
        members = divisions.communities_of(street.code)
        assert 2 <= len(members) <= 4, street
        for c in members:
            assert len(c.code) == 12 and c.code.startswith(street.code)
            assert c.street_code == street.code
            if street.kind in ("镇", "乡"):
                assert c.kind == "村" and c.code[9:] >= "200"
            else:
                assert c.kind == "社区" and c.code[9:] < "200"


def test_community_lookup_and_is_in_city():
    c = divisions.community("330106002001")
    assert c is not None
    assert (c.name, c.street_code, c.district_code) == ("北山社区", "330106002", "330106")
    assert divisions.is_in_city("330106002001")
    assert not divisions.is_in_city("330106002999")
    assert not divisions.is_in_city("110105001001")
    assert divisions.community("nope") is None


def test_centroids_are_loaded():
    xihu = divisions.district("330106")
    assert xihu is not None and xihu.centroid == (30.26, 120.1)


def test_a_deployment_loads_its_own_directory(tmp_path, monkeypatch):
    (tmp_path / "districts.csv").write_text("code,name\n330106,西湖区\n", encoding="utf-8")
    (tmp_path / "streets.csv").write_text(
        "code,name,areaCode\n330106002,北山街道,330106\n", encoding="utf-8"
    )
    (tmp_path / "communities.csv").write_text(
        "code,name,streetCode\n330106002007,宝石社区,330106002\n", encoding="utf-8"
    )
    own = divisions.load(tmp_path)
    assert [d.code for d in own.districts()] == ["330106"]
    assert list(own.community_by_code) == ["330106002007"]

    monkeypatch.setenv(divisions.ENV_VAR, str(tmp_path))
    assert divisions.data_dir() == tmp_path.resolve()
    assert divisions.is_in_city("330106002007")
    assert not divisions.is_in_city("330106002001")
    assert divisions.current_district_for("330103") == ()


def test_loading_is_cached():
    assert divisions.load() is divisions.load()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"streets.csv": "code,name,areaCode\n330106002,北山街道,330106\n"}, "districts.csv"),
        ({"districts.csv": "code,name\n3301,杭州市\n"}, "not 6 digits"),
        ({"districts.csv": "code\n330106\n"}, "missing columns"),
        (
            {
                "districts.csv": "code,name\n330106,西湖区\n",
                "streets.csv": "code,name,areaCode\n330105001,某街道,330105\n",
            },
            "no current district",
        ),
        (
            {
                "districts.csv": "code,name\n330106,西湖区\n",
                "retired_districts.csv": "code,name,successorCodes\n330103,下城区,330105\n",
            },
            "unknown successor",
        ),
        (
            {
                "districts.csv": "code,name\n330106,西湖区\n",
                "streets.csv": "code,name,areaCode\n330106002,北山街道,330106\n",
                "communities.csv": "code,name,streetCode\n330106003001,某社区,330106003\n",
            },
            "no known street",
        ),
    ],
)
def test_malformed_directories_are_refused(tmp_path, files, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(divisions.DivisionsDataError, match=message):
        divisions.load(tmp_path)


def test_generated_reference_data_is_up_to_date():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_reference_data.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr

import pytest

from onetrip.police.stations.models import Station, StationStreet


def make_station(code: str, name: str, district_code: str, street_code: str) -> Station:
    station = Station.objects.create(
        code=code,
        name=name,
        branch_name=name.split("分局")[0] + "分局",
        district_code=district_code,
    )
    StationStreet.objects.create(station=station, street_code=street_code)
    return station


@pytest.fixture
def beishan():
    return make_station("330106500020", "杭州市公安局西湖区分局北山派出所", "330106", "330106002")


@pytest.fixture
def xixi():
    return make_station("330106500040", "杭州市公安局西湖区分局西溪派出所", "330106", "330106004")


@pytest.fixture
def hubin():
    return make_station("330102500030", "杭州市公安局上城区分局湖滨派出所", "330102", "330102003")

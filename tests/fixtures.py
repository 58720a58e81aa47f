"""Fixtures for tests that drive a residence declaration through both zones.

Import them in a conftest: `from tests.fixtures import *  # noqa: F403`."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

BEISHAN_STREET = "330106002"
BEISHAN_COMMUNITY = "330106002001"
HUBIN_STREET = "330102003"
RESIDENT_PHONE = "13800138000"


@pytest.fixture
def sms_simulator(tmp_path, settings):
    """The SMS gateway simulator on a free loopback port, wired in as the portal's gateway."""
    from onetrip.simulators.sms import SmsSimulator

    with SmsSimulator(store=tmp_path / "sms") as sim:
        settings.ONETRIP_SMS_GATEWAY_URL = sim.url
        yield sim


@pytest.fixture
def reference_data(db, django_db_blocker):
    from onetrip.police.stations.models import Station

    if not Station.objects.exists():
        call_command("load_reference", verbosity=0)


@pytest.fixture
def beishan(reference_data):
    from onetrip.police.stations.selectors import station_for_street

    return station_for_street(BEISHAN_STREET)


@pytest.fixture
def hubin(reference_data):
    from onetrip.police.stations.selectors import station_for_street

    return station_for_street(HUBIN_STREET)


def staff(username, role, station, district_code=""):
    from onetrip.police.accounts.services import staff_create

    return staff_create(
        username=username,
        password="x-Strong-pass-9",
        full_name=username,
        role=role,
        station=station,
        district_code=district_code,
    )


@pytest.fixture
def clerk(beishan):
    return staff("clerk_beishan", "window_clerk", beishan)


@pytest.fixture
def other_clerk(hubin):
    return staff("clerk_hubin", "window_clerk", hubin)


@pytest.fixture
def clerk_client(clerk):
    from django.test import Client

    c = Client(HTTP_HOST="police.testserver")
    c.force_login(clerk)
    return c


@pytest.fixture
def other_clerk_client(other_clerk):
    from django.test import Client

    c = Client(HTTP_HOST="police.testserver")
    c.force_login(other_clerk)
    return c


@pytest.fixture
def resident(db):
    from onetrip.portal.accounts.models import Resident
    from onetrip.portal.accounts.services import phone_hash_of

    return Resident.objects.create(phone=RESIDENT_PHONE, phone_hash=phone_hash_of(RESIDENT_PHONE))


@pytest.fixture
def resident_client(resident):
    from django.test import Client

    from onetrip.portal.accounts.auth import SESSION_KEY

    c = Client(HTTP_HOST="portal.testserver")
    session = c.session
    session[SESSION_KEY] = str(resident.pk)
    session.save()
    return c


def valid_declaration(**overrides: str) -> dict[str, str]:
    data = {
        "name": "张三",
        "id_number": "33010619900101123X",
        "sex": "M",
        "birth_date": "1990-01-01",
        "phone": RESIDENT_PHONE,
        "district": "330106",
        "street": BEISHAN_STREET,
        "community_code": BEISHAN_COMMUNITY,
        "address_detail": "曙光路 12 号 3 幢 201 室",
        "housing_type": "rented",
        "landlord_name": "李四",
        "landlord_phone": "13900139000",
        "reason": "work",
        "arrival_date": "2026-11-20",
        "employer_name": "杭州示例科技有限公司",
    }
    data.update(overrides)
    return data


def submitted_declaration(reference: str = "JZ26112700000001", community: str = BEISHAN_COMMUNITY):
    """The ferry message of a declaration as the police zone receives it."""
    from onetrip.contracts.declarations import DeclarationSubmittedV1

    return DeclarationSubmittedV1(
        reference=reference,
        name="张三",
        id_number="33010619900101123X",
        sex="M",
        birth_date=dt.date(1990, 1, 1),
        phone="13800138000",
        community_code=community,
        address_detail="曙光路 12 号",
        housing_type="rented",
        landlord_name="李四",
        reason="work",
        arrival_date=dt.date(2026, 11, 20),
        declared_at=timezone.now() - dt.timedelta(hours=1),
    )

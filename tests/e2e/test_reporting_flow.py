"""An organisation reports end to end: it signs up on the portal, the district approves it in
the police zone, its file is read on the portal and crosses the ferry in chunks, the register
takes the rows, and the answers come back to finish the import (ZJ-6…ZJ-9, WF-4)."""

from __future__ import annotations

import pytest
import time_machine

from onetrip.police.accounts.models import Role
from onetrip.police.reporting.models import ReportedPerson, ReportedStay
from onetrip.police.reporting.services import organisation_decide
from onetrip.portal.notify.models import SmsMessage
from onetrip.portal.reporting import services as portal_services
from onetrip.portal.reporting.models import ImportSource, ImportStatus, OrganisationStatus
from onetrip.portal.reporting.services import import_create, import_run
from tests.ferry.helpers import pump
from tests.fixtures import BEISHAN_COMMUNITY, staff
from tests.portal.reporting.helpers import signed_up

pytestmark = pytest.mark.django_db(databases=["default", "police"], transaction=True)

HEADER = "事件,姓名,公民身份号码,手机号码,日期,社区,详细地址,房屋编号"
ROWS = [
    f"入职,张三,33010619900101123X,13800138000,2026-11-20,{BEISHAN_COMMUNITY},曙光路12号3幢201室,",
    f"入职,李娜,330103198512310027,,2026-11-21,{BEISHAN_COMMUNITY},曙光路12号3幢202室,",
    f"入职,王五,11010519491231002X,13900139000,2026-11-22,{BEISHAN_COMMUNITY},曙光路12号3幢203室,",
    f"入职,赵六,110105194912310021,,2026-11-22,{BEISHAN_COMMUNITY},曙光路12号3幢204室,",
]


def _csv(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def _import(organisation, content: bytes, name: str):
    report_import, _ = import_create(
        organisation=organisation,
        source=ImportSource.UPLOAD,
        filename=name,
        content=content,
        run=False,
    )
    return import_run(reference=report_import.reference)


@pytest.fixture
def approved(ferry_env, resident, beishan):
    organisation = signed_up(resident)
    pump()
    admin = staff("xihu.admin", Role.DISTRICT_ADMIN, None, district_code="330106")
    organisation_decide(user=admin, credit_code=organisation.credit_code, decision="approved")
    pump()
    organisation.refresh_from_db()
    assert organisation.status == OrganisationStatus.APPROVED
    return organisation


def test_wf4_a_file_crosses_in_chunks_lands_in_the_register_and_the_import_finishes(
    approved, sms_simulator, monkeypatch
):
    monkeypatch.setattr(portal_services, "MAX_ROWS_PER_MESSAGE", 2)
    with time_machine.travel("2026-11-25 10:00:00+08:00", tick=True):
        report_import = _import(approved, _csv(*ROWS), "people.csv")
        assert report_import.chunks_sent == 2
        pump()
    report_import.refresh_from_db()
    assert report_import.status == ImportStatus.DONE
    assert (report_import.rows_valid, report_import.rows_rejected) == (3, 1)
    assert report_import.rows_applied == 3
    assert ReportedPerson.objects.count() == 3
    stays = ReportedStay.objects.filter(organisation__credit_code=approved.credit_code)
    assert stays.count() == 3
    assert all(stay.station.code for stay in stays)
    texts = [sms.text for sms in SmsMessage.objects.all()]
    assert sum(report_import.reference in text for text in texts) == 1


def test_wf4_the_same_rows_in_another_file_change_nothing_in_the_register(approved):
    with time_machine.travel("2026-11-25 10:00:00+08:00", tick=True):
        _import(approved, _csv(*ROWS[:3]), "week-1.csv")
        pump()
        again = _import(approved, _csv(*ROWS[:3], ROWS[0].replace("张三", "张三")), "week-1b.csv")
        pump()
    again.refresh_from_db()
    assert again.status == ImportStatus.DONE
    assert again.rows_applied == 0
    assert again.rows_unchanged == 3
    assert ReportedStay.objects.count() == 3


def test_wf4_a_departure_closes_the_stay_it_ends(approved):
    with time_machine.travel("2026-11-25 10:00:00+08:00", tick=True):
        _import(approved, _csv(ROWS[0]), "hired.csv")
        pump()
        left = ROWS[0].replace("入职", "离职").replace("2026-11-20", "2026-11-24")
        done = _import(approved, _csv(left), "left.csv")
        pump()
    done.refresh_from_db()
    assert done.rows_applied == 1
    (stay,) = ReportedStay.objects.all()
    assert str(stay.ended_on) == "2026-11-24"

"""The workbench pages of organisation reporting: who sees what (404 outside the scope, 403 for
a role without the work), masked identifiers, an audit row for every read (WF-6), CSRF."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from onetrip.police.audit.models import AuditEvent
from onetrip.police.reporting.models import ReportConflict, ReportingOrganisation
from onetrip.police.reporting.services import organisation_receive, report_rows_apply
from tests.fixtures import staff

from .helpers import (
    CREDIT,
    arrival,
    chunk,
    city_admin,
    district_admin,
    id_number,
    make_conflict,
    make_stay,
    registered,
)

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def client_for(user) -> Client:
    client = Client(HTTP_HOST="police.testserver")
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


# -- reported stays -------------------------------------------------------------------------------


def test_wf6_the_station_sees_its_reported_people_masked_and_the_read_is_audited(beishan):
    make_stay()
    clerk = staff("clerk_beishan", "window_clerk", beishan)
    response = client_for(clerk).get("/reporting/stays/")
    assert response.status_code == 200
    page = text(response)
    assert "张*" in page and "3301**********" in page
    assert id_number(1) not in page and "张三" not in page
    assert "曙光路" not in page  # the address is not shown in the list
    event = AuditEvent.objects.get(action="reported_stay.view_personal_data")
    assert event.actor == "clerk_beishan"
    assert event.detail["fields"] == [
        "community_code",
        "person.id_number:masked",
        "person.name:masked",
    ]
    assert event.detail["rows"] == 1


def test_another_station_sees_nothing_and_reads_nobody(beishan, hubin):
    make_stay()
    response = client_for(staff("clerk_hubin", "window_clerk", hubin)).get("/reporting/stays/")
    assert response.status_code == 200
    assert "张*" not in text(response)
    assert not AuditEvent.objects.filter(action="reported_stay.view_personal_data").exists()


@pytest.mark.parametrize("role", ["district_admin", "city_admin"])
def test_administrators_see_the_stays_of_their_scope(beishan, role):
    make_stay()
    user = district_admin() if role == "district_admin" else city_admin()
    assert "张*" in text(client_for(user).get("/reporting/stays/"))
    other = district_admin("district_shangcheng", "330102")
    assert "张*" not in text(client_for(other).get("/reporting/stays/"))


@pytest.mark.parametrize("role", ["system_admin", "security_admin", "audit_admin"])
def test_the_security_administrators_have_no_reporting_pages(role):
    client = client_for(staff(f"{role}_x", role, None))
    for url in ("/reporting/stays/", "/reporting/late/", "/reporting/conflicts/"):
        assert client.get(url).status_code == 403
    assert client.get("/reporting/organisations/").status_code == 403


def test_nobody_logged_in_is_sent_to_the_log_in(db):
    response = Client(HTTP_HOST="police.testserver").get("/reporting/stays/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_stays_filters(beishan):
    organisation = make_stay(1)
    day = timezone.localdate() - dt.timedelta(days=30)
    report_rows_apply(message=chunk([arrival(2, 2, day)], number=2))  # reported late
    clerk = client_for(staff("clerk_beishan", "window_clerk", beishan))
    assert text(clerk.get("/reporting/stays/")).count("3301**********") == 2
    late = text(clerk.get("/reporting/stays/?late=1"))
    assert late.count("3301**********") == 1 and "逾期" in late
    other = text(clerk.get("/reporting/stays/?organisation=91330106MA2B99999X"))
    assert "3301**********" not in other
    mine = text(clerk.get(f"/reporting/stays/?organisation={organisation.credit_code.lower()}"))
    assert mine.count("3301**********") == 2
    assert "3301**********" not in text(clerk.get("/reporting/stays/?state=closed"))


# -- late reporters -------------------------------------------------------------------------------


def test_zj20_late_reporters_with_the_possible_fine_of_100_yuan_per_person(beishan):
    make_stay(1)
    long_ago = timezone.localdate() - dt.timedelta(days=20)
    report_rows_apply(message=chunk([arrival(1, 2, long_ago), arrival(2, 3, long_ago)], number=2))
    response = client_for(staff("clerk_beishan", "window_clerk", beishan)).get("/reporting/late/")
    assert response.status_code == 200
    [row] = response.context["rows"]
    assert (row["o"].late_arrivals, row["o"].persons, row["o"].possible_fine_yuan) == (2, 2, 200)
    assert response.context["total_fine"] == 200
    assert "杭州示例科技有限公司" in text(response)


# -- conflicts ------------------------------------------------------------------------------------


def test_the_station_resolves_a_conflict_on_its_page(beishan, hubin):
    conflict_id = make_conflict()
    clerk = client_for(staff("clerk_beishan", "window_clerk", beishan))
    page = text(clerk.get("/reporting/conflicts/"))
    assert "同一天在两处入住/入职" in page
    assert f"/reporting/conflicts/{conflict_id}/resolve/" in page
    assert AuditEvent.objects.filter(action="report_conflict.view_personal_data").exists()
    url = f"/reporting/conflicts/{conflict_id}/resolve/"
    other = client_for(staff("clerk_hubin", "window_clerk", hubin))
    assert other.post(url, {"note": "经核实情况属实"}).status_code == 404
    admin = client_for(district_admin())
    assert admin.post(url, {"note": "经核实情况属实"}).status_code == 403
    response = clerk.post(url, {"note": ""})
    assert response.status_code == 302
    assert ReportConflict.objects.get().resolved_at is None
    response = clerk.post(url, {"note": "经上门核实，两处均为其住所"})
    assert response.status_code == 302
    assert ReportConflict.objects.get().resolved_at is not None


def test_a_form_post_without_the_csrf_token_is_refused(beishan):
    conflict_id = make_conflict()
    client = Client(HTTP_HOST="police.testserver", enforce_csrf_checks=True)
    client.force_login(staff("clerk_beishan", "window_clerk", beishan))
    response = client.post(f"/reporting/conflicts/{conflict_id}/resolve/", {"note": "经核实属实"})
    assert response.status_code == 403
    assert ReportConflict.objects.get().resolved_at is None


# -- organisations --------------------------------------------------------------------------------


def test_wf6_the_district_sees_its_waiting_organisations_masked_and_approves_one(beishan):
    organisation_receive(message=registered())
    organisation_receive(message=registered("91330102MA2C00001X", district="330102"))
    admin = client_for(district_admin())
    response = admin.get("/reporting/organisations/")
    assert response.status_code == 200
    page = text(response)
    assert CREDIT in page and "91330102MA2C00001X" not in page
    assert "王*" in page and "137****7000" in page and "13700137000" not in page
    assert AuditEvent.objects.filter(
        action="reporting_organisation.view_personal_data", object_id="queue:pending"
    ).exists()
    response = admin.post(f"/reporting/organisations/{CREDIT}/decide/", {"decision": "approved"})
    assert response.status_code == 302
    assert ReportingOrganisation.objects.get(credit_code=CREDIT).status == "approved"


def test_refusing_without_a_reason_is_shown_and_changes_nothing(db):
    organisation_receive(message=registered())
    admin = client_for(district_admin())
    response = admin.post(
        f"/reporting/organisations/{CREDIT}/decide/", {"decision": "refused"}, follow=True
    )
    assert "请写明理由" in text(response)
    assert ReportingOrganisation.objects.get().status == "pending"


def test_organisations_outside_the_scope_are_not_found(beishan):
    organisation_receive(message=registered())
    url = f"/reporting/organisations/{CREDIT}/decide/"
    other = client_for(district_admin("district_shangcheng", "330102"))
    assert other.post(url, {"decision": "approved"}).status_code == 404
    assert CREDIT not in text(other.get("/reporting/organisations/"))
    clerk = client_for(staff("clerk_beishan", "window_clerk", beishan))
    assert clerk.post(url, {"decision": "approved"}).status_code == 404
    assert clerk.get("/reporting/organisations/").status_code == 403
    assert ReportingOrganisation.objects.get().status == "pending"
    city = client_for(city_admin())
    assert city.post(url, {"decision": "approved"}).status_code == 302
    assert ReportingOrganisation.objects.get().status == "approved"


def test_home_leads_to_the_work_waiting(beishan):
    organisation_receive(message=registered())
    assert (
        client_for(district_admin())
        .get("/reporting/")["Location"]
        .endswith("/reporting/organisations/")
    )
    clerk = client_for(staff("clerk_beishan", "window_clerk", beishan))
    assert clerk.get("/reporting/")["Location"].endswith("/reporting/stays/")


def test_zj20_the_fine_per_person_is_the_citys_setting_on_both_pages(beishan, settings):
    settings.ONETRIP_REPORTING_FINE_PER_PERSON_YUAN = 50
    make_stay(1)
    long_ago = timezone.localdate() - dt.timedelta(days=20)
    report_rows_apply(message=chunk([arrival(1, 2, long_ago), arrival(2, 3, long_ago)], number=2))
    clerk = client_for(staff("clerk_beishan", "window_clerk", beishan))
    late = clerk.get("/reporting/late/")
    assert late.context["total_fine"] == 100
    assert "按每人50元处以罚款" in text(late)
    assert "按每人50元处以罚款" in text(clerk.get("/reporting/stays/"))

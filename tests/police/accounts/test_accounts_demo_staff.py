"""`load_demo_staff`: demo staff of every role, idempotent."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from onetrip.police.accounts.models import Role, StaffProfile
from onetrip.police.accounts.selectors import station_codes_in_scope

pytestmark = pytest.mark.django_db(databases=["default", "police"])

USERNAMES = {
    "clerk_beishan",
    "reviewer_beishan",
    "approver_beishan",
    "admin_beishan",
    "field_beishan",
    "clerk_hubin",
    "district_xihu",
    "city_admin",
}


def run() -> str:
    out = StringIO()
    call_command("load_demo_staff", stdout=out)
    return out.getvalue()


def test_demo_staff_need_the_stations_first():
    with pytest.raises(CommandError, match="load_reference"):
        run()


def test_demo_staff_are_created_with_their_scopes(beishan, hubin, xixi):
    output = run()
    assert "onetrip-demo" in output
    for username in USERNAMES:
        assert username in output
    assert set(User.objects.values_list("username", flat=True)) == USERNAMES
    for user in User.objects.all():
        assert user.check_password("onetrip-demo")
    profiles = {p.user.username: p for p in StaffProfile.objects.select_related("user", "station")}
    assert profiles["clerk_beishan"].role == Role.WINDOW_CLERK
    assert profiles["admin_beishan"].role == Role.STATION_ADMIN
    assert profiles["field_beishan"].role == Role.FIELD_OFFICER
    for name in ("clerk", "reviewer", "approver", "admin", "field"):
        assert profiles[f"{name}_beishan"].station == beishan
    assert profiles["clerk_hubin"].station == hubin
    assert station_codes_in_scope(profiles["district_xihu"]) == {beishan.code, xixi.code}
    assert station_codes_in_scope(profiles["city_admin"]) is None


def test_demo_staff_twice_changes_nothing_and_repairs_drift(beishan, hubin):
    run()
    before = {p.pk: (p.role, p.station_id, p.district_code) for p in StaffProfile.objects.all()}
    clerk = User.objects.get(username="clerk_beishan")
    clerk.set_password("changed")
    clerk.is_active = False
    clerk.save()
    output = run()
    assert output.count("exists") == len(USERNAMES)
    after = {p.pk: (p.role, p.station_id, p.district_code) for p in StaffProfile.objects.all()}
    assert after == before
    clerk.refresh_from_db()
    assert clerk.is_active and clerk.check_password("onetrip-demo")
    assert User.objects.count() == len(USERNAMES)


def test_demo_staff_with_the_packaged_reference_data():
    call_command("load_reference", stdout=StringIO())
    output = run()
    assert "杭州市公安局西湖区分局北山派出所" in output
    assert "杭州市公安局上城区分局湖滨派出所" in output

"""The workbench header names the signed-in officer and offers log-out on every page."""

import pytest

from tests.fixtures import beishan, clerk, clerk_client, reference_data  # noqa: F401

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def test_header_shows_officer_station_and_logout(clerk_client):  # noqa: F811
    page = clerk_client.get("/declarations/").content.decode()
    assert "clerk_beishan" in page
    assert "北山派出所" in page
    assert 'action="/logout/"' in page


@pytest.mark.parametrize(
    ("role", "home"),
    [
        ("window_clerk", "/declarations/"),
        ("reviewer", "/declarations/"),
        ("approver", "/station/"),
        ("audit_admin", "/security/audit/"),
        ("system_admin", "/security/staff/"),
        ("security_admin", "/security/locks/"),
    ],
)
def test_each_officer_starts_where_their_work_is(beishan, role, home):  # noqa: F811
    from django.test import Client

    from tests.fixtures import staff

    city_wide = role.endswith("_admin") and role != "station_admin"
    user = staff(f"home_{role}", role, None if city_wide else beishan)
    client = Client(HTTP_HOST="police.testserver")
    client.force_login(user)
    assert client.get("/")["Location"] == home


def test_the_header_links_the_one_stop_for_roles_with_casework(clerk_client, beishan):  # noqa: F811
    from django.test import Client

    from tests.fixtures import staff

    assert 'href="/station/"' in clerk_client.get("/declarations/").content.decode()
    field = Client(HTTP_HOST="police.testserver")
    field.force_login(staff("field_beishan", "field_officer", beishan))
    assert 'href="/station/"' not in field.get("/declarations/").content.decode()

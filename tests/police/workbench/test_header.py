"""The workbench header names the signed-in officer and offers log-out on every page."""

import pytest

from tests.fixtures import beishan, clerk, clerk_client, reference_data  # noqa: F401

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def test_header_shows_officer_station_and_logout(clerk_client):  # noqa: F811
    page = clerk_client.get("/declarations/").content.decode()
    assert "clerk_beishan" in page
    assert "北山派出所" in page
    assert 'action="/logout/"' in page

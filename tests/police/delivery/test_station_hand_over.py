"""The station's hand-over form and the workbench API take the pickup code as well as the ID
number (WF-2): a wrong code is refused beside its field, as a wrong ID is."""

from __future__ import annotations

import pytest

from onetrip.police.permits import casework
from onetrip.police.permits.models import PermitCase
from tests.police.permits.conftest import client_of

from .conftest import REF, delivery_messages, in_production
from .helpers import arrive

pytestmark = pytest.mark.django_db(databases=["default", "police"])


@pytest.fixture
def code(beishan, clerk):
    in_production()
    arrive(clerk)
    casework.permit_take(user=clerk, reference=REF)
    return delivery_messages()[-1]["pickup_code"]


def test_wf2_the_case_page_hands_over_by_pickup_code(code, clerk):
    browser = client_of(clerk)
    page = browser.get(f"/station/{REF}/")
    assert b'name="pickup_code"' in page.content
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    refused = browser.post(f"/station/{REF}/hand-over/", {"pickup_code": wrong}, follow=True)
    assert "领证码不正确".encode() in refused.content
    assert PermitCase.objects.get().status == "ready"
    browser.post(f"/station/{REF}/hand-over/", {"pickup_code": code})
    assert PermitCase.objects.get().status == "collected"


def test_wf2_the_api_hands_over_by_pickup_code(code, clerk):
    api = client_of(clerk)
    url = f"/api/v1/station/cases/{REF}/hand-over"
    nothing = api.post(url, {}, content_type="application/json")
    assert (nothing.status_code, nothing.json()["code"]) == (400, "identity_required")
    wrong = api.post(
        url,
        {"pickup_code": "000000" if code != "000000" else "111111"},
        content_type="application/json",
    )
    assert (wrong.status_code, wrong.json()["code"]) == (400, "pickup_code_mismatch")
    done = api.post(url, {"pickup_code": code}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "collected"

"""The page offers verify and return only where the service would accept them (WF-1)."""

from __future__ import annotations

import pytest
from django.test import Client

from onetrip.police.register.errors import RegisterError
from onetrip.police.register.services import (
    declaration_can_decide,
    declaration_check_can_decide,
    declaration_receive,
    declaration_verify,
)
from tests.fixtures import staff, submitted_declaration

pytestmark = pytest.mark.django_db(databases=["default", "police"])

REF = "JZ26112700000001"


def _client(user) -> Client:
    c = Client(HTTP_HOST="police.testserver")
    c.force_login(user)
    return c


def test_wf1_clerk_of_the_station_sees_the_buttons(clerk, beishan):
    declaration = declaration_receive(message=submitted_declaration(REF))
    assert declaration_can_decide(user=clerk, declaration=declaration)
    page = _client(clerk).get(f"/declarations/{REF}/").content.decode()
    assert 'id="verify"' in page and 'id="return"' in page


def test_wf1_district_admin_sees_the_case_but_no_buttons(beishan):
    admin = staff("district_xihu", "district_admin", None, district_code="330106")
    declaration = declaration_receive(message=submitted_declaration(REF))
    assert not declaration_can_decide(user=admin, declaration=declaration)
    with pytest.raises(RegisterError) as exc:
        declaration_check_can_decide(user=admin, declaration=declaration)
    assert (exc.value.code, exc.value.status) == ("role_cannot_decide", 403)
    response = _client(admin).get(f"/declarations/{REF}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="verify"' not in page and 'id="return"' not in page


def test_wf1_a_decided_declaration_offers_no_buttons(clerk, beishan):
    declaration_receive(message=submitted_declaration(REF))
    declaration = declaration_verify(user=clerk, reference=REF)
    assert not declaration_can_decide(user=clerk, declaration=declaration)
    page = _client(clerk).get(f"/declarations/{REF}/").content.decode()
    assert 'id="verify"' not in page


def test_wf1_refusal_on_the_page_is_shown_in_chinese(beishan):
    admin = staff("district_xihu", "district_admin", None, district_code="330106")
    declaration_receive(message=submitted_declaration(REF))
    response = _client(admin).post(f"/declarations/{REF}/verify/", follow=True)
    assert "您的岗位无权核查居住登记申报" in response.content.decode()

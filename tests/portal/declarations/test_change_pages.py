"""The resident's pages for a change (ZJ-11) and a cancellation (WF-1): the form, its errors in
Chinese, and the declaration's page showing each change the station recorded."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from onetrip.portal.declarations.models import RegistrationRequest
from tests.ferry.helpers import pump
from tests.portal.declarations.test_changes import _at, other_beishan_community, registered

__all__ = ["registered"]

pytestmark = pytest.mark.django_db(databases=["default", "police"], transaction=True)


def test_zj_11_the_change_page_refuses_a_future_date_in_chinese(registered, resident_client):
    url = f"/my/declarations/{registered.reference}/change/"
    with time_machine.travel(_at(dt.date(2026, 11, 25)), tick=False):
        assert resident_client.get(url).status_code == 200
        response = resident_client.post(
            url, {"changed_on": "2026-11-30", "employer_name": "杭州新单位有限公司"}
        )
    assert response.status_code == 400
    assert "变更日期不能晚于今天" in response.content.decode()
    assert RegistrationRequest.objects.count() == 0


def test_zj_11_the_declarations_page_shows_each_recorded_change(registered, resident_client):
    url = f"/my/declarations/{registered.reference}/change/"
    with time_machine.travel(_at(dt.date(2026, 11, 25)), tick=False):
        response = resident_client.post(
            url,
            {
                "changed_on": "2026-11-10",
                "community_code": other_beishan_community(),
                "address_detail": "文三路 100 号 2 幢 301 室",
                "housing_type": "owned",
            },
        )
        assert response["Location"] == f"/my/declarations/{registered.reference}/"
        page = resident_client.get(f"/my/declarations/{registered.reference}/").content.decode()
        assert "正在等待派出所办理" in page
        pump()
        page = resident_client.get(f"/my/declarations/{registered.reference}/").content.decode()
    assert "自 2026-11-10 起变更" in page
    assert "文三路 100 号 2 幢 301 室" in page
    assert 'data-late="true"' in page


def test_wf1_the_cancel_page_cancels_and_the_page_says_so(registered, resident_client):
    with time_machine.travel(_at(dt.date(2026, 11, 25)), tick=False):
        response = resident_client.post(
            f"/my/declarations/{registered.reference}/cancel/", {"left_on": "2026-11-24"}
        )
        assert response.status_code == 302
        pump()
        page = resident_client.get(f"/my/declarations/{registered.reference}/").content.decode()
    assert "本居住登记已于 2026-11-24 注销" in page
    assert 'id="change"' not in page

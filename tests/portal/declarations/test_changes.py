"""A resident's changes of address or workplace (ZJ-11) and cancellation (WF-1), from the portal
across the ferry to the station and back, with the history and the SMS."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from onetrip.common import divisions
from onetrip.ferry.registry import get_store
from onetrip.police.register.changes import registration_cancel, registration_change_input
from onetrip.police.register.changes import registration_change_record as window_change
from onetrip.police.register.models import ResidenceDeclaration
from onetrip.police.register.services import declaration_verify
from onetrip.portal.declarations.changes import (
    ChangeInput,
    registration_cancel_declare,
    registration_change_declare,
)
from onetrip.portal.declarations.errors import (
    ChangeInvalid,
    RegistrationNotCurrent,
    RequestPending,
)
from onetrip.portal.declarations.models import Declaration, RegistrationRequest
from onetrip.portal.declarations.services import DeclarationInput, declaration_submit
from onetrip.portal.notify.models import SmsMessage
from tests.ferry.helpers import pump
from tests.fixtures import BEISHAN_COMMUNITY, BEISHAN_STREET, HUBIN_STREET, valid_declaration

pytestmark = pytest.mark.django_db(databases=["default", "police"], transaction=True)

TZ = dt.timezone(dt.timedelta(hours=8))


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)


def other_beishan_community() -> str:
    return next(
        c.code for c in divisions.communities_of(BEISHAN_STREET) if c.code != BEISHAN_COMMUNITY
    )


@pytest.fixture
def registered(ferry_env, resident, clerk, beishan):
    """The resident's declaration, registered by the station on 2026-11-02."""
    with time_machine.travel(_at(dt.date(2026, 11, 1)), tick=False):
        data = {k: v for k, v in valid_declaration(arrival_date="2026-10-30").items()}
        data = {k: v for k, v in data.items() if k not in ("district", "street")}
        declaration = declaration_submit(resident=resident, data=DeclarationInput(**data))
        pump()
    with time_machine.travel(_at(dt.date(2026, 11, 2)), tick=False):
        declaration_verify(user=clerk, reference=declaration.reference)
        pump()
    declaration.refresh_from_db()
    assert declaration.status == "registered"
    return declaration


def new_address(**overrides: str) -> ChangeInput:
    values = {
        "changed_on": "2026-11-20",
        "community_code": other_beishan_community(),
        "address_detail": "文三路 100 号 2 幢 301 室",
        "housing_type": "owned",
    }
    values.update(overrides)
    return ChangeInput(**values)


def test_zj_11_resident_declares_a_new_address_and_sees_it_recorded_on_time(registered, resident):
    with time_machine.travel(_at(dt.date(2026, 11, 25)), tick=False):
        request, created = registration_change_declare(
            resident=resident, reference=registered.reference, data=new_address()
        )
        assert created and request.state == "pending"
        pump()
    request.refresh_from_db()
    registered.refresh_from_db()
    assert (request.state, request.late) == ("recorded", False)
    assert registered.status == "changed"
    assert registered.community_code == other_beishan_community()
    assert registered.address_detail == "文三路 100 号 2 幢 301 室"
    police = ResidenceDeclaration.objects.get(reference=registered.reference)
    assert police.address_detail == "文三路 100 号 2 幢 301 室"
    statuses = [e.status for e in registered.events.order_by("id")]
    assert statuses[-2:] == ["change_submitted", "changed"]
    sms = SmsMessage.objects.get(template="declaration_changed")
    assert "2026-11-20" in sms.text and "逾期" not in sms.text and "超过" not in sms.text


def test_zj_11_resident_declaring_after_ten_days_is_told_it_is_late(registered, resident):
    with time_machine.travel(_at(dt.date(2026, 12, 1)), tick=False):
        request, _ = registration_change_declare(
            resident=resident,
            reference=registered.reference,
            data=ChangeInput(changed_on="2026-11-20", employer_name="杭州新单位有限公司"),
        )
        pump()
    request.refresh_from_db()
    assert request.late is True
    sms = SmsMessage.objects.get(template="declaration_changed")
    assert "超过变更之日起10日" in sms.text
    registered.refresh_from_db()
    assert registered.employer_name == "杭州新单位有限公司"
    assert registered.community_code == BEISHAN_COMMUNITY


def test_zj_11_the_same_change_sent_twice_is_one_change(registered, resident):
    with time_machine.travel(_at(dt.date(2026, 11, 25)), tick=False):
        first, created = registration_change_declare(
            resident=resident, reference=registered.reference, data=new_address()
        )
        again, created_again = registration_change_declare(
            resident=resident, reference=registered.reference, data=new_address()
        )
        assert (created, created_again) == (True, False) and again.pk == first.pk
        pump()
        after, created_after = registration_change_declare(
            resident=resident, reference=registered.reference, data=new_address()
        )
    assert created_after is False and after.pk == first.pk
    sent = get_store("portal").outbox.objects.filter(message_type="declaration.change_declared")
    assert sent.count() == 1
    assert RegistrationRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (ChangeInput(changed_on="2026-11-26", employer_name="新单位"), "future"),
        (ChangeInput(changed_on="2026-10-20", employer_name="新单位"), "before_registration"),
        (ChangeInput(changed_on="2026-11-20"), "nothing_changed"),
        (
            ChangeInput(changed_on="2026-11-20", employer_name="杭州示例科技有限公司"),
            "nothing_changed",
        ),
        (
            ChangeInput(changed_on="2026-11-20", community_code="110101001001"),
            "outside_city",
        ),
    ],
)
def test_zj_11_bad_change_is_refused_in_chinese_and_changes_nothing(
    registered, resident, data, code
):
    with (
        time_machine.travel(_at(dt.date(2026, 11, 25)), tick=False),
        pytest.raises(ChangeInvalid) as exc,
    ):
        registration_change_declare(resident=resident, reference=registered.reference, data=data)
    assert code in {e.code for e in exc.value.errors}
    assert exc.value.message_zh.startswith("变更信息有误")
    assert RegistrationRequest.objects.count() == 0
    assert (
        not get_store("portal")
        .outbox.objects.filter(message_type="declaration.change_declared")
        .exists()
    )


def test_wf1_a_second_change_waits_for_the_first(registered, resident):
    with time_machine.travel(_at(dt.date(2026, 11, 25)), tick=False):
        registration_change_declare(
            resident=resident, reference=registered.reference, data=new_address()
        )
        with pytest.raises(RequestPending):
            registration_change_declare(
                resident=resident,
                reference=registered.reference,
                data=ChangeInput(changed_on="2026-11-21", employer_name="另一单位"),
            )


def test_wf1_resident_leaving_the_city_cancels_with_history_and_sms(registered, resident):
    with time_machine.travel(_at(dt.date(2026, 11, 25)), tick=False):
        request, created = registration_cancel_declare(
            resident=resident, reference=registered.reference, left_on="2026-11-24"
        )
        _, again = registration_cancel_declare(
            resident=resident, reference=registered.reference, left_on="2026-11-24"
        )
        assert (created, again) == (True, False)
        pump()
    registered.refresh_from_db()
    assert registered.status == "cancelled"
    assert registered.cancelled_on == dt.date(2026, 11, 24)
    assert registered.permit_effect == "no_current_registration"
    request.refresh_from_db()
    assert request.state == "recorded"
    sms = SmsMessage.objects.get(template="declaration_cancelled")
    assert "2026-11-24" in sms.text and "离开本市" in sms.text
    with pytest.raises(RegistrationNotCurrent) as exc:
        registration_change_declare(
            resident=resident,
            reference=registered.reference,
            data=ChangeInput(changed_on="2026-11-24", employer_name="新单位"),
        )
    assert exc.value.code == "registration_cancelled"


def test_wf1_a_change_the_station_refuses_is_shown_as_not_done(registered, resident, clerk):
    with time_machine.travel(_at(dt.date(2026, 11, 25)), tick=False):
        request, _ = registration_change_declare(
            resident=resident, reference=registered.reference, data=new_address()
        )
        # Staff cancel at the window before the change crosses: the station refuses the change.
        registration_cancel(user=clerk, reference=registered.reference, reason="duplicate")
        pump()
    request.refresh_from_db()
    assert request.state == "rejected"
    assert request.reject_reason == "该居住登记已注销"
    registered.refresh_from_db()
    assert registered.status == "cancelled"
    assert SmsMessage.objects.filter(template="declaration_request_rejected").count() == 1


def test_wf1_a_window_change_to_another_station_reaches_the_resident(registered, clerk, hubin):
    hubin_community = divisions.communities_of(HUBIN_STREET)[0].code
    change = registration_change_input(
        changed_on="2026-11-24",
        community_code=hubin_community,
        address_detail="湖滨路 1 号",
        housing_type="dormitory",
    )
    with time_machine.travel(_at(dt.date(2026, 11, 25)), tick=False):
        window_change(user=clerk, reference=registered.reference, change=change)
        pump()
    registered.refresh_from_db()
    assert registered.station_name == hubin.name
    assert registered.community_code == hubin_community
    request = RegistrationRequest.objects.get()
    assert (request.channel, request.state, request.late) == ("window", "recorded", False)
    page_declaration = Declaration.objects.get(reference=registered.reference)
    assert page_declaration.status == "changed"

"""Changes of a registration (ZJ-11) and its cancellation (WF-1) in the register."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from onetrip.common import divisions
from onetrip.common.crypto import lookup_hash
from onetrip.contracts.declarations import (
    RegistrationCancelDeclaredV1,
    RegistrationChangeDeclaredV1,
)
from onetrip.ferry.agent.handlers import BusinessReject
from onetrip.ferry.registry import get_store
from onetrip.police.audit.models import AuditEvent
from onetrip.police.register.changes import (
    change_is_late,
    registration_cancel,
    registration_change_input,
    registration_change_receive,
    registration_change_record,
)
from onetrip.police.register.errors import RegisterError
from onetrip.police.register.handlers import on_cancel_declared, on_change_declared
from onetrip.police.register.models import RegistrationChange, ResidenceDeclaration
from onetrip.police.register.selectors import registration_current, registration_is_current
from onetrip.police.register.services import declaration_receive, declaration_verify
from tests.fixtures import BEISHAN_COMMUNITY, BEISHAN_STREET, HUBIN_STREET, submitted_declaration

pytestmark = pytest.mark.django_db(databases=["default", "police"])

TZ = dt.timezone(dt.timedelta(hours=8))
REFERENCE = "JZ26110100000001"


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)


def other_beishan_community() -> str:
    return next(
        c.code for c in divisions.communities_of(BEISHAN_STREET) if c.code != BEISHAN_COMMUNITY
    )


def hubin_community() -> str:
    return divisions.communities_of(HUBIN_STREET)[0].code


@pytest.fixture
def registered(clerk, beishan):
    """A registration made on 2026-11-02, declared the day before."""
    with time_machine.travel(_at(dt.date(2026, 11, 2)), tick=False):
        message = submitted_declaration(REFERENCE)
        declaration_receive(message=message)
        declaration_verify(user=clerk, reference=REFERENCE)
    return ResidenceDeclaration.objects.get(reference=REFERENCE)


def change_message(
    *,
    changed_on: dt.date,
    declared_on: dt.date,
    community: str | None = None,
    employer: str = "",
    change_reference: str = "BG26112000000001",
) -> RegistrationChangeDeclaredV1:
    address = community is not None
    return RegistrationChangeDeclaredV1(
        reference=REFERENCE,
        change_reference=change_reference,
        changed_on=changed_on,
        address_changed=address,
        community_code=community or "",
        address_detail="文三路 100 号 2 幢 301 室" if address else "",
        housing_type="owned" if address else None,
        workplace_changed=bool(employer),
        employer_name=employer,
        declared_at=_at(declared_on),
    )


def test_zj_11_days_are_counted_from_the_day_after_the_change():
    changed = dt.date(2026, 3, 1)
    assert not change_is_late(changed_on=changed, declared_on=dt.date(2026, 3, 11))
    assert change_is_late(changed_on=changed, declared_on=dt.date(2026, 3, 12))


def test_zj_11_change_declared_within_ten_days_is_on_time(registered):
    with time_machine.travel(_at(dt.date(2026, 11, 21)), tick=False):
        change = registration_change_receive(
            message=change_message(
                changed_on=dt.date(2026, 11, 11),
                declared_on=dt.date(2026, 11, 21),
                community=other_beishan_community(),
            )
        )
    assert change.late is False
    registered.refresh_from_db()
    assert registered.status == "changed"
    assert registered.community_code == other_beishan_community()
    assert registered.address_detail == "文三路 100 号 2 幢 301 室"
    assert change.old_address_detail == "曙光路 12 号"
    assert registered.registration_number  # the registration keeps its number


def test_zj_11_change_declared_after_ten_days_is_late(registered):
    with time_machine.travel(_at(dt.date(2026, 11, 25)), tick=False):
        change = registration_change_receive(
            message=change_message(
                changed_on=dt.date(2026, 11, 11),
                declared_on=dt.date(2026, 11, 22),
                employer="杭州新单位有限公司",
            )
        )
    assert change.late is True
    registered.refresh_from_db()
    assert registered.employer_name == "杭州新单位有限公司"
    assert registered.community_code == BEISHAN_COMMUNITY
    outbox = (
        get_store("police")
        .outbox.objects.filter(message_type="declaration.status_changed")
        .order_by("-id")
        .first()
    )
    assert outbox.version == 2
    assert outbox.payload["status"] == "changed"
    assert outbox.payload["change"]["late"] is True
    assert outbox.payload["change"]["workplace_changed"] is True


def test_zj_11_the_lateness_counts_the_residents_day_not_the_ferrys(registered):
    with time_machine.travel(_at(dt.date(2026, 11, 30)), tick=False):
        change = registration_change_receive(
            message=change_message(
                changed_on=dt.date(2026, 11, 11),
                declared_on=dt.date(2026, 11, 21),
                employer="杭州新单位有限公司",
            )
        )
    assert change.late is False


def test_zj_11_a_change_to_another_stations_area_moves_the_registration(registered, hubin):
    with time_machine.travel(_at(dt.date(2026, 11, 21)), tick=False):
        change = registration_change_receive(
            message=change_message(
                changed_on=dt.date(2026, 11, 20),
                declared_on=dt.date(2026, 11, 21),
                community=hubin_community(),
            )
        )
    registered.refresh_from_db()
    assert registered.station == hubin
    assert change.moved_station
    history = list(registered.history.values_list("to_status", "note"))
    assert history[-1][0] == "changed" and hubin.name in history[-1][1]


def test_zj_11_the_same_change_arriving_twice_is_recorded_once(registered):
    message = change_message(
        changed_on=dt.date(2026, 11, 20),
        declared_on=dt.date(2026, 11, 21),
        employer="杭州新单位有限公司",
    )
    with time_machine.travel(_at(dt.date(2026, 11, 21)), tick=False):
        on_change_declared(None, message)  # type: ignore[arg-type]
        on_change_declared(None, message)  # type: ignore[arg-type]
    assert RegistrationChange.objects.count() == 1
    assert registered.history.filter(to_status="changed").count() == 1


@pytest.mark.parametrize(
    ("changed_on", "declared_on", "why"),
    [
        (dt.date(2026, 11, 22), dt.date(2026, 11, 21), "changed_on_future"),
        (dt.date(2026, 10, 30), dt.date(2026, 11, 21), "changed_on_before_registration"),
    ],
)
def test_zj_11_a_change_date_out_of_range_is_refused(registered, changed_on, declared_on, why):
    message = change_message(changed_on=changed_on, declared_on=declared_on, employer="新单位")
    with (
        time_machine.travel(_at(dt.date(2026, 11, 21)), tick=False),
        pytest.raises(BusinessReject) as exc,
    ):
        registration_change_receive(message=message)
    assert exc.value.reason.startswith(why)
    assert RegistrationChange.objects.count() == 0


def test_zj_11_nothing_changed_is_refused(registered):
    same = change_message(
        changed_on=dt.date(2026, 11, 20),
        declared_on=dt.date(2026, 11, 21),
        community=BEISHAN_COMMUNITY,
    ).model_copy(
        update={"address_detail": "曙光路12号", "housing_type": "rented", "landlord_name": "李四"}
    )
    with (
        time_machine.travel(_at(dt.date(2026, 11, 21)), tick=False),
        pytest.raises(BusinessReject) as exc,
    ):
        registration_change_receive(message=same)
    assert exc.value.reason.startswith("nothing_changed")


def test_wf1_a_change_of_an_unregistered_declaration_is_refused(beishan):
    declaration_receive(message=submitted_declaration(REFERENCE))
    with pytest.raises(BusinessReject):
        registration_change_receive(
            message=change_message(
                changed_on=timezone.localdate(),
                declared_on=timezone.localdate(),
                employer="新单位",
            )
        )


def test_wf1_clerk_records_a_change_at_the_window_with_audit(registered, clerk):
    change = registration_change_input(
        changed_on="2026-11-20", employer_name="杭州窗口单位有限公司"
    )
    with time_machine.travel(_at(dt.date(2026, 11, 21)), tick=False):
        row = registration_change_record(user=clerk, reference=REFERENCE, change=change)
    assert row.channel == "window" and row.recorded_by == clerk and not row.late
    audit = AuditEvent.objects.get(action="registration.change", object_id=REFERENCE)
    assert audit.actor == "clerk_beishan"
    assert audit.detail["fields"] == ["employer_name"]


def test_wf1_window_change_input_reports_every_problem_at_once():
    with pytest.raises(RegisterError) as exc:
        registration_change_input(
            changed_on="2026-13-01", community_code="110101001001", address_detail=""
        )
    fields = {e.field for e in exc.value.errors}
    assert {"changed_on", "community_code", "address_detail", "housing_type"} <= fields


def test_wf1_clerk_of_another_station_cannot_change(registered, other_clerk):
    change = registration_change_input(changed_on="2026-11-20", employer_name="新单位")
    with pytest.raises(Exception) as exc:
        registration_change_record(user=other_clerk, reference=REFERENCE, change=change)
    assert getattr(exc.value, "status", None) == 404


def test_wf1_resident_leaving_the_city_cancels_the_registration(registered):
    message = RegistrationCancelDeclaredV1(
        reference=REFERENCE,
        request_reference="ZX26112100000001",
        left_on=dt.date(2026, 11, 20),
        declared_at=_at(dt.date(2026, 11, 21)),
    )
    id_hash = lookup_hash("33010619900101123X", purpose="id_number")
    assert registration_is_current(id_hash=id_hash)
    assert registration_is_current(id_hash=id_hash, community_code=BEISHAN_COMMUNITY)
    assert not registration_is_current(id_hash=id_hash, community_code="330106002999")
    with time_machine.travel(_at(dt.date(2026, 11, 21)), tick=False):
        on_cancel_declared(None, message)  # type: ignore[arg-type]
        on_cancel_declared(None, message)  # type: ignore[arg-type]
    registered.refresh_from_db()
    assert registered.status == "cancelled"
    assert (registered.cancelled_on, registered.cancel_reason) == (
        dt.date(2026, 11, 20),
        "left_city",
    )
    assert registered.permit_effect == "no_current_registration"
    assert registered.history.filter(to_status="cancelled").count() == 1
    assert not registration_is_current(id_hash=id_hash)
    assert registration_current(id_hash=id_hash) is None
    history = (
        get_store("police").outbox.objects.filter(message_type="residence.history").order_by("-id")
    ).first()
    assert history.payload["registrations"][0]["ended_on"] == "2026-11-20"
    status = (
        get_store("police")
        .outbox.objects.filter(message_type="declaration.status_changed")
        .order_by("-id")
        .first()
    )
    assert status.payload["cancellation"]["permit_effect"] == "no_current_registration"


def test_wf1_staff_cancel_needs_a_reason_and_a_note_for_other(registered, clerk):
    with pytest.raises(RegisterError) as exc:
        registration_cancel(user=clerk, reference=REFERENCE, reason="")
    assert exc.value.code == "cancel_reason_required"
    with pytest.raises(RegisterError) as exc:
        registration_cancel(user=clerk, reference=REFERENCE, reason="other", note="无")
    assert exc.value.code == "cancel_note_required"
    declaration = registration_cancel(user=clerk, reference=REFERENCE, reason="died")
    assert declaration.permit_effect == "holder_deceased"
    assert AuditEvent.objects.filter(action="registration.cancel", object_id=REFERENCE).exists()
    with pytest.raises(RegisterError) as exc:
        registration_cancel(user=clerk, reference=REFERENCE, reason="left_city")
    assert exc.value.code == "registration_cancelled"


def test_wf1_a_change_of_a_cancelled_registration_is_refused(registered, clerk):
    registration_cancel(user=clerk, reference=REFERENCE, reason="left_city")
    with pytest.raises(BusinessReject) as exc:
        registration_change_receive(
            message=change_message(
                changed_on=timezone.localdate(),
                declared_on=timezone.localdate(),
                employer="新单位",
            )
        )
    assert exc.value.reason.startswith("registration_cancelled")


def test_wf1_cancelling_a_duplicate_leaves_the_permit_unaffected(registered, clerk):
    with time_machine.travel(_at(dt.date(2026, 11, 3)), tick=False):
        declaration_receive(
            message=submitted_declaration("JZ26110300000002", other_beishan_community())
        )
        declaration_verify(user=clerk, reference="JZ26110300000002")
    declaration = registration_cancel(user=clerk, reference=REFERENCE, reason="duplicate")
    assert declaration.permit_effect == "none"
    current = registration_current(id_hash=declaration.id_hash)
    assert current is not None and current.reference == "JZ26110300000002"

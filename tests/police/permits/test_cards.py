"""The card after issue on a frozen clock (WF-3; NAT-14, ZJ-17, PI-14): the endorsement window
opens a month before each anniversary of the issue date, an unendorsed anniversary suspends the
card, an endorsement online is checked against the register at once and recorded without a
visit, a late one restarts the residence years, and a refusal is a reviewer's decision."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from onetrip.ferry.registry import get_store
from onetrip.police.audit.models import AuditEvent
from onetrip.police.permits.cards import (
    card_sweep,
    endorsement_recheck,
    endorsement_refuse,
)
from onetrip.police.permits.errors import PermitError
from onetrip.police.permits.models import (
    CardStatus,
    Endorsement,
    PermitCase,
    ResidencePermit,
)
from onetrip.police.permits.tasks import card_sweep_task
from onetrip.police.register.models import ResidenceDeclaration
from onetrip.police.register.services import declaration_receive, declaration_verify
from tests.fixtures import submitted_declaration

from .conftest import document, receive

pytestmark = pytest.mark.django_db(databases=["default", "police"])

CITY = ZoneInfo("Asia/Shanghai")
ISSUED = dt.date(2026, 1, 10)
NUMBER = "33010620260000001"
ENDORSE_REF = "PA27121000000002"


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=CITY)


@pytest.fixture
def card(case, clerk) -> ResidencePermit:
    """A card issued on 2026-01-10, valid through 2027-01-09 (one year less a day)."""
    return ResidencePermit.objects.create(
        case=case,
        permit_number=NUMBER,
        station=case.station,
        id_hash=case.id_hash,
        name=case.name,
        sex="男",
        birth_date=dt.date(1990, 1, 1),
        id_number=case.id_number,
        residence_address=case.address_detail,
        issuing_authority="杭州市公安局西湖区分局",
        issued_on=ISSUED,
        valid_until=dt.date(2027, 1, 9),
        residence_since=ISSUED,
        issued_by=clerk,
    )


@pytest.fixture
def registered(clerk, beishan) -> ResidenceDeclaration:
    """The holder's registration, verified by the station: current."""
    with time_machine.travel(at(dt.date(2026, 11, 27)), tick=False):
        declaration_receive(message=submitted_declaration())
        return declaration_verify(user=clerk, reference="JZ26112700000001")


def _card_messages() -> list[dict]:
    outbox = get_store("police").outbox.objects.filter(message_type="permit.card_changed")
    return [m.payload for m in outbox.order_by("id")]


def _status_messages(reference: str) -> list[dict]:
    outbox = get_store("police").outbox.objects.filter(message_type="permit.status_changed")
    return [m.payload for m in outbox.order_by("id") if m.payload["reference"] == reference]


def _request_endorsement(day: dt.date, **overrides) -> PermitCase:
    """The resident's endorsement request as it arrives from the portal on `day`."""
    with time_machine.travel(at(day), tick=False):
        return receive(
            document("photo", reference=ENDORSE_REF),
            document("B11", reference=ENDORSE_REF),
            reference=ENDORSE_REF,
            kind="endorsement",
            permit_number=NUMBER,
            **overrides,
        )


def _sweep(day: dt.date) -> dict[str, int]:
    with time_machine.travel(at(day, 2), tick=False):
        return card_sweep()


# -- the sweep ---------------------------------------------------------------------------------


def test_zj17_wf3_window_opens_one_month_before_the_anniversary_of_the_issue_date(card):
    assert _sweep(dt.date(2026, 12, 9)) == {"issued": 1, "endorsement_due": 0, "suspended": 0}
    card.refresh_from_db()
    assert card.card_status == CardStatus.ACTIVE
    assert _card_messages()[-1]["change"] == "issued"

    assert _sweep(dt.date(2026, 12, 10))["endorsement_due"] == 1
    card.refresh_from_db()
    assert card.card_status == CardStatus.ENDORSEMENT_DUE
    message = _card_messages()[-1]
    assert (message["change"], message["card_status"], message["revision"]) == (
        "endorsement_due",
        "endorsement_due",
        2,
    )
    assert (message["endorsement_from"], message["endorsement_until"]) == (
        "2026-12-10",
        "2027-01-09",
    )
    assert AuditEvent.objects.filter(
        action="permit_card.endorsement_due", object_id=NUMBER, actor="system"
    ).exists()


def test_wf3_the_sweep_run_twice_changes_nothing_the_second_time(card):
    first = _sweep(dt.date(2026, 12, 10))
    assert first == {"issued": 0, "endorsement_due": 1, "suspended": 0}
    messages, audits = len(_card_messages()), AuditEvent.objects.count()
    assert _sweep(dt.date(2026, 12, 10)) == {"issued": 0, "endorsement_due": 0, "suspended": 0}
    assert (len(_card_messages()), AuditEvent.objects.count()) == (messages, audits)
    card.refresh_from_db()
    assert (card.card_status, card.revision) == (CardStatus.ENDORSEMENT_DUE, 1)


def test_nat14_the_anniversary_passed_unendorsed_suspends_the_card(card):
    _sweep(dt.date(2026, 12, 10))
    assert _sweep(dt.date(2027, 1, 9))["suspended"] == 0  # the last day of the window
    assert _sweep(dt.date(2027, 1, 10))["suspended"] == 1
    card.refresh_from_db()
    assert card.card_status == CardStatus.SUSPENDED
    assert _card_messages()[-1]["change"] == "suspended"
    assert _sweep(dt.date(2027, 3, 1))["suspended"] == 0  # stays suspended, told once


def test_wf3_the_sweep_task_and_the_command_call_the_same_sweep(card):
    with time_machine.travel(at(dt.date(2026, 12, 10)), tick=False):
        assert card_sweep_task.enqueue().return_value["endorsement_due"] == 1
    call_command("card_sweep", "--date", "2027-01-10")
    card.refresh_from_db()
    assert card.card_status == CardStatus.SUSPENDED


# -- the endorsement ---------------------------------------------------------------------------


def test_zj17_nat14_endorsed_on_time_online_valid_a_year_more_residence_years_kept(
    card, registered
):
    _sweep(dt.date(2026, 12, 10))
    case = _request_endorsement(dt.date(2026, 12, 20))

    assert (case.status, case.task) == ("approved", "")  # no window visit, no card production
    card.refresh_from_db()
    assert card.card_status == CardStatus.ACTIVE
    assert card.valid_until == dt.date(2028, 1, 9)
    assert card.residence_since == ISSUED
    endorsement = Endorsement.objects.get(permit=card)
    assert (endorsement.case, endorsement.on_time, endorsement.anniversary) == (
        case,
        True,
        dt.date(2027, 1, 10),
    )
    assert "按期签注" in case.events.last().note
    assert [m["status"] for m in _status_messages(ENDORSE_REF)] == ["approved"]
    message = _card_messages()[-1]
    assert (message["change"], message["valid_until"], message["endorsement_from"]) == (
        "endorsed",
        "2028-01-09",
        "2027-12-10",
    )
    assert AuditEvent.objects.filter(action="permit_card.endorse", object_id=NUMBER).exists()
    # The anniversary passes without effect; the next window opens a year on.
    assert _sweep(dt.date(2027, 1, 10))["suspended"] == 0
    assert _sweep(dt.date(2027, 12, 10))["endorsement_due"] == 1


def test_nat14_zj17_late_endorsement_restores_the_card_and_restarts_residence_years(
    card, registered
):
    _sweep(dt.date(2027, 1, 10))
    card.refresh_from_db()
    assert card.card_status == CardStatus.SUSPENDED

    case = _request_endorsement(dt.date(2027, 2, 15))

    assert case.status == "approved"
    card.refresh_from_db()
    assert card.card_status == CardStatus.ACTIVE
    assert card.residence_since == dt.date(2027, 2, 15)  # the count restarts (NAT-14)
    assert card.valid_until == dt.date(2028, 1, 9)  # anniversaries stay on the issue date
    endorsement = Endorsement.objects.get(permit=card)
    assert (endorsement.on_time, endorsement.anniversary) == (False, dt.date(2027, 1, 10))
    assert "逾期签注" in case.events.last().note
    message = _card_messages()[-1]
    assert (message["change"], message["residence_since"]) == ("endorsed_late", "2027-02-15")
    assert _sweep(dt.date(2027, 12, 10))["endorsement_due"] == 1


def test_zj17_pi14_refused_when_no_longer_registered_by_a_reviewer_with_the_reason(
    card, registered, reviewer
):
    ResidenceDeclaration.objects.filter(pk=registered.pk).update(status="cancelled")
    _sweep(dt.date(2026, 12, 10))
    case = _request_endorsement(dt.date(2026, 12, 20))

    # The check alone never refuses (PI-14): the case waits for a reviewer with the finding.
    assert case.status == "prelim_review"
    assert "居住登记" in case.events.last().note
    assert [m["status"] for m in _status_messages(ENDORSE_REF)] == ["prelim_review"]
    assert not Endorsement.objects.exists()

    with time_machine.travel(at(dt.date(2026, 12, 21)), tick=False):
        with pytest.raises(PermitError) as still:
            endorsement_recheck(user=reviewer, reference=ENDORSE_REF)
        assert still.value.code == "endorsement_not_possible"
        refused = endorsement_refuse(user=reviewer, reference=ENDORSE_REF)
    assert refused.status == "rejected"
    assert refused.reason.startswith("不予签注")
    assert "居住登记" in refused.reason
    message = _status_messages(ENDORSE_REF)[-1]
    assert (message["status"], message["reason"]) == ("rejected", refused.reason)
    card.refresh_from_db()
    assert card.valid_until == dt.date(2027, 1, 9)  # nothing endorsed


def test_zj17_hz2_employment_route_needs_the_social_insurance_months(card, registered):
    case = _request_endorsement(dt.date(2026, 12, 20), social_insurance_months=5)
    assert case.status == "prelim_review"
    assert "社会保险" in case.events.last().note


def test_nat14_no_endorsement_before_the_window_opens(card, registered):
    case = _request_endorsement(dt.date(2026, 11, 1))
    assert case.status == "prelim_review"
    assert "签注期为2026年12月10日至2027年01月09日" in case.events.last().note


def test_zj17_a_permit_number_of_another_person_is_not_endorsed(card, registered):
    case = _request_endorsement(dt.date(2026, 12, 20), id_number="330106199001011238")
    assert case.status == "prelim_review"
    assert "未找到申请人名下" in case.events.last().note
    card.refresh_from_db()
    assert card.valid_until == dt.date(2027, 1, 9)


def test_zj17_a_reviewer_rechecks_once_the_register_has_caught_up(card, registered, reviewer):
    ResidenceDeclaration.objects.filter(pk=registered.pk).update(status="returned")
    _request_endorsement(dt.date(2026, 12, 20))
    ResidenceDeclaration.objects.filter(pk=registered.pk).update(status="registered")
    with time_machine.travel(at(dt.date(2026, 12, 22)), tick=False):
        case = endorsement_recheck(user=reviewer, reference=ENDORSE_REF)
    assert (case.status, case.approved_by) == ("approved", reviewer)
    card.refresh_from_db()
    assert card.valid_until == dt.date(2028, 1, 9)

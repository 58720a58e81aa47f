"""Reissue and exchange (补领/换领; NAT-15, NAT-16, ZJ-18, WF-3, WF-5): approval issues a card
under a new number that carries on the old card's dates, the old card is revoked and points to
it, the fee stands, and only the holder's own card can be replaced."""

from __future__ import annotations

import datetime as dt

import pytest

from onetrip.ferry.registry import get_store
from onetrip.police.audit.models import AuditEvent
from onetrip.police.permits import casework
from onetrip.police.permits.errors import PermitError
from onetrip.police.permits.models import CardStatus, PermitCase, ResidencePermit
from onetrip.police.permits.services import permit_prereview_pass
from tests.fixtures import staff

from .conftest import REF, document, receive

pytestmark = pytest.mark.django_db(databases=["default", "police"])

REISSUE_REF = "PA26112700000003"
OTHER_ID = "330106199001011238"


@pytest.fixture
def approver(beishan):
    return staff("approver_beishan", "approver", beishan)


def _issue(reference: str, *, clerk, reviewer, approver) -> PermitCase:
    """Pre-review, acceptance, review and approval of a received case, by four eyes."""
    permit_prereview_pass(user=reviewer, reference=reference)
    casework.permit_take(user=clerk, reference=reference)
    case = PermitCase.objects.get(reference=reference)
    casework.permit_accept(
        user=clerk,
        reference=reference,
        originals=case.materials,
        ethnicity="汉族",
        hukou_address="浙江省温州市鹿城区五马街道1号",
    )
    casework.permit_take(user=reviewer, reference=reference)
    casework.permit_review(user=reviewer, reference=reference)
    casework.permit_take(user=approver, reference=reference)
    return casework.permit_approve(user=approver, reference=reference)


@pytest.fixture
def old_card(case, clerk, reviewer, approver) -> ResidencePermit:
    _issue(REF, clerk=clerk, reviewer=reviewer, approver=approver)
    card = ResidencePermit.objects.get(case__reference=REF)
    # A year on, late-endorsed once: dates the new card must carry on.
    card.valid_until = dt.date(2028, 1, 9)
    card.residence_since = dt.date(2027, 2, 15)
    card.save()
    return card


def _reissue_request(number: str, **overrides) -> PermitCase:
    return receive(
        document("photo", reference=REISSUE_REF),
        reference=REISSUE_REF,
        kind="reissue",
        permit_number=number,
        materials=["A1", "A8", "A9"],
        **overrides,
    )


def test_zj18_wf3_reissue_gives_a_new_number_and_revokes_the_old_card(
    old_card, clerk, reviewer, approver
):
    _reissue_request(old_card.permit_number)
    approved = _issue(REISSUE_REF, clerk=clerk, reviewer=reviewer, approver=approver)

    assert approved.fee_fen == casework.reissue_fee_fen() > 0  # WF-5, set at acceptance
    new = ResidencePermit.objects.get(case=approved)
    old_card.refresh_from_db()
    assert new.permit_number != old_card.permit_number
    assert approved.permit_number == new.permit_number
    assert (old_card.card_status, old_card.replaced_by) == (CardStatus.REVOKED, new)
    assert new.card_status == CardStatus.ACTIVE
    assert (new.valid_until, new.residence_since) == (dt.date(2028, 1, 9), dt.date(2027, 2, 15))
    outbox = get_store("police").outbox.objects.filter(message_type="permit.card_changed")
    changes = [(m.payload["permit_number"], m.payload["change"]) for m in outbox.order_by("id")]
    assert changes[-2:] == [(old_card.permit_number, "revoked"), (new.permit_number, "issued")]
    assert outbox.order_by("id").last().payload["endorsement_until"] == "2028-01-09"
    audit = AuditEvent.objects.get(action="permit_card.replace")
    assert (audit.object_id, audit.actor) == (old_card.permit_number, "approver_beishan")


def test_zj18_a_card_of_another_person_is_not_replaced(old_card, clerk, reviewer, approver):
    _reissue_request(old_card.permit_number, id_number=OTHER_ID)
    with pytest.raises(PermitError) as refused:
        _issue(REISSUE_REF, clerk=clerk, reviewer=reviewer, approver=approver)
    assert refused.value.code == "old_permit_not_found"
    old_card.refresh_from_db()
    assert old_card.card_status == CardStatus.ACTIVE
    assert not ResidencePermit.objects.filter(case__reference=REISSUE_REF).exists()


def test_zj18_a_card_already_replaced_is_not_replaced_again(old_card, clerk, reviewer, approver):
    _reissue_request(old_card.permit_number)
    _issue(REISSUE_REF, clerk=clerk, reviewer=reviewer, approver=approver)
    second = "PA26112700000004"
    receive(
        document("photo", reference=second),
        reference=second,
        kind="exchange",
        permit_number=old_card.permit_number,
        materials=["A1", "A8", "A9"],
    )
    with pytest.raises(PermitError) as refused:
        _issue(second, clerk=clerk, reviewer=reviewer, approver=approver)
    assert refused.value.code == "old_permit_revoked"

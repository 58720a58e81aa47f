"""The card's reminder across the real ferry (WF-3, ZJ-17): the sweep opens the window at the
station, the portal mirrors the card and sends the reminder SMS once, however often the
message arrives."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from onetrip.common.db import atomic_for
from onetrip.contracts.permits import PermitCardChangedV1
from onetrip.ferry.registry import get_store
from onetrip.police.permits.cards import card_sweep
from onetrip.police.permits.models import PermitCase
from onetrip.portal.notify.models import SmsMessage
from onetrip.portal.permits.cards import permit_card_apply
from onetrip.portal.permits.models import PermitCard
from tests.ferry.helpers import pump

from .conftest import receive
from .test_cards import NUMBER, at, card  # noqa: F401  (card is a fixture)

pytestmark = pytest.mark.django_db(databases=["default", "police"], transaction=True)


@pytest.fixture
def case(beishan, photo, contract):
    """The first application, received as the ferry applies it: inside its transaction."""
    with atomic_for(PermitCase):
        return receive(photo, contract)


def _reminders() -> int:
    return SmsMessage.objects.filter(template="permit_card_endorsement_due").count()


def test_zj17_reminder_sms_once_per_window_even_when_the_message_is_delivered_twice(
    ferry_env,
    card,  # noqa: F811
):
    with time_machine.travel(at(dt.date(2026, 12, 10), 2), tick=False):
        card_sweep()
    pump()

    mirrored = PermitCard.objects.get(permit_number=NUMBER)
    assert mirrored.card_status == "endorsement_due"
    assert (mirrored.endorsement_from, mirrored.endorsement_until) == (
        dt.date(2026, 12, 10),
        dt.date(2027, 1, 9),
    )
    assert _reminders() == 1
    text = SmsMessage.objects.get(template="permit_card_endorsement_due").text
    assert "尾号0001" in text and "2026年12月10日至2027年1月9日" in text

    outbox = get_store("police").outbox.objects.filter(message_type="permit.card_changed")
    message = PermitCardChangedV1.model_validate(outbox.get().payload)
    assert permit_card_apply(message=message) is None  # a redelivery changes nothing
    resent = message.model_copy(update={"revision": message.revision + 1})
    assert permit_card_apply(message=resent) is not None  # told again, same window
    assert _reminders() == 1

"""The resident's residence permit on the portal (WF-3; NAT-14, ZJ-17): the mirror of the card
as the police zone tells it (`permit.card_changed`), the reminder when the endorsement window
opens, and the start of an endorsement request from the card.

The portal never asks the police zone: the page shows what the last message said. The
reminder is sent once per window (keyed by the window's last day), however often the message
is delivered or sent again.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.utils import timezone

from onetrip.common.crypto import lookup_hash
from onetrip.common.db import atomic_for
from onetrip.common.errors import Conflict, NotFound
from onetrip.contracts.permits import PermitCardChangedV1
from onetrip.portal.accounts.models import Resident
from onetrip.portal.notify.services import sms_queue

from .applications import permit_application_save, permit_application_start
from .models import PermitApplication, PermitCard
from .services import ids_of_resident

logger = logging.getLogger(__name__)

# The SMS of each change, besides the reminder; a new or revoked card is told by the
# application's own status messages.
_CHANGE_SMS = {
    "suspended": "permit_card_suspended",
    "endorsed": "permit_card_endorsed",
    "endorsed_late": "permit_card_endorsed_late",
}


class CardNotFound(NotFound):
    """Also for another person's card, so its existence does not leak."""

    def __init__(self) -> None:
        super().__init__("card_not_found", "未找到该居住证", "Residence permit not found")


class CardNotDue(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "card_not_due",
            "该居住证当前不在签注期，暂不能申请签注",
            "This permit is not in its endorsement window",
        )


def _date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def mask_permit_number(number: str) -> str:
    """Every character but the last four hidden, as on any page a phone may show."""
    return "*" * max(len(number) - 4, 0) + number[-4:]


def permit_card_apply(*, message: PermitCardChangedV1) -> PermitCard | None:
    """Keep the card as the police zone now tells it and tell the resident what changed.

    Runs inside the ferry's apply transaction. A message not newer than the card's last
    (`revision`) changes nothing and sends nothing, so a redelivery is harmless; the reminder
    is also keyed by its window (`reminded_until` and the SMS's `client_ref`), so a window is
    reminded of once even if the police zone tells it again."""
    fields = {
        "id_hash": lookup_hash(message.id_number, purpose="id_number"),
        "phone": message.phone,
        "card_status": message.card_status,
        "issued_on": message.issued_on,
        "valid_until": message.valid_until,
        "residence_since": message.residence_since,
        "endorsement_from": message.endorsement_from,
        "endorsement_until": message.endorsement_until,
        "replaced_by": message.replaced_by,
        "revision": message.revision,
        "changed_at": message.changed_at,
    }
    with atomic_for(PermitCard):
        card = (
            PermitCard.objects.select_for_update()
            .filter(permit_number=message.permit_number)
            .first()
        )
        if card is not None and card.revision >= message.revision:
            logger.info(
                "permit-card stale permit_card_id=%s revision=%s current=%s",
                card.pk,
                message.revision,
                card.revision,
            )
            return None
        if card is None:
            card = PermitCard(permit_number=message.permit_number, **fields)
        else:
            for name, value in fields.items():
                setattr(card, name, value)
        params = {
            "tail": message.permit_number[-4:],
            "valid_until": _date(message.valid_until),
            "since": _date(message.residence_since),
        }
        until = message.endorsement_until
        if message.change == "endorsement_due" and until and card.reminded_until != until:
            assert message.endorsement_from is not None
            card.reminded_until = until
            card.save()
            sms_queue(
                phone=message.phone,
                template="permit_card_endorsement_due",
                params={**params, "start": _date(message.endorsement_from), "end": _date(until)},
                client_ref=f"permit-card-reminder:{message.permit_number}:{until.isoformat()}",
            )
        else:
            card.save()
            template = _CHANGE_SMS.get(message.change)
            if template:
                sms_queue(
                    phone=message.phone,
                    template=template,
                    params=params,
                    client_ref=f"permit-card:{message.permit_number}:{message.revision}",
                )
    logger.info(
        "permit-card applied permit_card_id=%s revision=%s change=%s",
        card.pk,
        message.revision,
        message.change,
    )
    return card


# -- what the resident sees -------------------------------------------------------------------


def _id_hashes_of(resident: Resident) -> set[str]:
    """The ID numbers the resident has declared or applied with: whose cards they see."""
    hashes = {lookup_hash(n, purpose="id_number") for n in ids_of_resident(resident=resident)}
    hashes.update(
        PermitApplication.objects.filter(resident=resident)
        .exclude(id_hash="")
        .values_list("id_hash", flat=True)
    )
    return hashes


def permit_cards_of(*, resident: Resident) -> list[PermitCard]:
    """The resident's cards, those in use first, then replaced ones, newest first."""
    cards = PermitCard.objects.filter(id_hash__in=_id_hashes_of(resident))
    return sorted(cards, key=lambda c: (c.card_status == "revoked", -c.issued_on.toordinal()))


def permit_card_can_endorse(*, card: PermitCard, today: dt.date | None = None) -> bool:
    """Whether the resident may ask for the endorsement now: within the window the last
    message gave, or late (the card suspended); never for a replaced card (NAT-14, ZJ-17)."""
    today = today or timezone.localdate()
    if card.card_status == "suspended":
        return True
    if card.card_status == "revoked" or card.endorsement_from is None:
        return False
    return card.endorsement_from <= today <= (card.endorsement_until or card.valid_until)


@dataclass(frozen=True)
class CardView:
    """One card as the page shows it."""

    card: PermitCard
    masked_number: str
    can_endorse: bool


def permit_card_views(*, resident: Resident, today: dt.date | None = None) -> list[CardView]:
    return [
        CardView(
            card=card,
            masked_number=mask_permit_number(card.permit_number),
            can_endorse=permit_card_can_endorse(card=card, today=today),
        )
        for card in permit_cards_of(resident=resident)
    ]


def permit_card_endorse_start(*, resident: Resident, card_id: int) -> PermitApplication:
    """Start an endorsement request for one of the resident's cards: a draft of kind
    "endorsement" with the permit number filled in, for the resident to complete and submit
    online (zero trips). Refused outside the window."""
    card = PermitCard.objects.filter(pk=card_id, id_hash__in=_id_hashes_of(resident)).first()
    if card is None:
        raise CardNotFound()
    if not permit_card_can_endorse(card=card):
        raise CardNotDue()
    application = permit_application_start(resident=resident, kind="endorsement")
    return permit_application_save(
        resident=resident,
        reference=application.reference,
        data={"permit_number": card.permit_number},
    )

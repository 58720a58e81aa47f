"""The resident's "我的居住证" page (WF-3, ZJ-17): fed only by the card messages, the number
masked but for its last four digits, the next window, and the endorsement request started from
the card while its window is open."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from onetrip.contracts.permits import PermitCardChangedV1
from onetrip.portal.notify.models import SmsMessage
from onetrip.portal.permits.cards import mask_permit_number, permit_card_apply
from onetrip.portal.permits.models import PermitApplication, PermitCard

from .permit_helpers import ID, known_to_the_register

pytestmark = pytest.mark.django_db(databases=["default", "police"])

NUMBER = "33010620260000001"
OTHER_ID = "330106199001011238"


def card_message(
    *, change: str = "endorsement_due", status: str = "endorsement_due", **overrides
) -> PermitCardChangedV1:
    """The card with its window open today, unless `overrides` say otherwise."""
    today = timezone.localdate()
    fields = {
        "permit_number": NUMBER,
        "revision": 2,
        "change": change,
        "card_status": status,
        "id_number": ID,
        "phone": "13800138000",
        "issued_on": today - dt.timedelta(days=340),
        "valid_until": today + dt.timedelta(days=20),
        "residence_since": today - dt.timedelta(days=340),
        "endorsement_from": today - dt.timedelta(days=10),
        "endorsement_until": today + dt.timedelta(days=20),
        "changed_at": timezone.now(),
    }
    fields.update(overrides)
    return PermitCardChangedV1(**fields)


def test_wf3_an_older_or_repeated_card_message_changes_nothing():
    permit_card_apply(message=card_message(revision=3))
    assert permit_card_apply(message=card_message(revision=2, status="active")) is None
    assert PermitCard.objects.get().card_status == "endorsement_due"
    assert SmsMessage.objects.filter(template="permit_card_endorsement_due").count() == 1


def test_nat14_suspension_and_endorsement_are_told_by_sms_once_each():
    permit_card_apply(message=card_message(change="suspended", status="suspended", revision=3))
    permit_card_apply(message=card_message(change="suspended", status="suspended", revision=3))
    permit_card_apply(message=card_message(change="endorsed_late", status="active", revision=4))
    templates = list(SmsMessage.objects.values_list("template", flat=True))
    assert sorted(templates) == ["permit_card_endorsed_late", "permit_card_suspended"]


def test_zj17_the_page_shows_the_masked_card_its_window_and_the_endorse_button(
    resident, resident_client
):
    known_to_the_register(resident)
    permit_card_apply(message=card_message())
    page = resident_client.get("/permit/card/").content.decode()
    assert mask_permit_number(NUMBER) == "*************0001"
    assert "*************0001" in page and NUMBER not in page
    assert "待签注" in page and "申请签注" in page
    assert (timezone.localdate() + dt.timedelta(days=20)).isoformat() in page

    card = PermitCard.objects.get()
    response = resident_client.post(f"/permit/card/{card.pk}/endorse/")
    application = PermitApplication.objects.get(resident=resident)
    assert response.status_code == 302
    assert response["Location"] == f"/permit/applications/{application.reference}/edit/"
    assert (application.kind, application.permit_number) == ("endorsement", NUMBER)


def test_zj17_no_endorse_button_outside_the_window(resident, resident_client):
    known_to_the_register(resident)
    today = timezone.localdate()
    permit_card_apply(
        message=card_message(
            change="issued",
            status="active",
            valid_until=today + dt.timedelta(days=200),
            endorsement_from=today + dt.timedelta(days=170),
            endorsement_until=today + dt.timedelta(days=200),
        )
    )
    page = resident_client.get("/permit/card/").content.decode()
    assert "有效" in page and "申请签注" not in page
    card = PermitCard.objects.get()
    resident_client.post(f"/permit/card/{card.pk}/endorse/")
    assert not PermitApplication.objects.filter(resident=resident).exists()


def test_another_persons_card_is_neither_shown_nor_endorsed(resident, resident_client):
    known_to_the_register(resident)
    permit_card_apply(message=card_message(id_number=OTHER_ID))
    page = resident_client.get("/permit/card/").content.decode()
    assert "0001" not in page
    card = PermitCard.objects.get()
    resident_client.post(f"/permit/card/{card.pk}/endorse/")
    assert not PermitApplication.objects.filter(resident=resident).exists()

"""An endorsement (签注) ends at approval: it is recorded electronically and no card is made
(WF-3, ZJ-17), so the approved request no longer counts as in progress, and its SMS says the
endorsement is done rather than that a card is being made."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from onetrip.portal.notify.models import SmsMessage
from onetrip.portal.permits.applications import permit_application_apply_status
from onetrip.portal.permits.models import PermitApplication

from .permit_helpers import draft, known_to_the_register, status

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def _sent(application: PermitApplication, kind: str) -> PermitApplication:
    PermitApplication.objects.filter(pk=application.pk).update(
        kind=kind, status="prelim_review", revision=1, permit_number="33010620260000001"
    )
    application.refresh_from_db()
    return application


def _second(application: PermitApplication) -> None:
    with transaction.atomic():
        PermitApplication.objects.create(
            reference="PA26120199999999",
            resident=application.resident,
            kind="first",
            status="submitted",
            id_hash=application.id_hash,
            phone=application.phone,
        )


def test_zj17_an_approved_endorsement_is_finished_and_told_as_such(resident):
    known_to_the_register(resident)
    application = _sent(draft(resident), "endorsement")
    permit_application_apply_status(message=status(application, "approved"))
    [sms] = SmsMessage.objects.filter(template__startswith="permit_")
    assert sms.template == "permit_endorsement_approved"
    assert "签注已电子记录" in sms.text and "制证" not in sms.text
    _second(application)  # a new request is not blocked by the finished endorsement


def test_wf2_an_approved_first_application_still_blocks_a_second(resident):
    known_to_the_register(resident)
    application = _sent(draft(resident), "first")
    permit_application_apply_status(message=status(application, "approved"))
    assert SmsMessage.objects.get(template__startswith="permit_").template == "permit_approved"
    with pytest.raises(IntegrityError):
        _second(application)

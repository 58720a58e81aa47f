"""Ferry messages the portal applies for residence permits."""

from __future__ import annotations

from onetrip.contracts.base import Contract
from onetrip.contracts.delivery import PermitDeliveryChangedV1
from onetrip.contracts.permits import (
    PermitApplicationStatusV1,
    PermitApplicationSubmittedV1,
    PermitCardChangedV1,
    PermitProofsCheckedV1,
    ResidenceHistoryV1,
)
from onetrip.ferry.agent.handlers import (
    BusinessReject,
    Envelope,
    register_handler,
    register_reject_handler,
)

from .applications import permit_application_apply_status, permit_application_mark_rejected
from .cards import permit_card_apply
from .delivery import permit_delivery_apply
from .models import PermitApplication
from .proofs import permit_application_apply_proof_checks
from .services import residence_history_apply


@register_handler(zone="portal", message_type="residence.history")
def on_residence_history(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, ResidenceHistoryV1)
    residence_history_apply(message=message)


@register_handler(zone="portal", message_type="permit.status_changed")
def on_permit_status_changed(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, PermitApplicationStatusV1)
    try:
        permit_application_apply_status(message=message)
    except PermitApplication.DoesNotExist as exc:
        raise BusinessReject(f"unknown permit application {message.reference}") from exc


@register_handler(zone="portal", message_type="permit.proofs_checked")
def on_permit_proofs_checked(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, PermitProofsCheckedV1)
    try:
        permit_application_apply_proof_checks(message=message)
    except PermitApplication.DoesNotExist as exc:
        raise BusinessReject(f"unknown permit application {message.reference}") from exc


@register_handler(zone="portal", message_type="permit.card_changed")
def on_permit_card_changed(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, PermitCardChangedV1)
    permit_card_apply(message=message)


@register_handler(zone="portal", message_type="permit.delivery_changed")
def on_permit_delivery_changed(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, PermitDeliveryChangedV1)
    try:
        permit_delivery_apply(message=message)
    except PermitApplication.DoesNotExist as exc:
        raise BusinessReject(f"unknown permit application {message.reference}") from exc


@register_reject_handler(zone="portal", message_type="permit.resubmitted")
@register_reject_handler(zone="portal", message_type="permit.submitted")
def on_permit_submitted_rejected(envelope: Envelope, message: Contract, reason: str) -> None:
    """The police zone refused the application: tell the resident in plain words."""
    assert isinstance(message, PermitApplicationSubmittedV1)
    permit_application_mark_rejected(reference=message.reference, ferry_reason=reason)

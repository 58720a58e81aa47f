"""Ferry messages the portal applies for declarations."""

from __future__ import annotations

from onetrip.contracts.base import Contract
from onetrip.contracts.declarations import (
    DeclarationStatusChangedV2,
    DeclarationSubmittedV1,
    RegistrationCancelDeclaredV1,
    RegistrationChangeDeclaredV1,
)
from onetrip.ferry.agent.handlers import (
    BusinessReject,
    Envelope,
    register_handler,
    register_reject_handler,
)

from .changes import registration_request_mark_rejected
from .models import Declaration
from .services import declaration_apply_status_change, declaration_mark_rejected


@register_handler(zone="portal", message_type="declaration.status_changed")
def on_declaration_status_changed(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, DeclarationStatusChangedV2)
    try:
        declaration_apply_status_change(message=message)
    except Declaration.DoesNotExist as exc:
        raise BusinessReject(f"unknown declaration {message.reference}") from exc


@register_reject_handler(zone="portal", message_type="declaration.resubmitted")
@register_reject_handler(zone="portal", message_type="declaration.submitted")
def on_declaration_submitted_rejected(envelope: Envelope, message: Contract, reason: str) -> None:
    """The police zone refused the declaration: tell the resident in plain words."""
    assert isinstance(message, DeclarationSubmittedV1)
    declaration_mark_rejected(reference=message.reference, ferry_reason=reason)


@register_reject_handler(zone="portal", message_type="declaration.change_declared")
@register_reject_handler(zone="portal", message_type="declaration.cancel_declared")
def on_registration_request_rejected(envelope: Envelope, message: Contract, reason: str) -> None:
    """The station could not record a change or cancellation: tell the resident."""
    if isinstance(message, RegistrationChangeDeclaredV1):
        registration_request_mark_rejected(
            request_reference=message.change_reference, ferry_reason=reason
        )
    else:
        assert isinstance(message, RegistrationCancelDeclaredV1)
        registration_request_mark_rejected(
            request_reference=message.request_reference, ferry_reason=reason
        )

"""Ferry messages the portal applies for declarations."""

from __future__ import annotations

from onetrip.contracts.base import Contract
from onetrip.contracts.declarations import DeclarationStatusChangedV1
from onetrip.ferry.handlers import BusinessReject, Envelope, register_handler

from .models import Declaration
from .services import declaration_apply_status_change


@register_handler(zone="portal", message_type="declaration.status_changed")
def on_declaration_status_changed(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, DeclarationStatusChangedV1)
    try:
        declaration_apply_status_change(message=message)
    except Declaration.DoesNotExist as exc:
        raise BusinessReject(f"unknown declaration {message.reference}") from exc

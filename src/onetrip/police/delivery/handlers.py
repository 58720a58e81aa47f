"""Ferry messages the police zone applies for the card's delivery."""

from __future__ import annotations

from onetrip.contracts.base import Contract
from onetrip.contracts.delivery import PermitDeliveryAddressChangeV1
from onetrip.ferry.agent.handlers import Envelope, register_handler

from .services import delivery_address_change


@register_handler(zone="police", message_type="permit.delivery_address_changed")
def on_delivery_address_changed(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, PermitDeliveryAddressChangeV1)
    delivery_address_change(message=message)

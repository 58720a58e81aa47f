"""Ferry messages the portal applies for residence permits."""

from __future__ import annotations

from onetrip.contracts.base import Contract
from onetrip.contracts.permits import ResidenceHistoryV1
from onetrip.ferry.agent.handlers import Envelope, register_handler

from .services import residence_history_apply


@register_handler(zone="portal", message_type="residence.history")
def on_residence_history(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, ResidenceHistoryV1)
    residence_history_apply(message=message)

"""The delivery track's refusals, as the application's one error type."""

from __future__ import annotations

from onetrip.common.errors import ApplicationError


class DeliveryError(ApplicationError):
    """A delivery step refused: the card is not where the step needs it. Messages never carry
    a phone, an address or a code."""

"""The one interface every courier client implements, and the values it speaks in.

Card delivery talks to `CourierClient` only, so a second courier is one more file beside
`http.py`, and tests can drive the real client against the loopback simulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

# Statuses a courier reports after an order is created, in the courier's own words.
STATUSES = (
    "picked_up",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "failed_attempt",
    "returned_to_sender",
)
# No event follows these: the card is with the resident or back with the station.
FINAL_STATUSES = frozenset({"delivered", "returned_to_sender"})


@dataclass(frozen=True)
class Party:
    """A sender or recipient as the courier needs them on the label."""

    name: str
    phone: str
    address: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "phone": self.phone, "address": self.address}


@dataclass(frozen=True)
class Shipment:
    """An order the courier accepted: `tracking_number` is the courier's, `client_ref` ours."""

    tracking_number: str
    client_ref: str
    status: str


@dataclass(frozen=True)
class CourierEvent:
    """One verified status callback. `event_id` is the courier's, so a duplicate delivery of
    the same event can be recognised and applied once."""

    tracking_number: str
    event_id: str
    status: str
    at: datetime
    detail: str

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class CourierClient(Protocol):
    def create_shipment(
        self,
        *,
        client_ref: str,
        recipient: Party,
        sender: Party,
        callback_url: str,
        item: str = "居住证",
    ) -> Shipment:
        """Book one shipment and return it with the courier's tracking number.

        `client_ref` is our idempotency key: creating it again returns the same shipment and
        books nothing new. Raises CourierUnavailable (retry later) or CourierRejected."""
        ...

    def verify_callback(self, headers: Mapping[str, str], body: bytes) -> CourierEvent:
        """Check a status callback's signature and freshness, then parse it.

        Raises CallbackRefused for a forged, expired or malformed callback — and nothing else,
        whatever the bytes."""
        ...

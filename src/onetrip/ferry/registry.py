"""Where each zone's concrete ferry tables are.

The ferry cannot import zone code, so each zone's `ferrybox` app hands all its concrete models over
in one `register_store` call from `AppConfig.ready()`. In a zone's own process only that zone
registers; in the test settings both do.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import router

from . import models as abstract
from .protocol.channels import check_zone, receiving_channel, sending_channel


@dataclass(frozen=True)
class Store:
    """A zone's concrete ferry models and the database alias they route to."""

    zone: str
    outbox: type[abstract.OutboxMessage]
    sent_batch: type[abstract.SentBatch]
    inbox: type[abstract.InboxMessage]
    channel_state: type[abstract.ChannelState]
    received_batch: type[abstract.ReceivedBatch]
    quarantined_batch: type[abstract.QuarantinedBatch]
    parked_batch: type[abstract.ParkedBatch]
    alarm: type[abstract.Alarm]
    event: type[abstract.FerryEvent]

    @property
    def db(self) -> str:
        """The zone's database alias, as the router decides (no code names a database)."""
        alias = router.db_for_write(self.outbox)
        return alias or "default"

    @property
    def sends_on(self) -> str:
        return sending_channel(self.zone)

    @property
    def receives_on(self) -> str:
        return receiving_channel(self.zone)


_STORES: dict[str, Store] = {}


def register_store(
    *,
    zone: str,
    outbox: type[abstract.OutboxMessage],
    sent_batch: type[abstract.SentBatch],
    inbox: type[abstract.InboxMessage],
    channel_state: type[abstract.ChannelState],
    received_batch: type[abstract.ReceivedBatch],
    quarantined_batch: type[abstract.QuarantinedBatch],
    parked_batch: type[abstract.ParkedBatch],
    alarm: type[abstract.Alarm],
    event: type[abstract.FerryEvent],
) -> Store:
    """Called once per zone from its ferrybox `AppConfig.ready()`."""
    check_zone(zone)
    store = Store(
        zone=zone,
        outbox=outbox,
        sent_batch=sent_batch,
        inbox=inbox,
        channel_state=channel_state,
        received_batch=received_batch,
        quarantined_batch=quarantined_batch,
        parked_batch=parked_batch,
        alarm=alarm,
        event=event,
    )
    existing = _STORES.get(zone)
    if existing is not None and existing != store:
        raise ValueError(f"ferry store for zone {zone!r} registered twice with different models")
    _STORES[zone] = store
    return store


def get_store(zone: str) -> Store:
    check_zone(zone)
    try:
        return _STORES[zone]
    except KeyError:
        raise LookupError(
            f"zone {zone!r} has no ferry store; is onetrip.{zone}.ferrybox in INSTALLED_APPS?"
        ) from None


def registered_zones() -> list[str]:
    return sorted(_STORES)

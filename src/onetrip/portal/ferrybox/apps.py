from django.apps import AppConfig


class PortalFerryboxConfig(AppConfig):
    name = "onetrip.portal.ferrybox"
    label = "portal_ferrybox"
    verbose_name = "Portal ferry"

    def ready(self) -> None:
        """Hand the portal zone's concrete ferry tables to the zone-neutral ferry."""
        from onetrip.ferry.registry import register_store

        from . import models

        register_store(
            zone="portal",
            outbox=models.OutboxMessage,
            sent_batch=models.SentBatch,
            inbox=models.InboxMessage,
            channel_state=models.ChannelState,
            received_batch=models.ReceivedBatch,
            quarantined_batch=models.QuarantinedBatch,
            parked_batch=models.ParkedBatch,
            alarm=models.Alarm,
            event=models.FerryEvent,
        )

from django.apps import AppConfig


class PoliceFerryboxConfig(AppConfig):
    name = "onetrip.police.ferrybox"
    label = "police_ferrybox"
    verbose_name = "Police ferry"

    def ready(self) -> None:
        """Hand the police zone's concrete ferry tables to the zone-neutral ferry."""
        from onetrip.ferry.registry import register_store

        from . import models

        register_store(
            zone="police",
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

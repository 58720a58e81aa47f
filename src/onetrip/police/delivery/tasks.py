"""Background work of card delivery; each task is a thin shell around a service."""

from django_tasks import task


@task()
def shipment_place_task(shipment_id: int) -> str:
    """Place one courier order after the commit that opened it. A lost task loses nothing: the
    sweep places every pending order whose time has come (see `shipment_place`)."""
    from .services import shipment_place

    return shipment_place(shipment_id=shipment_id)


@task()
def delivery_sweep_task() -> dict[str, int]:
    """Retries, alarms and pickup reminders (see `delivery_sweep`)."""
    from .services import delivery_sweep

    return delivery_sweep()

"""Background work of the booking app; each task is a thin shell around a service."""

from django_tasks import task


@task()
def booking_sweep_task() -> dict[str, int]:
    """Expired holds and lapsed waitlist offers let go, day-before reminders queued. Safe to
    run on several workers at once and again after a crash (see `booking_sweep`)."""
    from .services import booking_sweep

    return booking_sweep()

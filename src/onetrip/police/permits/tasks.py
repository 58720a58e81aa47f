"""Background work of the permit app; each task is a thin shell around a service."""

from django_tasks import task


@task()
def card_sweep_task() -> dict[str, int]:
    """Cards moved to where their dates put them (endorsement window open, anniversary passed
    unendorsed) and new cards told to the portal. Safe to run on several workers at once and
    again after a crash (see `card_sweep`)."""
    from .cards import card_sweep

    return card_sweep()

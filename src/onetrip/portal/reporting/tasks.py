"""Background work of organisation reporting; each task is a thin shell around a service."""

from django_tasks import task


@task(queue_name="reporting")
def import_run_task(reference: str) -> dict[str, int | str]:
    """Read one import. Its own queue, so a 500,000-row file never delays a login SMS; a killed
    run is taken over by `import_sweep` from its last committed chunk."""
    from .services import import_progress, import_run

    progress = import_progress(import_run(reference=reference))
    return {key: value for key, value in progress.items() if isinstance(value, int | str)}

"""Background work of the notify app; each task is a thin shell around a service."""

from django_tasks import task


@task(queue_name="sms")
def sms_send_task(sms_id: str, db_retries: int = 0) -> str:
    from .services import sms_send

    return sms_send(sms_id=sms_id, db_retries=db_retries)


@task(queue_name="sms")
def sms_sweep_task() -> int:
    from .services import sms_sweep

    return sms_sweep()

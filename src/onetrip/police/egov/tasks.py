"""Background work of the department checks; each task is a thin shell around a service."""

from django_tasks import task


@task()
def proof_checks_run_task(*, reference: str, revision: int) -> int:
    """Ask the departments for a case's pending proof checks (see `checks.proof_checks_run`);
    safe to run twice: only rows still pending are asked for."""
    from .checks import proof_checks_run

    return len(proof_checks_run(reference=reference, revision=revision))


@task()
def identity_check_run_task(*, reference: str) -> str:
    """Ask the population database for a declaration's identity check (see
    `identity.identity_check_run`); safe to run twice."""
    from .identity import identity_check_run

    check = identity_check_run(reference=reference)
    return check.status if check is not None else ""

"""The identity check and the ID-card photo from the population database for a residence
declaration (DOMAIN DOC-5, PI-2), ready when the officer verifies it.

`identity_check_open` writes a pending row in the transaction that receives the declaration and
queues `identity_check_run` for after the commit; the run claims the row from pending (a replay
never asks twice), asks the population database under the purpose "declaration_verify", and
keeps the answer: verified with household-registration address, ethnicity and photo (encrypted
in the file store), failed when the name and number do not belong together or the answer could
not be trusted, unavailable ("to be checked") when the source did not answer.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from onetrip.common.db import atomic_for, db_for
from onetrip.common.filestore import file_get, file_put

from . import configured_sources, population
from .base import POPULATION, QueryContext
from .errors import EgovError, EgovInvalidAnswer
from .models import CheckStatus, IdentityCheck

logger = logging.getLogger(__name__)

DECLARATION = "residence_declaration"
PURPOSE = "declaration_verify"


def identity_check_open(*, reference: str) -> IdentityCheck | None:
    """Call inside the transaction that receives the declaration; nothing when this deployment
    does not reach the population database."""
    if POPULATION not in configured_sources():
        return None
    check, created = IdentityCheck.objects.get_or_create(
        object_type=DECLARATION,
        reference=reference,
        defaults={"status": CheckStatus.PENDING},
    )
    if created:
        from .tasks import identity_check_run_task

        transaction.on_commit(
            lambda: identity_check_run_task.enqueue(reference=reference),
            using=db_for(IdentityCheck),
        )
    return check


def identity_check_run(
    *, reference: str, requester: str = "system:declaration_verify"
) -> IdentityCheck | None:
    """Ask the population database for one declaration's pending check (outside any
    transaction: the question goes over the network and writes its own audit event)."""
    from onetrip.police.register.models import ResidenceDeclaration

    won = IdentityCheck.objects.filter(
        object_type=DECLARATION, reference=reference, status=CheckStatus.PENDING
    ).update(status=CheckStatus.RUNNING)
    if not won:
        return None
    check = IdentityCheck.objects.get(object_type=DECLARATION, reference=reference)
    declaration = ResidenceDeclaration.objects.get(reference=reference)
    ctx = QueryContext(requester, reference, PURPOSE, case_type=DECLARATION)
    check.checked_at = timezone.now()
    check.checked_by = requester
    try:
        record = population().identity(
            ctx=ctx, id_number=declaration.id_number, name=declaration.name, with_photo=True
        )
    except EgovError as exc:
        failed = isinstance(exc, EgovInvalidAnswer)
        check.status = CheckStatus.FAILED if failed else CheckStatus.UNAVAILABLE
        check.reason = exc.reason
    else:
        if record.match:
            check.status, check.reason = CheckStatus.VERIFIED, ""
            check.ethnicity = record.ethnicity
            check.hukou_address = record.hukou_address
            if record.photo_jpeg:
                check.photo_stored_name = file_put(zone="police", content=record.photo_jpeg).name
        else:
            check.status, check.reason = CheckStatus.FAILED, "name_mismatch"
    with atomic_for(IdentityCheck):
        check.save()
    logger.info("egov identity check reference=%s status=%s", reference, check.status)
    return check


def identity_check_of(*, reference: str) -> IdentityCheck | None:
    return IdentityCheck.objects.filter(object_type=DECLARATION, reference=reference).first()


def identity_photo(check: IdentityCheck) -> bytes:
    """The photo's bytes, for a page that has already checked and audited the officer's read."""
    if not check.photo_stored_name:
        return b""
    return file_get(zone="police", name=check.photo_stored_name)

"""What the departments' data said of an application's proofs, mirrored from the police zone
(contract `permit.proofs_checked`; DOMAIN HZ-7, DOC-3).

The station asks the sources at pre-review; the lines they verified drop out of the materials
list the resident sees, and nothing else changes: a line that needs paper, failed or could not
be checked stays on the list as it was.
"""

from __future__ import annotations

import logging

from django.conf import settings

from onetrip.common.db import atomic_for
from onetrip.contracts.permits import PermitProofsCheckedV1

from .models import PermitApplication

logger = logging.getLogger(__name__)


def fetched_proofs() -> frozenset[str]:
    """The DOC-2 proofs this deployment's department data stands in for (HZ-7): the resident is
    not asked to upload them, only to bring them if the data turn out incomplete."""
    return frozenset(p for proofs in settings.ONETRIP_EGOV_PROOFS.values() for p in proofs)


def permit_application_apply_proof_checks(
    *, message: PermitProofsCheckedV1
) -> PermitApplication | None:
    """Keep the checks of the application's current revision; an older revision's are stale.
    Raises `PermitApplication.DoesNotExist` for an unknown reference."""
    with atomic_for(PermitApplication):
        application = PermitApplication.objects.select_for_update().get(reference=message.reference)
        if message.revision != application.revision:
            logger.info(
                "permit proof checks stale reference=%s revision=%s current_revision=%s",
                message.reference,
                message.revision,
                application.revision,
            )
            return None
        application.proof_checks = {
            "revision": message.revision,
            "checks": [c.model_dump(mode="json") for c in message.checks],
        }
        application.save(update_fields=["proof_checks"])
        return application


def verified_lines(application: PermitApplication) -> frozenset[str]:
    """The keys of the materials lines a department verified for the current revision."""
    mirrored = application.proof_checks or {}
    if mirrored.get("revision") != application.revision:
        return frozenset()
    return frozenset(
        c["requirement"] for c in mirrored.get("checks", []) if c.get("status") == "verified"
    )

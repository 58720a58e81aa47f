"""Reads of a resident's permit applications. Every read is scoped to the resident: another
resident's reference answers "not found", exactly like one that does not exist."""

from __future__ import annotations

import logging
import re

from django.db.models import QuerySet

from onetrip.common.filestore import StoredFileMissing, file_get
from onetrip.common.identifiers import IdentifierError, normalize_reference
from onetrip.portal.accounts.models import Resident

from .errors import ApplicationNotFound
from .models import PermitApplication, PermitDocument

logger = logging.getLogger(__name__)

DOCUMENT_ID = re.compile(r"[0-9a-f]{32}", re.ASCII)


def permit_applications_of(*, resident: Resident) -> QuerySet[PermitApplication]:
    return PermitApplication.objects.filter(resident=resident)


def _reference(reference: str) -> str:
    """The reference as issued, or "not found" for anything that cannot be one."""
    try:
        return normalize_reference(reference)
    except IdentifierError as exc:
        raise ApplicationNotFound(reference) from exc


def permit_application_of_resident(*, resident: Resident, reference: str) -> PermitApplication:
    try:
        return PermitApplication.objects.prefetch_related("events").get(
            resident=resident, reference=_reference(reference)
        )
    except PermitApplication.DoesNotExist as exc:
        raise ApplicationNotFound(reference) from exc


def permit_document_of_resident(
    *, resident: Resident, reference: str, document_id: str
) -> tuple[PermitDocument, bytes]:
    """One of the resident's own uploaded files, active or not yet deleted, with its content.

    Logged by ids only (DESIGN §8: a file is read only through a view that checks permission)."""
    application = permit_application_of_resident(resident=resident, reference=reference)
    if not DOCUMENT_ID.fullmatch(document_id or ""):
        raise ApplicationNotFound(reference)
    document = PermitDocument.objects.filter(
        application=application, document_id=document_id, active=True
    ).first()
    if document is None:
        raise ApplicationNotFound(reference)
    try:
        content = file_get(zone="portal", name=document.stored_name)
    except StoredFileMissing as exc:
        raise ApplicationNotFound(reference) from exc
    logger.info(
        "permit-document read reference=%s document_id=%s resident=%s",
        application.reference,
        document.document_id,
        resident.pk,
    )
    return document, content

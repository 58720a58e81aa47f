"""Reads for declarations on the portal side."""

from __future__ import annotations

import hmac

from django.db.models import QuerySet

from onetrip.portal.accounts.models import Resident

from .errors import DeclarationNotFound
from .models import Declaration


def declarations_of(*, resident: Resident) -> QuerySet[Declaration]:
    return Declaration.objects.filter(resident=resident).prefetch_related("events")


def declaration_of_resident(*, resident: Resident, reference: str) -> Declaration:
    try:
        return Declaration.objects.prefetch_related("events").get(
            resident=resident, reference=reference.strip().upper()
        )
    except Declaration.DoesNotExist as exc:
        raise DeclarationNotFound(reference) from exc


def declaration_progress(*, reference: str, id_last6: str) -> Declaration:
    """Progress without log-in: the reference plus the ID number's last six characters.

    Both a wrong reference and a wrong suffix raise the same error, so the page never tells a
    stranger which references exist (WF-2: progress exposes only states)."""
    reference = reference.strip().upper()
    suffix = id_last6.strip().upper()
    declaration = Declaration.objects.prefetch_related("events").filter(reference=reference).first()
    if declaration is None or len(suffix) != 6:
        raise DeclarationNotFound(reference)
    if not hmac.compare_digest(declaration.id_number[-6:].upper(), suffix):
        raise DeclarationNotFound(reference)
    return declaration

"""Reads for declarations on the portal side."""

from __future__ import annotations

import hmac

from django.db.models import QuerySet

from onetrip.common.identifiers import IdentifierError, normalize_identifier, normalize_reference
from onetrip.portal.accounts.models import Resident

from .errors import DeclarationNotFound
from .models import Declaration

# What a declaration's page and the API show with it: its history and its requests.
_RELATED = ("events__request", "requests")


def declarations_of(*, resident: Resident) -> QuerySet[Declaration]:
    return Declaration.objects.filter(resident=resident).prefetch_related(*_RELATED)


def _reference(reference: str) -> str:
    """The reference as issued, or "not found" for anything that cannot be one."""
    try:
        return normalize_reference(reference)
    except IdentifierError as exc:
        raise DeclarationNotFound(reference) from exc


def declaration_of_resident(*, resident: Resident, reference: str) -> Declaration:
    try:
        return Declaration.objects.prefetch_related(*_RELATED).get(
            resident=resident, reference=_reference(reference)
        )
    except Declaration.DoesNotExist as exc:
        raise DeclarationNotFound(reference) from exc


def declaration_progress(*, reference: str, id_last6: str) -> Declaration:
    """Progress without log-in: the reference plus the ID number's last six characters.

    Both a wrong reference and a wrong suffix raise the same error, so the page never tells a
    stranger which references exist (WF-2: progress exposes only states)."""
    reference = _reference(reference)
    try:
        suffix = normalize_identifier(
            id_last6,
            label_zh="身份证号后六位",
            label_en="last six of the ID number",
            invalid=lambda: IdentifierError("id_suffix_format", "身份证号后六位有误", "Bad suffix"),
        ).upper()
    except IdentifierError as exc:
        raise DeclarationNotFound(reference) from exc
    declaration = Declaration.objects.prefetch_related("events").filter(reference=reference).first()
    if declaration is None or len(suffix) != 6:
        raise DeclarationNotFound(reference)
    if not hmac.compare_digest(declaration.id_number[-6:].upper().encode(), suffix.encode()):
        raise DeclarationNotFound(reference)
    return declaration

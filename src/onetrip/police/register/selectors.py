"""Reads of the register, always scoped to what the staff member's jurisdiction covers.

A read that shows a declaration's personal data to staff writes its audit row here, in the one
selector every page, API endpoint and CLI uses (DOMAIN WF-6, PI-15). A read that is refused
(outside the jurisdiction, or no such reference) is audited as a failure before "not found" is
raised, so probing other stations' references leaves a trace (MLPS-5).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, QuerySet

from onetrip.police.accounts.selectors import staff_profile, station_codes_in_scope
from onetrip.police.audit.services import (
    audit_actor,
    audit_read_personal_data,
    audit_record,
    audited_queue_page,
)

from .errors import DeclarationNotFound
from .models import RegistrationStatus, ResidenceDeclaration

OBJECT_TYPE = "residence_declaration"

# What a declaration's detail shows; "<field>:full" marks a value shown unmasked.
DETAIL_FIELDS = (
    "name",
    "id_number",
    "phone",
    "address_detail",
    "landlord_name",
    "landlord_phone",
    "guardian_name",
    "guardian_id_number",
)
REVEALED_FIELDS = ("id_number:full", "phone:full", "landlord_phone:full", "guardian_id_number:full")
# What a queue or list row shows: masked identifiers and the community.
LIST_FIELDS = ("name:masked", "id_number:masked", "phone:masked", "community_code")

User = AbstractBaseUser | AnonymousUser


def declarations_visible_to(*, user: User) -> QuerySet[ResidenceDeclaration]:
    profile = staff_profile(user) if user.is_authenticated else None
    if profile is None:
        return ResidenceDeclaration.objects.none()
    codes = station_codes_in_scope(profile)
    qs = ResidenceDeclaration.objects.select_related("station")
    if codes is None:
        return qs
    return qs.filter(station__code__in=codes)


def _normalise_reference(reference: str) -> str:
    return reference.strip().upper()[:40]


def declaration_find_for_staff(*, user: User, reference: str) -> ResidenceDeclaration:
    """The declaration if it lies in the user's jurisdiction, without reading personal data.

    For services that lock and change a declaration; they audit what they do themselves."""
    found = declarations_visible_to(user=user).filter(reference=_normalise_reference(reference))
    declaration = found.first()
    if declaration is None:
        raise DeclarationNotFound(reference)
    return declaration


def declaration_get_for_staff(
    *,
    user: User,
    reference: str,
    purpose: str,
    fields: Sequence[str] = DETAIL_FIELDS,
    reveal: bool = False,
) -> ResidenceDeclaration:
    """The declaration for display to staff, with the audit row of that read.

    `fields` are the personal-data fields the caller shows; `reveal` adds the unmasked ones.
    Raises `DeclarationNotFound` (and audits the refused read) outside the jurisdiction."""
    try:
        declaration = declaration_find_for_staff(user=user, reference=reference)
    except DeclarationNotFound:
        if user.is_authenticated:
            audit_record(
                **audit_actor(user),
                action=f"{OBJECT_TYPE}.view_personal_data",
                object_type=OBJECT_TYPE,
                object_id=_normalise_reference(reference) or "-",
                purpose=purpose,
                success=False,
                detail={"refused": "not_found_or_out_of_scope"},
            )
        raise
    audit_read_personal_data(
        user=user,
        object_type=OBJECT_TYPE,
        object_id=declaration.reference,
        fields=[*fields, *(REVEALED_FIELDS if reveal else ())],
        purpose=f"reveal:{purpose}" if reveal else purpose,
    )
    return declaration


def declaration_queue_for_staff(
    *, user: User, status: str = RegistrationStatus.DECLARED, purpose: str, query: str = ""
) -> list[ResidenceDeclaration]:
    """One page of the station's queue in arrival order, with the audit row of the list read.

    With `query` (a reference, phone or ID number) the search covers every status; a search by
    phone or ID number is audited as such, with the kind of key and never its value. The page
    is capped at `ONETRIP_QUEUE_PAGE_SIZE` rows; an empty page reads nobody's data and writes
    no row unless it was a search by a person's number."""
    return audited_queue_page(
        declarations_visible_to(user=user),
        user=user,
        status=status,
        query=query,
        order_by=("received_at", "id"),
        object_type=OBJECT_TYPE,
        fields=LIST_FIELDS,
        purpose=purpose,
    )


def declaration_counts_for_staff(*, user: User) -> dict[str, int]:
    """How many declarations of each status lie in the user's scope (no personal data)."""
    counts = dict.fromkeys(RegistrationStatus.values, 0)
    rows = declarations_visible_to(user=user).values("status").annotate(n=Count("id"))
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def declaration_next_for_staff(*, user: User, after: str) -> str | None:
    """The reference of the oldest other declaration waiting in the user's queue, so a clerk
    goes from one decision straight to the next case."""
    nxt = (
        declarations_visible_to(user=user)
        .filter(status=RegistrationStatus.DECLARED)
        .exclude(reference=after)
        .order_by("received_at", "id")
        .values_list("reference", flat=True)
        .first()
    )
    return nxt

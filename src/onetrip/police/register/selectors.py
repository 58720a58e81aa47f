"""Reads of the register, always scoped to what the staff member's jurisdiction covers.

A read that shows a declaration's personal data to staff writes its audit row here, in the one
selector every page, API endpoint and CLI uses (DOMAIN WF-6, PI-15). A read that is refused
(outside the jurisdiction, or no such reference) is audited as a failure before "not found" is
raised, so probing other stations' references leaves a trace (MLPS-5).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, QuerySet
from django.utils import timezone

from onetrip.police.accounts.selectors import staff_profile, station_codes_in_scope
from onetrip.police.audit.services import (
    audit_actor,
    audit_read_personal_data,
    audit_record,
    audited_queue_page,
)

from .errors import DeclarationNotFound
from .models import CURRENT_STATUSES, RegistrationChange, RegistrationStatus, ResidenceDeclaration

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
# What the change history on a declaration's detail shows besides DETAIL_FIELDS.
CHANGE_FIELDS = ("changes.address_detail", "changes.old_address_detail", "changes.landlord")
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


# --- For the permit side: is a person registered now? ------------------------------------------


@dataclass(frozen=True)
class CurrentRegistration:
    """A person's registration that stands, without personal data beyond the community."""

    reference: str
    registration_number: str
    station_code: str
    community_code: str
    declared_on: dt.date
    registered_on: dt.date | None
    changed: bool


def _current(id_hash: str, community_code: str | None) -> QuerySet[ResidenceDeclaration]:
    rows = ResidenceDeclaration.objects.filter(id_hash=id_hash, status__in=CURRENT_STATUSES)
    if community_code is not None:
        rows = rows.filter(community_code=community_code)
    return rows


def registration_is_current(*, id_hash: str, community_code: str | None = None) -> bool:
    """Whether the person (`id_hash`: `lookup_hash(id_number, purpose="id_number")`) holds a
    registration that stands now (WF-1: registered or changed, not cancelled), optionally at
    `community_code`, the registration's current community after any change (ZJ-11).

    For the permit side: a permit rests on a current registration (ZJ-14, ZJ-17), and a
    cancelled one no longer counts. A system check, not a staff read: it returns no personal
    data and writes no audit row; a caller showing a person's data audits that itself."""
    return _current(id_hash, community_code).exists()


def registration_current(*, id_hash: str) -> CurrentRegistration | None:
    """The person's newest current registration, or None; see `registration_is_current`."""
    row = _current(id_hash, None).select_related("station").order_by("-declared_at", "-id").first()
    if row is None:
        return None
    return CurrentRegistration(
        reference=row.reference,
        registration_number=row.registration_number,
        station_code=row.station.code,
        community_code=row.community_code,
        declared_on=timezone.localtime(row.declared_at).date(),
        registered_on=row.registered_on,
        changed=row.status == RegistrationStatus.CHANGED,
    )


def registration_changes_of(*, declaration: ResidenceDeclaration) -> list[RegistrationChange]:
    """The changes of a declaration already read through `declaration_get_for_staff`, oldest
    first; the caller's read audits `CHANGE_FIELDS` with it."""
    return list(
        declaration.changes.select_related("station", "old_station").order_by("recorded_at", "id")
    )

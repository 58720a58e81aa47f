"""Reads of permit cases, always scoped to what the staff member's role and jurisdiction cover.

As for declarations (`police/register/selectors.py`), a read that shows a case's personal data
to staff writes its audit row here, in the one selector every page and API endpoint uses (DOMAIN
WF-6, PI-15); a refused read (another station's case, no such reference) is audited as a
failure before "not found" is raised (MLPS-5). Every view of an uploaded file is its own audit
row naming the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, QuerySet
from django.utils import timezone

from onetrip.common.filestore import file_get
from onetrip.common.permit_materials import BY_ID
from onetrip.police.accounts.models import STATION_ROLES, Role, StaffProfile
from onetrip.police.accounts.selectors import staff_profile, station_codes_in_scope
from onetrip.police.audit.services import (
    audit_actor,
    audit_read_personal_data,
    audit_record,
    audited_queue_page,
)
from onetrip.police.stations.models import Station

from .errors import PermitCaseNotFound, PermitDocumentNotFound, PermitError
from .items import PHOTO
from .models import PermitCase, PermitCaseDocument, PermitCaseEvent, PermitStatus

OBJECT_TYPE = "permit_case"
DOCUMENT_OBJECT_TYPE = "permit_document"

# Every role with a task on a case sees it: the reviewer pre-reviews and reviews, the window
# clerk accepts and hands over, the approver approves; the station's administrator covers for
# them, and district and city administrators oversee their scope. Field officers have no task
# here, so they see nothing (least privilege).
READING_ROLES = frozenset(
    {
        Role.WINDOW_CLERK,
        Role.REVIEWER,
        Role.APPROVER,
        Role.STATION_ADMIN,
        Role.DISTRICT_ADMIN,
        Role.CITY_ADMIN,
    }
)
# The statuses of the pre-review, in the order the queue page shows them.
QUEUE_STATUSES = (
    PermitStatus.PRELIM_REVIEW,
    PermitStatus.MATERIALS_REQUIRED,
    PermitStatus.PREREVIEW_PASSED,
    PermitStatus.REJECTED,
)

# What a case's detail shows; "<field>:full" marks a value shown unmasked.
DETAIL_FIELDS = (
    "name",
    "id_number",
    "phone",
    "address_detail",
    "guardian_name",
    "guardian_id_number",
    "permit_number",
    "postal_address",
)
REVEALED_FIELDS = ("id_number:full", "phone:full", "guardian_id_number:full")
# What a queue row shows: masked identifiers and the community.
LIST_FIELDS = ("name:masked", "id_number:masked", "phone:masked", "community_code")

User = AbstractBaseUser | AnonymousUser


def _profile(user: User) -> StaffProfile | None:
    return staff_profile(user) if user.is_authenticated else None


def permit_may_use_queue(profile: StaffProfile | None) -> bool:
    """Whether a member of staff has any permit case to see (the header link asks this)."""
    return profile is not None and profile.role in READING_ROLES


def permit_check_may_use_queue(*, user: User, purpose: str, status: str = "") -> None:
    """Raise 403 for a role that has no permit work, after auditing the refused list read."""
    if permit_may_use_queue(_profile(user)):
        return
    if user.is_authenticated:
        audit_record(
            **audit_actor(user),
            action=f"{OBJECT_TYPE}.view_personal_data",
            object_type=OBJECT_TYPE,
            object_id=f"queue:{status or 'all'}",
            purpose=purpose,
            success=False,
            detail={"refused": "role"},
        )
    raise PermitError(
        "role_cannot_read",
        "您的岗位无权查看居住证申请",
        "Your role may not see residence-permit applications",
        status=403,
    )


def permit_station_ids_in_scope(*, user: User) -> list[int] | None:
    """The ids of the stations whose cases the user sees; None for the whole city, [] for
    nobody's (a role without permit work)."""
    profile = _profile(user)
    if not permit_may_use_queue(profile):
        return []
    assert profile is not None
    if profile.role in STATION_ROLES:
        # On the station's own id, so a queue reads its index in order (a join on the
        # station's code made the planner read and sort the whole queue).
        return [profile.station_id] if profile.station_id is not None else []
    codes = station_codes_in_scope(profile)
    if codes is None:
        return None
    return list(Station.objects.filter(code__in=codes).values_list("id", flat=True))


def permit_cases_visible_to(*, user: User) -> QuerySet[PermitCase]:
    stations = permit_station_ids_in_scope(user=user)
    if stations == []:
        return PermitCase.objects.none()
    qs = PermitCase.objects.select_related("station")
    if stations is None:
        return qs
    if len(stations) == 1:
        return qs.filter(station_id=stations[0])
    return qs.filter(station_id__in=stations)


def _normalise_reference(reference: str) -> str:
    return reference.strip().upper()[:32]


def permit_find_for_staff(*, user: User, reference: str) -> PermitCase:
    """The case if it lies in the user's scope, without reading personal data.

    For services that lock and change a case; they audit what they do themselves."""
    # `get` (the reference is unique), not `first`, which would sort by the model's ordering.
    try:
        return permit_cases_visible_to(user=user).get(reference=_normalise_reference(reference))
    except PermitCase.DoesNotExist:
        raise PermitCaseNotFound(reference) from None


def _audit_refused(user: User, *, object_type: str, object_id: str, purpose: str) -> None:
    if user.is_authenticated:
        audit_record(
            **audit_actor(user),
            action=f"{object_type}.view_personal_data",
            object_type=object_type,
            object_id=object_id or "-",
            purpose=purpose,
            success=False,
            detail={"refused": "not_found_or_out_of_scope"},
        )


def permit_get_for_staff(
    *,
    user: User,
    reference: str,
    purpose: str,
    fields: Sequence[str] = DETAIL_FIELDS,
    reveal: bool = False,
) -> PermitCase:
    """The case for display to staff, with the audit row of that read.

    `fields` are the personal-data fields the caller shows; `reveal` adds the unmasked ones.
    Raises `PermitCaseNotFound` (and audits the refused read) outside the scope."""
    try:
        case = permit_find_for_staff(user=user, reference=reference)
    except PermitCaseNotFound:
        _audit_refused(
            user,
            object_type=OBJECT_TYPE,
            object_id=_normalise_reference(reference),
            purpose=purpose,
        )
        raise
    audit_read_personal_data(
        user=user,
        object_type=OBJECT_TYPE,
        object_id=case.reference,
        fields=[*fields, *(REVEALED_FIELDS if reveal else ())],
        purpose=f"reveal:{purpose}" if reveal else purpose,
    )
    return case


def permit_queue_for_staff(
    *, user: User, status: str = PermitStatus.PRELIM_REVIEW, purpose: str, query: str = ""
) -> list[PermitCase]:
    """One page of the cases in scope, oldest submission first, with the audit row of the read.

    With `query` (a reference, phone or ID number) the search covers every status; a search by
    phone or ID number is audited as such, with the kind of key and never its value. An empty
    page reads nobody's data and writes no row unless it was a search by a person's number."""
    permit_check_may_use_queue(user=user, purpose=purpose, status=status)
    return audited_queue_page(
        permit_cases_visible_to(user=user),
        user=user,
        status=status,
        query=query,
        order_by=("submitted_at", "id"),
        object_type=OBJECT_TYPE,
        fields=LIST_FIELDS,
        purpose=purpose,
    )


def permit_counts_for_staff(*, user: User) -> dict[str, int]:
    """How many cases of each pre-review status lie in the user's scope (no personal data)."""
    counts = dict.fromkeys(PermitStatus.values, 0)
    rows = permit_cases_visible_to(user=user).values("status").annotate(n=Count("id"))
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def permit_next_for_staff(*, user: User, after: str) -> str | None:
    """The reference of the oldest other case waiting for pre-review in the user's scope, so a
    reviewer goes from one decision straight to the next."""
    return (
        permit_cases_visible_to(user=user)
        .filter(status=PermitStatus.PRELIM_REVIEW)
        .exclude(reference=after)
        .order_by("submitted_at", "id")
        .values_list("reference", flat=True)
        .first()
    )


def permit_prereview_median_for_staff(*, user: User, days: int = 30) -> dt.timedelta | None:
    """The median pre-review time (decision − the resident's submission of that revision) of
    every decision taken in the user's scope over the last `days` days; None without one.

    Counted in the database, two rows read, however many decisions the scope holds."""
    since = timezone.now() - dt.timedelta(days=days)
    cases = permit_cases_visible_to(user=user)
    decisions = PermitCaseEvent.objects.filter(
        case__in=cases.values("id"), at__gte=since, prereview_seconds__isnull=False
    ).order_by("prereview_seconds", "id")
    n = decisions.count()
    if n == 0:
        return None
    middle = [
        int(seconds or 0)
        for seconds in decisions.values_list("prereview_seconds", flat=True)[
            (n - 1) // 2 : n // 2 + 1
        ]
    ]
    return dt.timedelta(seconds=sum(middle) / len(middle))


def permit_documents_of(*, case: PermitCase) -> list[PermitCaseDocument]:
    """The files the case's latest revision lists (metadata only: nothing is decrypted), the
    photo first and then in catalogue order, as the one-time list reads."""
    order = {proof: n for n, proof in enumerate(BY_ID, start=1)}
    documents = case.documents.filter(current=True).order_by("received_at", "id")
    return sorted(documents, key=lambda d: 0 if d.item == PHOTO else order.get(d.item, len(order)))


def permit_events_of(*, case: PermitCase) -> list[PermitCaseEvent]:
    return list(case.events.order_by("at", "id"))


def permit_previous_notice(*, case: PermitCase) -> PermitCaseEvent | None:
    """The one-time notice the resident answered with the case's current revision, if any."""
    return (
        case.events.filter(status=PermitStatus.MATERIALS_REQUIRED, revision__lt=case.revision)
        .order_by("-revision", "-at", "-id")
        .first()
    )


@dataclass(frozen=True)
class OpenedDocument:
    document: PermitCaseDocument
    content: bytes


def permit_document_open_for_staff(
    *, user: User, reference: str, document_id: str, purpose: str
) -> OpenedDocument:
    """One file of a case in the user's scope, decrypted, with its own audit row naming it.

    A file of a case outside the scope, of another case, or unknown is refused alike, and the
    refused read is audited."""
    document = None
    try:
        case = permit_find_for_staff(user=user, reference=reference)
    except PermitCaseNotFound:
        case = None
    if case is not None:
        document = case.documents.filter(document_id=document_id).first()
    if case is None or document is None:
        _audit_refused(
            user,
            object_type=DOCUMENT_OBJECT_TYPE,
            object_id=document_id if _is_document_id(document_id) else "-",
            purpose=purpose,
        )
        raise PermitDocumentNotFound(document_id)
    content = file_get(zone="police", name=document.stored_name)
    audit_record(
        **audit_actor(user),
        action=f"{DOCUMENT_OBJECT_TYPE}.view_personal_data",
        object_type=DOCUMENT_OBJECT_TYPE,
        object_id=document.document_id,
        purpose=purpose,
        detail={"case": case.reference, "item": document.item, "fields": ["content"]},
    )
    return OpenedDocument(document=document, content=content)


def _is_document_id(value: str) -> bool:
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)

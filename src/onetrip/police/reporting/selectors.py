"""Reads of organisation reporting, scoped to the staff member's jurisdiction.

Station staff see what was reported in their station's jurisdiction, a district administrator
the district's stations and organisations, a city administrator all of it; the three security
administrators none (MLPS-10). A read that shows personal data (a reported person's name and ID
number, an organisation's contact person) writes its audit row here (DOMAIN WF-6, PI-15), and an
object asked for outside the scope is "not found", with the refused read audited (MLPS-5).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet

from onetrip.police.accounts.models import STATION_ROLES, Role, StaffProfile
from onetrip.police.accounts.selectors import staff_profile, station_codes_in_scope
from onetrip.police.audit.services import audit_actor, audit_read_personal_data, audit_record

from .errors import ConflictNotFound, OrganisationNotFound, ReportingError
from .models import (
    OrganisationStatus,
    ReportConflict,
    ReportedStay,
    ReportingOrganisation,
)

PURPOSE = "organisation_reporting"

# Who reads what was reported: the station's staff and the administrators above them.
READING_ROLES = frozenset({*STATION_ROLES, Role.DISTRICT_ADMIN, Role.CITY_ADMIN})
# Who approves organisations: the district (its own organisations) and the city.
DECIDING_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN})
# Who resolves a conflict: the staff of its station, who can go and look.
RESOLVING_ROLES = frozenset(STATION_ROLES)


def fine_per_person_yuan() -> int:
    """ZJ-20 (Art. 34): what an organisation that does not report on time may be fined for each
    person not reported (ONETRIP_REPORTING_FINE_PER_PERSON_YUAN)."""
    return int(settings.ONETRIP_REPORTING_FINE_PER_PERSON_YUAN)


# What the lists show of a person and of an organisation's contact: masked.
STAY_LIST_FIELDS = ("person.name:masked", "person.id_number:masked", "community_code")
CONFLICT_LIST_FIELDS = ("person.name:masked", "person.id_number:masked", "community_code")
ORGANISATION_LIST_FIELDS = ("contact_name:masked", "contact_phone:masked")

STAY_STATES = ("open", "closed")

User = AbstractBaseUser | AnonymousUser


def _profile(user: User) -> StaffProfile | None:
    return staff_profile(user) if user.is_authenticated else None


def reporting_may_read(profile: StaffProfile | None) -> bool:
    """Whether a member of staff sees the reported stays, late reporters and conflicts."""
    return profile is not None and profile.role in READING_ROLES


def organisations_may_decide(profile: StaffProfile | None) -> bool:
    """Whether a member of staff sees organisations waiting for approval."""
    return profile is not None and profile.role in DECIDING_ROLES


def _check_reader(user: User) -> StaffProfile:
    profile = _profile(user)
    if profile is None or not reporting_may_read(profile):
        raise ReportingError(
            "role_cannot_read",
            "您的岗位无权查看单位报送信息",
            "Your role may not see organisations' reports",
            status=403,
        )
    return profile


def _in_scope(profile: StaffProfile | None, qs: QuerySet[Any], path: str) -> QuerySet[Any]:
    """`qs` narrowed to the stations of the profile's jurisdiction (`path` leads to the
    station's code); nothing for a role outside `READING_ROLES`."""
    if not reporting_may_read(profile):
        return qs.none()
    assert profile is not None
    codes = station_codes_in_scope(profile)
    return qs if codes is None else qs.filter(**{f"{path}__in": codes})


# -- organisations ------------------------------------------------------------------------------


def organisations_visible_to(*, user: User) -> QuerySet[ReportingOrganisation]:
    """A district administrator's district, a city administrator's city; nothing for others."""
    profile = _profile(user)
    if not organisations_may_decide(profile):
        return ReportingOrganisation.objects.none()
    assert profile is not None
    qs = ReportingOrganisation.objects.all()
    if profile.role == Role.DISTRICT_ADMIN:
        qs = qs.filter(district_code=profile.district_code)
    return qs


def _refused_read(user: User, object_type: str, object_id: str) -> None:
    if user.is_authenticated:
        audit_record(
            **audit_actor(user),
            action=f"{object_type}.view_personal_data",
            object_type=object_type,
            object_id=object_id or "-",
            purpose=PURPOSE,
            success=False,
            detail={"refused": "not_found_or_out_of_scope"},
        )


def organisation_find_for_staff(*, user: User, credit_code: str) -> ReportingOrganisation:
    """The organisation if the user decides for it, else `OrganisationNotFound` (the refused
    look-up audited). Reads no personal data; its callers audit what they do."""
    code = credit_code.strip().upper()[:18]
    found = organisations_visible_to(user=user).filter(credit_code=code).first()
    if found is None:
        _refused_read(user, "reporting_organisation", code)
        raise OrganisationNotFound()
    return found


def organisation_counts_for_staff(*, user: User) -> dict[str, int]:
    """How many organisations of each status the user decides for (no personal data)."""
    counts = dict.fromkeys(OrganisationStatus.values, 0)
    rows = organisations_visible_to(user=user).values("status").annotate(n=Count("id"))
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def organisation_queue_for_staff(
    *, user: User, status: str = OrganisationStatus.PENDING
) -> list[ReportingOrganisation]:
    """One page of organisations of `status` the user decides for, oldest sign-up first, with
    the audit row of the read of their contacts (masked). 403 for other roles."""
    if not organisations_may_decide(_profile(user)):
        raise ReportingError(
            "role_cannot_decide",
            "只有分局或市局管理员可以审核报送单位",
            "Only district or city administrators decide on reporting organisations",
            status=403,
        )
    if status not in OrganisationStatus.values:
        status = OrganisationStatus.PENDING
    page = list(
        organisations_visible_to(user=user)
        .filter(status=status)
        .order_by("registered_at", "id")[: settings.ONETRIP_QUEUE_PAGE_SIZE]
    )
    if page:
        audit_read_personal_data(
            user=user,
            object_type="reporting_organisation",
            object_id=f"queue:{status}",
            fields=list(ORGANISATION_LIST_FIELDS),
            purpose=PURPOSE,
        )
    return page


# -- stays ----------------------------------------------------------------------------------------


def stays_visible_to(*, user: User) -> QuerySet[ReportedStay]:
    return _in_scope(_profile(user), ReportedStay.objects.all(), "station__code")


@dataclass(frozen=True)
class StayPage:
    stays: list[ReportedStay]
    page: int
    has_next: bool


def stays_for_staff(
    *,
    user: User,
    organisation: str = "",
    late_only: bool = False,
    state: str = "",
    page: int = 1,
) -> StayPage:
    """One page of the stays reported in the user's jurisdiction, newest report first, with the
    audit row of the read (names and ID numbers are shown masked; the filters are recorded,
    never a person's data). `organisation` is a credit code; `state` is "open", "closed" or
    "" for both. 403 for roles without reporting."""
    _check_reader(user)
    qs = stays_visible_to(user=user)
    filters: dict[str, Any] = {}
    code = organisation.strip().upper()[:18]
    if code:
        # The audit row says that the list was narrowed, not to what: a typed filter is input
        # and could be anything, an ID number included.
        qs = qs.filter(organisation__credit_code=code)
        filters["organisation"] = True
    if late_only:
        qs = qs.filter(Q(late=True) | Q(ended_late=True))
        filters["late"] = True
    if state == "open":
        qs = qs.filter(ended_on__isnull=True)
        filters["state"] = state
    elif state == "closed":
        qs = qs.filter(ended_on__isnull=False)
        filters["state"] = state
    size = settings.ONETRIP_QUEUE_PAGE_SIZE
    page = max(1, min(page, 10_000))
    rows = list(
        qs.select_related("person", "organisation", "station")
        .defer(
            "address_detail",
            "person__phone",
            "organisation__contact_name",
            "organisation__contact_phone",
        )
        .order_by("-reported_at", "-id")[(page - 1) * size : page * size + 1]
    )
    has_next = len(rows) > size
    rows = rows[:size]
    if rows:
        audit_record(
            **audit_actor(user),
            action="reported_stay.view_personal_data",
            object_type="reported_stay",
            object_id=f"list:{page}",
            purpose=PURPOSE,
            detail={"fields": sorted(STAY_LIST_FIELDS), "filters": filters, "rows": len(rows)},
        )
    return StayPage(stays=rows, page=page, has_next=has_next)


@dataclass(frozen=True)
class LateOrganisation:
    """An organisation that reported late in the jurisdiction (WF-4), with the possible fine
    of ZJ-20: 100 yuan for each person it reported late."""

    credit_code: str
    name: str
    kind: str
    late_arrivals: int
    late_departures: int
    persons: int

    @property
    def late_reports(self) -> int:
        return self.late_arrivals + self.late_departures

    @property
    def possible_fine_yuan(self) -> int:
        return fine_per_person_yuan() * self.persons


def late_organisations_for_staff(
    *, user: User, since: dt.date | None = None
) -> list[LateOrganisation]:
    """The organisations with late reports of stays in the user's jurisdiction, most persons
    first; `since` counts only events from that day. No personal data: counts only."""
    _check_reader(user)
    late_arrival = Q(late=True)
    late_departure = Q(ended_late=True)
    if since is not None:
        late_arrival &= Q(started_on__gte=since)
        late_departure &= Q(ended_on__gte=since)
    qs = stays_visible_to(user=user).filter(late_arrival | late_departure)
    rows = (
        qs.values("organisation__credit_code", "organisation__name", "organisation__kind")
        .annotate(
            late_arrivals=Count("id", filter=late_arrival),
            late_departures=Count("id", filter=late_departure),
            persons=Count("person", distinct=True),
        )
        .order_by("-persons", "organisation__credit_code")
    )
    out = []
    for row in rows:
        out.append(
            LateOrganisation(
                credit_code=row["organisation__credit_code"],
                name=row["organisation__name"],
                kind=row["organisation__kind"],
                late_arrivals=row["late_arrivals"],
                late_departures=row["late_departures"],
                persons=row["persons"],
            )
        )
    return out


# -- conflicts ------------------------------------------------------------------------------------


def conflicts_visible_to(*, user: User) -> QuerySet[ReportConflict]:
    return _in_scope(_profile(user), ReportConflict.objects.all(), "station__code")


def conflicts_for_staff(*, user: User, resolved: bool = False) -> list[ReportConflict]:
    """One page of the open (or, with `resolved`, the resolved) conflicts of the user's
    jurisdiction, newest first, with the audit row of the read (masked names and ID numbers).
    403 for roles without reporting."""
    _check_reader(user)
    rows = list(
        conflicts_visible_to(user=user)
        .filter(resolved_at__isnull=not resolved)
        .select_related("person", "station", "stay")
        .defer("person__phone", "stay__address_detail")
        .order_by("-created_at", "-id")[: settings.ONETRIP_QUEUE_PAGE_SIZE]
    )
    if rows:
        audit_read_personal_data(
            user=user,
            object_type="report_conflict",
            object_id="list:resolved" if resolved else "list:open",
            fields=list(CONFLICT_LIST_FIELDS),
            purpose=PURPOSE,
        )
    return rows


def conflict_find_for_staff(*, user: User, conflict_id: int) -> ReportConflict:
    """The conflict if it lies in the user's jurisdiction, else `ConflictNotFound` (the refused
    look-up audited). Reads no personal data."""
    found = conflicts_visible_to(user=user).filter(pk=conflict_id).first()
    if found is None:
        _refused_read(user, "report_conflict", str(conflict_id))
        raise ConflictNotFound()
    return found

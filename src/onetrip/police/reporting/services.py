"""Writes of organisation reporting: organisations signing up and the district's decision, and
the bulk apply of what they report (DOMAIN ZJ-6…ZJ-10, ZJ-13, ZJ-20, WF-4, WF-6).

`report_rows_apply` is the ferry's heaviest load: 2.5 million rows arrive as messages of up to
1,000 rows. It is set-based: per message a fixed number of statements whatever the number of
rows (the organisation; the stations of the communities; the persons, stays and declarations
already known; then one upsert or insert per table), with no statement per row. Only what is new
or changed is encrypted: a person reported again with the same name and phone costs a keyed hash
and no encryption.
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from onetrip.common import divisions
from onetrip.common.crypto import lookup_hash
from onetrip.common.db import atomic_for
from onetrip.common.text import clean_text
from onetrip.contracts.reporting import (
    ORGANISATION_DECISION_LABELS,
    HouseReportRow,
    OrganisationDecidedV1,
    OrganisationRegisteredV1,
    PersonReportRow,
    ReportRowsAppliedV1,
    ReportRowsSubmittedV1,
    RowProblem,
)
from onetrip.ferry.agent.outbox import emit
from onetrip.police.accounts.models import Role
from onetrip.police.accounts.selectors import staff_profile
from onetrip.police.audit.services import audit_actor, audit_record
from onetrip.police.permits.clock import WorkingCalendar
from onetrip.police.register.models import CURRENT_STATUSES, ResidenceDeclaration
from onetrip.police.stations.models import StationStreet

from .deadlines import city_working_calendar, report_due_on
from .errors import ReportingError
from .models import (
    ConflictKind,
    OrganisationStatus,
    PersonSource,
    RentalHouse,
    ReportConflict,
    ReportedPerson,
    ReportedStay,
    ReportingOrganisation,
    SourceKind,
)
from .selectors import (
    DECIDING_ROLES,
    RESOLVING_ROLES,
    conflict_find_for_staff,
    organisation_find_for_staff,
)

logger = logging.getLogger(__name__)

PURPOSE = "organisation_reporting"
OBJECT_ORGANISATION = "reporting_organisation"
OBJECT_CONFLICT = "report_conflict"

User = AbstractBaseUser | AnonymousUser

# What a district may do with an organisation in each status; the same status again is refused.
DECISIONS_FROM: dict[str, frozenset[str]] = {
    OrganisationStatus.PENDING: frozenset({"approved", "refused"}),
    OrganisationStatus.APPROVED: frozenset({"suspended"}),
    OrganisationStatus.SUSPENDED: frozenset({"approved", "refused"}),
    OrganisationStatus.REFUSED: frozenset({"approved"}),
}
# A refusal or a suspension tells the organisation why, in words it can act on.
REASON_REQUIRED = frozenset({"refused", "suspended"})
MIN_REASON = 4


# -- organisations ------------------------------------------------------------------------------


def organisation_receive(*, message: OrganisationRegisteredV1) -> ReportingOrganisation:
    """File an organisation's sign-up for its district's decision.

    Idempotent on the credit code: the same registration arriving again changes nothing. A later
    registration of the same code (the account's details corrected on the portal, or signing up
    again after a refusal) updates the details, and a refused organisation waits for a new
    decision; an approved or suspended one keeps its status."""
    now = timezone.now()
    values = {
        "name": message.name,
        "kind": message.kind,
        "district_code": message.district_code,
        "address": message.address,
        "contact_name": message.contact_name,
        "contact_phone": message.contact_phone,
    }
    with atomic_for(ReportingOrganisation):
        organisation = (
            ReportingOrganisation.objects.select_for_update()
            .filter(credit_code=message.credit_code)
            .first()
        )
        if organisation is None:
            organisation = ReportingOrganisation.objects.create(
                credit_code=message.credit_code,
                registered_at=message.registered_at,
                received_at=now,
                **values,
            )
            logger.info("organisation registered organisation_id=%s", organisation.pk)
            return organisation
        if message.registered_at <= organisation.registered_at:
            return organisation
        for name, value in values.items():
            setattr(organisation, name, value)
        organisation.registered_at = message.registered_at
        organisation.received_at = now
        if organisation.status == OrganisationStatus.REFUSED:
            organisation.status = OrganisationStatus.PENDING
            organisation.reason = ""
            organisation.decided_by = None
            organisation.decided_at = None
        organisation.save()
        logger.info("organisation registered again organisation_id=%s", organisation.pk)
        return organisation


def organisation_check_can_decide(
    *, user: User, organisation: ReportingOrganisation, decision: str
) -> None:
    """Raise `ReportingError` unless `user` may take `decision` on `organisation` now.

    The district administrator of the organisation's district or a city administrator decides
    (the caller found the organisation through `organisation_find_for_staff`, which already
    hides other districts' organisations); only the moves of `DECISIONS_FROM` are allowed."""
    profile = staff_profile(user)
    if profile is None or profile.role not in DECIDING_ROLES:
        raise ReportingError(
            "role_cannot_decide",
            "只有分局或市局管理员可以审核报送单位",
            "Only district or city administrators decide on reporting organisations",
            status=403,
        )
    if profile.role == Role.DISTRICT_ADMIN and profile.district_code != organisation.district_code:
        raise ReportingError(
            "other_district",
            "只有单位所在区县的分局管理员可以审核该单位",
            "Only the administrator of the organisation's district may decide",
            status=403,
        )
    if decision not in DECISIONS_FROM.get(organisation.status, frozenset()):
        raise ReportingError(
            "decision_not_allowed",
            "该单位当前状态下不能进行此项操作",
            "This decision is not possible in the organisation's current status",
            status=409,
        )


def organisation_can_decide(
    *, user: User, organisation: ReportingOrganisation, decision: str
) -> bool:
    """For templates: whether the button for `decision` would be accepted."""
    try:
        organisation_check_can_decide(user=user, organisation=organisation, decision=decision)
    except ReportingError:
        return False
    return True


def _clean_reason(decision: str, reason: str) -> str:
    if decision not in ORGANISATION_DECISION_LABELS:
        raise ReportingError(
            "decision_invalid", "请选择审核结果", "Choose a decision", field="decision"
        )
    text = clean_text(
        reason, field="reason", label_zh="理由", label_en="reason", max_length=300
    ).rstrip("。.")
    if decision in REASON_REQUIRED and len(text) < MIN_REASON:
        raise ReportingError(
            "reason_required",
            "不予通过或暂停报送时，请写明理由（至少4个字），告诉单位需要如何处理",
            "Give the reason (at least 4 characters) so the organisation knows what to do",
            field="reason",
        )
    return text


def organisation_decide(
    *, user: AbstractBaseUser, credit_code: str, decision: str, reason: str = ""
) -> ReportingOrganisation:
    """Approve, refuse or suspend an organisation's reporting, tell the portal in the same
    transaction (`organisation.decided`), and audit the decision.

    Only an approved organisation's rows reach the register; a refusal or suspension needs a
    reason the organisation can act on."""
    reason = _clean_reason(decision, reason)
    # Found before the transaction, so that a refused look-up's audit row stays.
    visible = organisation_find_for_staff(user=user, credit_code=credit_code)
    with atomic_for(ReportingOrganisation, durable=True):
        organisation = ReportingOrganisation.objects.select_for_update().get(pk=visible.pk)
        organisation_check_can_decide(user=user, organisation=organisation, decision=decision)
        previous = organisation.status
        now = timezone.now()
        organisation.status = decision
        organisation.reason = reason
        organisation.decided_by = user  # type: ignore[assignment]
        organisation.decided_at = now
        organisation.save(update_fields=["status", "reason", "decided_by", "decided_at"])
        emit(
            zone="police",
            message=OrganisationDecidedV1(
                credit_code=organisation.credit_code,
                decision=decision,  # type: ignore[arg-type]
                reason=reason,
                decided_at=now,
            ),
            aggregate_id=organisation.credit_code,
            correlation_id=organisation.credit_code,
            actor=f"staff:{user.get_username()}",
            purpose=PURPOSE,
        )
        audit_record(
            **audit_actor(user),
            action="organisation.decide",
            object_type=OBJECT_ORGANISATION,
            object_id=organisation.credit_code,
            purpose=PURPOSE,
            detail={"from": previous, "to": decision},
        )
        return organisation


# -- conflicts ------------------------------------------------------------------------------------


def conflict_check_can_resolve(*, user: User, conflict: ReportConflict) -> None:
    """Raise `ReportingError` unless `user` may close `conflict`: the staff of the conflict's
    station resolve it (district and city administrators see it and do not), and only once."""
    profile = staff_profile(user)
    if profile is None or profile.role not in RESOLVING_ROLES:
        raise ReportingError(
            "role_cannot_resolve",
            "只有辖区派出所民警可以处理该疑点",
            "Only staff of the responsible station resolve this conflict",
            status=403,
        )
    if profile.station_id != conflict.station_id:
        raise ReportingError(
            "other_station",
            "只有辖区派出所民警可以处理该疑点",
            "Only staff of the responsible station resolve this conflict",
            status=403,
        )
    if conflict.resolved_at is not None:
        raise ReportingError(
            "already_resolved",
            "该疑点已处理，不能重复操作",
            "This conflict has already been resolved",
            status=409,
        )


def conflict_can_resolve(*, user: User, conflict: ReportConflict) -> bool:
    """For templates: whether the resolve button would be accepted."""
    try:
        conflict_check_can_resolve(user=user, conflict=conflict)
    except ReportingError:
        return False
    return True


def conflict_resolve(*, user: AbstractBaseUser, conflict_id: int, note: str) -> ReportConflict:
    """Close a conflict with what the station found (e.g. after a visit), audited."""
    note = clean_text(
        note, field="note", label_zh="处理结果", label_en="outcome", max_length=300
    ).rstrip("。.")
    if len(note) < MIN_REASON:
        raise ReportingError(
            "note_required",
            "请写明核实结果（至少4个字）",
            "Say what was found (at least 4 characters)",
            field="note",
        )
    visible = conflict_find_for_staff(user=user, conflict_id=conflict_id)
    with atomic_for(ReportConflict, durable=True):
        conflict = ReportConflict.objects.select_for_update().get(pk=visible.pk)
        conflict_check_can_resolve(user=user, conflict=conflict)
        conflict.resolved_at = timezone.now()
        conflict.resolved_by = user  # type: ignore[assignment]
        conflict.resolution = note
        conflict.save(update_fields=["resolved_at", "resolved_by", "resolution"])
        audit_record(
            **audit_actor(user),
            action="report_conflict.resolve",
            object_type=OBJECT_CONFLICT,
            object_id=str(conflict.pk),
            purpose=PURPOSE,
            detail={"kind": conflict.kind},
        )
        return conflict


# -- the bulk apply -------------------------------------------------------------------------------


def _problem(row: int, code: str, zh: str, en: str, column: str = "") -> RowProblem:
    return RowProblem(row=row, column=column, code=code, message_zh=zh, message_en=en)


def _not_approved(row: int) -> RowProblem:
    return _problem(
        row,
        "organisation_not_approved",
        "本单位尚未通过公安机关审核（或已暂停报送），该行未登记",
        "The organisation is not approved to report (or is suspended); the row was not applied",
    )


def _no_station(row: int) -> RowProblem:
    return _problem(
        row,
        "community_without_station",
        "该社区不在本市派出所管辖范围内，请核对社区",
        "No police station of the city covers this community; check the community",
        "community_code",
    )


def _address_key(community_code: str, address_detail: str) -> str:
    """A keyed hash of the place, compared instead of decrypted addresses: case, width and white
    space do not make two places of one."""
    folded = "".join(unicodedata.normalize("NFKC", address_detail).casefold().split())
    return lookup_hash(f"{community_code}\x00{folded}", purpose="reported_address")


def _person_facts(id_number: str) -> tuple[str, dt.date] | None:
    """Sex and birth date as the ID number (GB 11643) carries them; None if it does not."""
    try:
        birth = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
        sex = "M" if int(id_number[16]) % 2 else "F"
    except ValueError:
        return None
    return sex, birth


def _stations_for(communities: Iterable[str]) -> dict[str, int]:
    """Station id by community code (community → street → station) in one query; a community
    unknown to the divisions or covered by no station is absent."""
    streets: dict[str, str] = {}
    for code in set(communities):
        community = divisions.community(code)
        if community is not None:
            streets[code] = community.street_code
    if not streets:
        return {}
    by_street = dict(
        StationStreet.objects.filter(street_code__in=set(streets.values())).values_list(
            "street_code", "station_id"
        )
    )
    return {code: by_street[street] for code, street in streets.items() if street in by_street}


@dataclass
class _Stay:
    """A stay as this message sees it: loaded from the register or made by one of its rows."""

    person_hash: str
    organisation_id: int
    relation: str
    started_on: dt.date
    ended_on: dt.date | None
    address_hash: str
    pk: int | None = None
    new: ReportedStay | None = None  # the row to insert, for a stay this message opens


@dataclass
class _Flag:
    """A conflict a row raises, written once the stay has its id. `detail` holds dates and
    community codes only."""

    stay: _Stay
    kind: ConflictKind
    detail: dict[str, object]
    organisation_ids: list[int] = field(default_factory=list)
    self_declared: bool = False


@dataclass
class _Apply:
    """One message's apply: first read everything it needs in a few queries, then decide every
    row in memory, then write each table with one statement."""

    message: ReportRowsSubmittedV1
    organisation: ReportingOrganisation
    now: dt.datetime
    calendar: WorkingCalendar
    applied: int = 0
    unchanged: int = 0
    refused: list[RowProblem] = field(default_factory=list)
    conflicts: list[ReportConflict] = field(default_factory=list)
    # Stays of the register this message closes: pk and the ended_* values only.
    closing: list[ReportedStay] = field(default_factory=list)
    _due: dict[dt.date, dt.date] = field(default_factory=dict)

    @property
    def reported_on(self) -> dt.date:
        return timezone.localtime(self.message.reported_at).date()

    def due(self, day: dt.date) -> dt.date:
        found = self._due.get(day)
        if found is None:
            found = self._due[day] = report_due_on(day, calendar=self.calendar)
        return found

    # -- houses ----------------------------------------------------------------------------

    def apply_houses(self, stations: dict[str, int]) -> dict[str, int]:
        """Upsert the message's houses; return the house id of every reference the message's
        houses and people name that the register holds for this organisation."""
        org = self.organisation
        refs = {h.house_ref for h in self.message.houses} | {
            p.house_ref for p in self.message.people if p.house_ref
        }
        if not refs:
            return {}
        known = {
            ref: (pk, row_hash)
            for ref, pk, row_hash in RentalHouse.objects.filter(
                organisation=org, house_ref__in=refs
            ).values_list("house_ref", "id", "row_hash")
        }
        hashes = {ref: row_hash for ref, (_pk, row_hash) in known.items()}
        upserts: dict[str, RentalHouse] = {}
        for row in self.message.houses:
            station_id = stations.get(row.community_code)
            if station_id is None:
                self.refused.append(_no_station(row.row))
                continue
            if row.let_until is not None and row.let_until < row.let_from:
                self.refused.append(
                    _problem(
                        row.row,
                        "let_until_before_let_from",
                        "出租截止日期早于出租起始日期",
                        "The tenancy ends before it starts",
                        "let_until",
                    )
                )
                continue
            row_hash = _house_hash(row)
            if hashes.get(row.house_ref) == row_hash:
                self.unchanged += 1
                continue
            hashes[row.house_ref] = row_hash
            upserts[row.house_ref] = RentalHouse(
                organisation=org,
                house_ref=row.house_ref,
                community_code=row.community_code,
                station_id=station_id,
                address_detail=row.address_detail,
                owner_name=row.owner_name,
                owner_id_number=row.owner_id_number,
                owner_id_hash=lookup_hash(row.owner_id_number, purpose="id_number"),
                owner_phone=row.owner_phone,
                rooms=row.rooms,
                let_from=row.let_from,
                let_until=row.let_until,
                row_hash=row_hash,
                import_reference=self.message.import_reference,
                row=row.row,
                first_reported_at=self.now,
                last_reported_at=self.now,
            )
            self.applied += 1
        ids = {ref: pk for ref, (pk, _hash) in known.items()}
        if upserts:
            saved = RentalHouse.objects.bulk_create(
                list(upserts.values()),
                update_conflicts=True,
                unique_fields=["organisation", "house_ref"],
                update_fields=[
                    "community_code",
                    "station",
                    "address_detail",
                    "owner_name",
                    "owner_id_number",
                    "owner_id_hash",
                    "owner_phone",
                    "rooms",
                    "let_from",
                    "let_until",
                    "row_hash",
                    "import_reference",
                    "row",
                    "last_reported_at",
                ],
            )
            if any(h.pk is None for h in saved):  # a database that returns no ids
                ids = dict(
                    RentalHouse.objects.filter(organisation=org, house_ref__in=refs).values_list(
                        "house_ref", "id"
                    )
                )
            else:
                ids.update({h.house_ref: h.pk for h in saved})
            new_refs = [ref for ref in upserts if ref not in known]
            if new_refs:
                # Tenants reported before their house: link them now that it is known.
                ReportedStay.objects.filter(
                    organisation=org, house__isnull=True, house_ref__in=new_refs
                ).update(
                    house_id=Subquery(
                        RentalHouse.objects.filter(
                            organisation_id=OuterRef("organisation_id"),
                            house_ref=OuterRef("house_ref"),
                        ).values("id")[:1]
                    )
                )
        return ids

    # -- people ----------------------------------------------------------------------------

    def apply_people(self, stations: dict[str, int], houses: dict[str, int]) -> None:
        org = self.organisation
        reported_on = self.reported_on
        rows: list[tuple[PersonReportRow, str, int]] = []
        for row in self.message.people:
            station_id = stations.get(row.community_code)
            if station_id is None:
                self.refused.append(_no_station(row.row))
                continue
            if row.event_date > reported_on:
                self.refused.append(
                    _problem(
                        row.row,
                        "event_date_in_future",
                        "入住/入职或离开日期晚于报送日期",
                        "The event date is after the day of the report",
                        "event_date",
                    )
                )
                continue
            rows.append((row, lookup_hash(row.id_number, purpose="id_number"), station_id))
        if not rows:
            return
        hashes = {h for _row, h, _s in rows}
        dates = {row.event_date for row, _h, _s in rows}

        persons: dict[str, tuple[int, str]] = {
            h: (pk, details)
            for h, pk, details in ReportedPerson.objects.filter(id_hash__in=hashes).values_list(
                "id_hash", "id", "details_hash"
            )
        }
        by_pk = {pk: h for h, (pk, _d) in persons.items()}
        # This organisation's stays of these people (to tell a repeated row, to close on a
        # departure) and everybody's stays that began on the message's dates (two places).
        stays: list[_Stay] = []
        if persons:
            for pk, org_id, relation, started, ended_on, address_hash, person_id in (
                ReportedStay.objects.filter(person_id__in=by_pk)
                .filter(Q(organisation=org) | Q(started_on__in=dates))
                .values_list(
                    "id",
                    "organisation_id",
                    "relation",
                    "started_on",
                    "ended_on",
                    "address_hash",
                    "person_id",
                )
            ):
                stays.append(
                    _Stay(by_pk[person_id], org_id, relation, started, ended_on, address_hash, pk)
                )
        declared: dict[str, set[str]] = defaultdict(set)
        for h, community in ResidenceDeclaration.objects.filter(
            id_hash__in=hashes, status__in=CURRENT_STATUSES
        ).values_list("id_hash", "community_code"):
            declared[h].add(community)

        own: dict[tuple[str, str, dt.date], _Stay] = {}
        open_stays: dict[tuple[str, str], _Stay] = {}
        ended: dict[tuple[str, str], set[dt.date]] = defaultdict(set)
        by_day: dict[tuple[str, dt.date], list[_Stay]] = defaultdict(list)
        for stay in stays:
            by_day[(stay.person_hash, stay.started_on)].append(stay)
            if stay.organisation_id == org.pk:
                own[(stay.person_hash, stay.relation, stay.started_on)] = stay
                if stay.ended_on is not None:
                    ended[(stay.person_hash, stay.relation)].add(stay.ended_on)
                else:
                    current = open_stays.get((stay.person_hash, stay.relation))
                    if current is None or current.started_on < stay.started_on:
                        open_stays[(stay.person_hash, stay.relation)] = stay

        new_persons: dict[str, ReportedPerson] = {}
        touched: set[str] = set()
        pending_conflicts: list[_Flag] = []

        for row, h, station_id in rows:
            if row.event == "arrived":
                key = (h, row.relation, row.event_date)
                if key in own:
                    self.unchanged += 1
                    touched.add(h)
                    continue
                current = open_stays.get((h, row.relation))
                if current is not None and current.started_on > row.event_date:
                    self.refused.append(
                        _problem(
                            row.row,
                            "earlier_than_open_stay",
                            "该人员在本单位已有日期更晚的入住/入职记录，请先报送离开",
                            "The person has a later arrival with this organisation still open; "
                            "report the departure first",
                            "event_date",
                        )
                    )
                    continue
                facts = _person_facts(row.id_number)
                if facts is None:
                    self.refused.append(
                        _problem(
                            row.row,
                            "id_number_invalid",
                            "身份证号码中的出生日期无效",
                            "The ID number's birth date is not a date",
                            "id_number",
                        )
                    )
                    continue
                if current is not None:
                    # Moved within the organisation (another house, re-hired): the old stay
                    # ends the day the new one begins.
                    self._close(current, row)
                    ended[(h, row.relation)].add(row.event_date)
                self._person(row, h, facts, persons, new_persons)
                touched.add(h)
                address_hash = _address_key(row.community_code, row.address_detail)
                due_on = self.due(row.event_date)
                stay = _Stay(h, org.pk, row.relation, row.event_date, None, address_hash)
                stay.new = ReportedStay(
                    organisation=org,
                    relation=row.relation,
                    house_id=houses.get(row.house_ref) if row.house_ref else None,
                    house_ref=row.house_ref,
                    community_code=row.community_code,
                    station_id=station_id,
                    address_detail=row.address_detail,
                    address_hash=address_hash,
                    started_on=row.event_date,
                    reported_at=self.message.reported_at,
                    due_on=due_on,
                    late=reported_on > due_on,
                    import_reference=self.message.import_reference,
                    row=row.row,
                )
                others = [
                    s
                    for s in by_day[(h, row.event_date)]
                    if s.organisation_id != org.pk and s.address_hash != address_hash
                ]
                if others:
                    pending_conflicts.append(
                        _Flag(
                            stay,
                            ConflictKind.TWO_PLACES_SAME_DAY,
                            {
                                "date": row.event_date.isoformat(),
                                "reported_community": row.community_code,
                            },
                            organisation_ids=sorted({s.organisation_id for s in others}),
                        )
                    )
                communities = declared.get(h)
                if communities and row.community_code not in communities:
                    pending_conflicts.append(
                        _Flag(
                            stay,
                            ConflictKind.DIFFERS_FROM_SELF_DECLARED,
                            {
                                "date": row.event_date.isoformat(),
                                "reported_community": row.community_code,
                                "declared_communities": sorted(communities),
                            },
                            self_declared=True,
                        )
                    )
                own[key] = stay
                open_stays[(h, row.relation)] = stay
                by_day[(h, row.event_date)].append(stay)
                self.applied += 1
            else:
                current = open_stays.get((h, row.relation))
                if current is None:
                    if row.event_date in ended.get((h, row.relation), ()):
                        self.unchanged += 1
                        touched.add(h)
                        continue
                    self.refused.append(
                        _problem(
                            row.row,
                            "no_arrival_on_record",
                            "登记中没有该人员在本单位的入住/入职记录，无法登记离开",
                            "The register holds no arrival of this person with this "
                            "organisation to close",
                        )
                    )
                    continue
                if row.event_date < current.started_on:
                    self.refused.append(
                        _problem(
                            row.row,
                            "left_before_arrival",
                            "离开日期早于入住/入职日期",
                            "The departure is before the arrival",
                            "event_date",
                        )
                    )
                    continue
                self._close(current, row)
                ended[(h, row.relation)].add(row.event_date)
                del open_stays[(h, row.relation)]
                touched.add(h)
                self.applied += 1

        person_ids = self._write_persons(persons, new_persons, touched)
        self._write_stays(own, person_ids)
        self._write_sources(touched, declared, person_ids)
        self._write_conflicts(pending_conflicts, person_ids)

    def _person(
        self,
        row: PersonReportRow,
        h: str,
        facts: tuple[str, dt.date],
        persons: dict[str, tuple[int, str]],
        new_persons: dict[str, ReportedPerson],
    ) -> None:
        """Plan the person's row: new, or changed (name or phone), or nothing to write."""
        details = lookup_hash(f"{row.name}\x00{row.phone}", purpose="reported_person")
        planned = new_persons.get(h)
        if planned is not None:
            planned.name, planned.phone, planned.details_hash = row.name, row.phone, details
            return
        known = persons.get(h)
        if known is not None and known[1] == details:
            return
        new_persons[h] = ReportedPerson(
            id_hash=h,
            name=row.name,
            id_number=row.id_number,
            phone=row.phone,
            details_hash=details,
            sex=facts[0],
            birth_date=facts[1],
            first_reported_at=self.now,
            last_reported_at=self.now,
        )

    def _close(self, stay: _Stay, row: PersonReportRow) -> None:
        """End `stay` on the row's date: on the row still to be inserted when this message
        opened it, else on a row of `closing` for one UPDATE of them all."""
        due_on = self.due(row.event_date)
        stay.ended_on = row.event_date
        values = {
            "ended_on": row.event_date,
            "ended_reported_at": self.message.reported_at,
            "ended_due_on": due_on,
            "ended_late": self.reported_on > due_on,
            "ended_import_reference": self.message.import_reference,
            "ended_row": row.row,
        }
        target = stay.new if stay.new is not None else ReportedStay(pk=stay.pk)
        for name, value in values.items():
            setattr(target, name, value)
        if stay.new is None:
            self.closing.append(target)

    def _write_persons(
        self,
        persons: dict[str, tuple[int, str]],
        new_persons: dict[str, ReportedPerson],
        touched: set[str],
    ) -> dict[str, int]:
        ids = {h: pk for h, (pk, _d) in persons.items()}
        if new_persons:
            saved = ReportedPerson.objects.bulk_create(
                list(new_persons.values()),
                update_conflicts=True,
                unique_fields=["id_hash"],
                update_fields=["name", "phone", "details_hash", "last_reported_at"],
            )
            if any(p.pk is None for p in saved):
                ids = dict(
                    ReportedPerson.objects.filter(id_hash__in=touched).values_list("id_hash", "id")
                )
            else:
                ids.update({p.id_hash: p.pk for p in saved})
        rest = [ids[h] for h in touched if h in persons and h not in new_persons]
        if rest:
            ReportedPerson.objects.filter(id__in=rest).update(last_reported_at=self.now)
        return ids

    def _write_stays(
        self, own: dict[tuple[str, str, dt.date], _Stay], person_ids: dict[str, int]
    ) -> None:
        new = [s for s in own.values() if s.new is not None and s.pk is None]
        if new:
            for stay in new:
                assert stay.new is not None
                stay.new.person_id = person_ids[stay.person_hash]
            ReportedStay.objects.bulk_create([s.new for s in new if s.new is not None])
            for stay in new:
                assert stay.new is not None
                stay.pk = stay.new.pk
            if any(s.pk is None for s in new):  # a database that returns no ids
                found = {
                    (p, rel, started): pk
                    for pk, p, rel, started in ReportedStay.objects.filter(
                        organisation=self.organisation,
                        person_id__in={person_ids[s.person_hash] for s in new},
                    ).values_list("id", "person_id", "relation", "started_on")
                }
                for stay in new:
                    stay.pk = found[(person_ids[stay.person_hash], stay.relation, stay.started_on)]
        if self.closing:
            ReportedStay.objects.bulk_update(
                self.closing,
                [
                    "ended_on",
                    "ended_reported_at",
                    "ended_due_on",
                    "ended_late",
                    "ended_import_reference",
                    "ended_row",
                ],
            )

    def _write_sources(
        self, touched: set[str], declared: dict[str, set[str]], person_ids: dict[str, int]
    ) -> None:
        if not touched:
            return
        org = self.organisation
        PersonSource.objects.bulk_create(
            [
                PersonSource(
                    person_id=person_ids[h],
                    source_kind=org.kind,
                    organisation=org,
                    first_reported_at=self.now,
                    last_reported_at=self.now,
                )
                for h in sorted(touched)
            ],
            update_conflicts=True,
            unique_fields=["person", "organisation"],
            update_fields=["last_reported_at"],
        )
        selves = [h for h in sorted(touched) if declared.get(h)]
        if selves:
            PersonSource.objects.bulk_create(
                [
                    PersonSource(
                        person_id=person_ids[h],
                        source_kind=SourceKind.SELF_DECLARED,
                        organisation=None,
                        first_reported_at=self.now,
                        last_reported_at=self.now,
                    )
                    for h in selves
                ],
                ignore_conflicts=True,
            )

    def _write_conflicts(self, pending: list[_Flag], person_ids: dict[str, int]) -> None:
        if not pending:
            return
        others = {o for flag in pending for o in flag.organisation_ids}
        codes = (
            dict(
                ReportingOrganisation.objects.filter(id__in=others).values_list("id", "credit_code")
            )
            if others
            else {}
        )
        me = f"organisation:{self.organisation.credit_code}"
        for flag in pending:
            stay = flag.stay
            assert stay.new is not None
            sources = [me, *(f"organisation:{codes[o]}" for o in flag.organisation_ids)]
            if flag.self_declared:
                sources.append(SourceKind.SELF_DECLARED.value)
            self.conflicts.append(
                ReportConflict(
                    person_id=person_ids[stay.person_hash],
                    station_id=stay.new.station_id,
                    stay_id=stay.pk,
                    kind=flag.kind,
                    detail=flag.detail,
                    sources=sources,
                    created_at=self.now,
                )
            )
        ReportConflict.objects.bulk_create(self.conflicts)


def _house_hash(row: HouseReportRow) -> str:
    fields = row.model_dump(mode="json", exclude={"row"})
    text = "\x00".join(f"{k}={fields[k]}" for k in sorted(fields))
    return lookup_hash(text, purpose="reported_house")


def report_rows_apply(*, message: ReportRowsSubmittedV1) -> ReportRowsAppliedV1:
    """Apply one chunk of an organisation's rows to the register and answer it with one
    `report.rows_applied` in the same transaction (DOMAIN ZJ-6…ZJ-10, WF-4).

    - Rows of an organisation that is not approved (unknown, pending, refused, suspended) are
      all refused, each with `organisation_not_approved`.
    - A person is one `ReportedPerson` however many sources report them; each source is recorded
      (`PersonSource`), the person's own declaration included when it stands.
    - An arrival opens a stay, due on the event date + 3 working days of the city's calendar and
      late when reported after that; the same arrival again changes nothing (`unchanged`).
    - A departure closes the open stay; with no open stay it is refused (`no_arrival_on_record`).
    - An arrival at another place on the same day as another organisation's report, or at a
      community other than the person's current declaration, is applied and flagged for the
      station (`ReportConflict`, counted in `conflicts`).

    Called by the ferry inside its apply transaction (and joins the caller's transaction when
    called directly). Set-based: see the module docstring."""
    now = timezone.now()
    with atomic_for(ReportedStay):
        organisation = (
            ReportingOrganisation.objects.defer("contact_name", "contact_phone")
            .filter(credit_code=message.credit_code)
            .first()
        )
        if organisation is None or organisation.status != OrganisationStatus.APPROVED:
            answer = ReportRowsAppliedV1(
                import_reference=message.import_reference,
                chunk=message.chunk,
                applied=0,
                unchanged=0,
                conflicts=0,
                refused=sorted(
                    [_not_approved(h.row) for h in message.houses]
                    + [_not_approved(p.row) for p in message.people],
                    key=lambda problem: problem.row,
                ),
            )
        else:
            work = _Apply(
                message=message,
                organisation=organisation,
                now=now,
                calendar=city_working_calendar(),
            )
            stations = _stations_for(
                [r.community_code for r in message.people]
                + [h.community_code for h in message.houses]
            )
            houses = work.apply_houses(stations)
            work.apply_people(stations, houses)
            answer = ReportRowsAppliedV1(
                import_reference=message.import_reference,
                chunk=message.chunk,
                applied=work.applied,
                unchanged=work.unchanged,
                conflicts=len(work.conflicts),
                refused=sorted(work.refused, key=lambda p: p.row),
            )
        emit(
            zone="police",
            message=answer,
            aggregate_id=message.import_reference,
            correlation_id=message.import_reference,
            actor="system",
            purpose=PURPOSE,
        )
    logger.info(
        "report rows applied import=%s chunk=%s applied=%s unchanged=%s refused=%s conflicts=%s",
        message.import_reference,
        message.chunk,
        answer.applied,
        answer.unchanged,
        len(answer.refused),
        answer.conflicts,
    )
    return answer

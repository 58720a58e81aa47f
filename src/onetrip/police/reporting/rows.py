"""The bulk apply of organisations' rows (DOMAIN ZJ-6…ZJ-10, ZJ-13, WF-4): `report_rows_apply`.

This is the ferry's heaviest load: 2.5 million rows arrive as messages of up to 1,000 rows. The
apply is set-based. Per message it reads what it needs in a fixed number of queries (the
organisation; the stations of the message's communities; the persons, their stays and their
current declarations), decides every row in memory, in order, and writes each table with one
statement (`common/bulk.py::insert_rows`), whatever the number of rows. No statement runs per
row.

Only what is new or changed is encrypted: a person reported again with the same name and phone
costs a keyed hash and no encryption, a house reported again unchanged likewise.
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from onetrip.common import divisions
from onetrip.common.bulk import insert_rows, member_of, select_rows, update_rows
from onetrip.common.crypto import encrypt_text, encrypt_texts, lookup_hasher, parse_keys
from onetrip.common.db import atomic_for, db_for
from onetrip.contracts.reporting import (
    HouseReportRow,
    PersonReportRow,
    ReportRowsAppliedV1,
    ReportRowsSubmittedV1,
    RowProblem,
)
from onetrip.ferry.agent.outbox import emit
from onetrip.police.permits.clock import WorkingCalendar
from onetrip.police.register.models import CURRENT_STATUSES, ResidenceDeclaration
from onetrip.police.stations.models import StationStreet

from .deadlines import city_working_calendar, report_due_on
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

logger = logging.getLogger(__name__)

PURPOSE = "organisation_reporting"

# The columns the apply writes, in the order its rows carry them.
PERSON_FIELDS = (
    "id_hash",
    "name",
    "id_number",
    "phone",
    "details_hash",
    "sex",
    "birth_date",
)  # and first_reported_at, last_reported_at: the message's time, the same for every row
STAY_FIELDS = (
    "person",
    "organisation",
    "relation",
    "house",
    "house_ref",
    "community_code",
    "station",
    "address_detail",
    "address_hash",
    "started_on",
    "reported_at",
    "due_on",
    "late",
    "import_reference",
    "row",
    "ended_on",
    "ended_reported_at",
    "ended_due_on",
    "ended_late",
    "ended_import_reference",
    "ended_row",
)
ENDED_FIELDS = STAY_FIELDS[15:]
# What differs between the stays a message opens; the organisation, the time of the report and
# the import are the message's own (`insert_rows(shared=…)`).
NEW_STAY_FIELDS = tuple(
    name for name in STAY_FIELDS if name not in ("organisation", "reported_at", "import_reference")
)
HOUSE_FIELDS = (
    "organisation",
    "house_ref",
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
    "first_reported_at",
    "last_reported_at",
)
CONFLICT_FIELDS = (
    "person",
    "station",
    "stay",
    "kind",
    "detail",
    "sources",
    "created_at",
    "resolution",
)


# -- what a refused row says --------------------------------------------------------------------


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


# -- pure helpers -------------------------------------------------------------------------------


def _person_facts(id_number: str) -> tuple[str, dt.date] | None:
    """Sex and birth date as the ID number (GB 11643) carries them; None if it does not."""
    try:
        birth = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
        sex = "M" if int(id_number[16]) % 2 else "F"
    except ValueError:
        return None
    return sex, birth


def _folded(text: str) -> str:
    """Case, width and white space do not make two places of one."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


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


# -- the state of one message's apply ---------------------------------------------------------


@dataclass
class _Stay:
    """A stay as this message sees it: loaded from the register or opened by one of its rows
    (`new` then holds its values, by `STAY_FIELDS` name, until it is inserted)."""

    person_hash: str
    organisation_id: int
    relation: str
    started_on: dt.date
    ended_on: dt.date | None
    address_hash: str
    pk: int | None = None
    new: dict[str, Any] | None = None
    # For a register stay this message ends: the ended_* values to write.
    ended: dict[str, Any] | None = None


@dataclass
class _Flag:
    """A conflict a row raises, written once its stay has an id. `detail` holds dates and
    community codes only."""

    stay: _Stay
    station_id: int
    kind: ConflictKind
    detail: dict[str, object]
    organisation_ids: list[int] = field(default_factory=list)
    self_declared: bool = False


@dataclass
class _Known:
    """The register's facts about one message's people, kept up to date as its rows are decided
    in order, so a later row sees what an earlier one did (an arrival, then its departure)."""

    # id_hash → (person id, details_hash)
    persons: dict[str, tuple[int, str]] = field(default_factory=dict)
    # id_hash → communities of the person's current declarations
    declared: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # This organisation's stays by (id_hash, relation, started_on); its open ones by (id_hash,
    # relation); the days its closed ones ended on; everybody's stays by (id_hash, started_on).
    own: dict[tuple[str, str, dt.date], _Stay] = field(default_factory=dict)
    open: dict[tuple[str, str], _Stay] = field(default_factory=dict)
    ended: dict[tuple[str, str], set[dt.date]] = field(default_factory=lambda: defaultdict(set))
    by_day: dict[tuple[str, dt.date], list[_Stay]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # What the rows decided: persons to insert or update (values by `PERSON_FIELDS` name, not
    # yet encrypted), persons reported, register stays closed, conflicts.
    new_persons: dict[str, dict[str, Any]] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)
    closing: list[_Stay] = field(default_factory=list)
    flags: list[_Flag] = field(default_factory=list)

    def add(self, stay: _Stay, *, own: bool) -> None:
        self.by_day[(stay.person_hash, stay.started_on)].append(stay)
        if not own:
            return
        self.own[(stay.person_hash, stay.relation, stay.started_on)] = stay
        key = (stay.person_hash, stay.relation)
        if stay.ended_on is not None:
            self.ended[key].add(stay.ended_on)
            return
        current = self.open.get(key)
        if current is None or current.started_on <= stay.started_on:
            self.open[key] = stay

    def close(self, stay: _Stay, on: dt.date) -> None:
        key = (stay.person_hash, stay.relation)
        stay.ended_on = on
        self.ended[key].add(on)
        if self.open.get(key) is stay:
            del self.open[key]


@dataclass
class _Apply:
    """One message's apply: read what it needs in a few queries, decide every row in memory,
    then write each table with one statement."""

    message: ReportRowsSubmittedV1
    organisation: ReportingOrganisation
    now: dt.datetime
    calendar: WorkingCalendar
    applied: int = 0
    unchanged: int = 0
    refused: list[RowProblem] = field(default_factory=list)
    conflicts: int = 0
    _due: dict[dt.date, dt.date] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reported_on = timezone.localtime(self.message.reported_at).date()
        # Read once per message, not once per value.
        self._field_keys = parse_keys(settings.ONETRIP_FIELD_KEYS)
        # hash(value, purpose): `lookup_hash` with the key's HMAC state prepared once.
        self.hash = lookup_hasher(key=settings.ONETRIP_LOOKUP_KEY.encode())
        ops = connections[db_for(ReportedStay)].ops
        self._now = ops.adapt_datetimefield_value(self.now)
        self._reported_at = ops.adapt_datetimefield_value(self.message.reported_at)
        self._adapt_date = ops.adapt_datefield_value

    # -- small helpers ------------------------------------------------------------------------

    def due(self, day: dt.date) -> dt.date:
        found = self._due.get(day)
        if found is None:
            found = self._due[day] = report_due_on(day, calendar=self.calendar)
        return found

    def seal(self, value: str) -> str:
        """`value` as an `EncryptedTextField` stores it."""
        return encrypt_text(value, keys=self._field_keys) if value else value

    def seal_all(self, values: list[str]) -> list[str]:
        """`seal` of each value, encrypted in one call (`common/crypto.py::encrypt_texts`)."""
        filled = [value for value in values if value]
        if len(filled) == len(values):
            return encrypt_texts(values, keys=self._field_keys)
        sealed = iter(encrypt_texts(filled, keys=self._field_keys))
        return [next(sealed) if value else value for value in values]

    def date(self, value: dt.date | None) -> Any:
        """`value` as the database stores a DateField."""
        return None if value is None else self._adapt_date(value)

    # -- houses ---------------------------------------------------------------------------------

    def apply_houses(self, stations: dict[str, int]) -> dict[str, int]:
        """Upsert the message's houses; return the id of every house reference the message's
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
        upserts: dict[str, HouseReportRow] = {}
        for row in self.message.houses:
            if row.community_code not in stations:
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
            row_hash = self._house_hash(row)
            if hashes.get(row.house_ref) == row_hash:
                self.unchanged += 1
                continue
            hashes[row.house_ref] = row_hash
            upserts[row.house_ref] = row
            self.applied += 1
        ids = {ref: pk for ref, (pk, _hash) in known.items()}
        if not upserts:
            return ids
        saved = insert_rows(
            RentalHouse,
            HOUSE_FIELDS,
            [
                (
                    org.pk,
                    row.house_ref,
                    row.community_code,
                    stations[row.community_code],
                    self.seal(row.address_detail),
                    self.seal(row.owner_name),
                    self.seal(row.owner_id_number),
                    self.hash(row.owner_id_number, "id_number"),
                    self.seal(row.owner_phone),
                    row.rooms,
                    self.date(row.let_from),
                    self.date(row.let_until),
                    hashes[row.house_ref],
                    self.message.import_reference,
                    row.row,
                    self._now,
                    self._now,
                )
                for row in upserts.values()
            ],
            conflict_fields=("organisation", "house_ref"),
            update_fields=(*HOUSE_FIELDS[2:-2], "last_reported_at"),
            returning=("id", "house_ref"),
        )
        ids.update({ref: pk for pk, ref in saved})
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

    def _house_hash(self, row: HouseReportRow) -> str:
        values = row.model_dump(mode="json", exclude={"row"})
        return self.hash("\x00".join(f"{k}={values[k]}" for k in sorted(values)), "reported_house")

    # -- people ---------------------------------------------------------------------------------

    def apply_people(self, stations: dict[str, int], houses: dict[str, int]) -> None:
        """Decide every person row against what the register knows, then write persons, stays,
        sources and conflicts with one statement each."""
        rows: list[tuple[PersonReportRow, str, int]] = []
        for row in self.message.people:
            station_id = stations.get(row.community_code)
            if station_id is None:
                self.refused.append(_no_station(row.row))
            elif row.event_date > self.reported_on:
                self.refused.append(
                    _problem(
                        row.row,
                        "event_date_in_future",
                        "入住/入职或离开日期晚于报送日期",
                        "The event date is after the day of the report",
                        "event_date",
                    )
                )
            else:
                rows.append((row, self.hash(row.id_number, "id_number"), station_id))
        if not rows:
            return
        known = self._load({h for _r, h, _s in rows}, {r.event_date for r, _h, _s in rows})
        for row, h, station_id in rows:
            if row.event == "arrived":
                self._arrive(known, row, h, station_id, houses)
            else:
                self._leave(known, row, h)
        person_ids = self._write_persons(known)
        self._write_stays(known, person_ids)
        self._write_sources(known, person_ids)
        self._write_conflicts(known, person_ids)

    def _load(self, hashes: set[str], dates: set[dt.date]) -> _Known:
        """What the register holds about the message's people, in three queries: the persons,
        their stays (this organisation's, and anybody's that began on the message's dates), and
        their current declarations. The keys go as one array each (`common/bulk.py::member_of`):
        a thousand `IN` parameters cost the driver more than the look-up costs the database.
        The stays are not joined to the persons: without fresh statistics, and on a small
        register even with them, PostgreSQL hashes the whole stay table for such a join, where
        the look-up by person ids uses the person index."""
        org = self.organisation
        known = _Known()
        person, stay = ReportedPerson._meta, ReportedStay._meta
        by_hash, by_hash_params = member_of(ReportedPerson, "id_hash", "id_hash", hashes)
        known.persons = {
            h: (pk, details)
            for h, pk, details in select_rows(
                ReportedPerson,
                f"SELECT id_hash, id, details_hash FROM {person.db_table} "  # noqa: S608
                f"WHERE {by_hash}",
                by_hash_params,
            )
        }
        by_pk = {pk: h for h, (pk, _d) in known.persons.items()}
        if by_pk:
            of_person, of_person_params = member_of(ReportedStay, "person_id", "person", by_pk)
            on_day, on_day_params = member_of(ReportedStay, "started_on", "started_on", dates)
            sql = (
                "SELECT id, organisation_id, relation, started_on, ended_on, address_hash, "  # noqa: S608 (model names)
                f"person_id FROM {stay.db_table} "
                f"WHERE {of_person} AND (organisation_id = %s OR {on_day})"
            )
            for pk, org_id, relation, started, ended_on, address_hash, person_id in select_rows(
                ReportedStay, sql, [*of_person_params, org.pk, *on_day_params]
            ):
                known.add(
                    _Stay(by_pk[person_id], org_id, relation, started, ended_on, address_hash, pk),
                    own=org_id == org.pk,
                )
        declaration = ResidenceDeclaration._meta
        by_hash, by_hash_params = member_of(ResidenceDeclaration, "id_hash", "id_hash", hashes)
        current, current_params = member_of(
            ResidenceDeclaration, "status", "status", [s.value for s in CURRENT_STATUSES]
        )
        for h, community in select_rows(
            ResidenceDeclaration,
            f"SELECT id_hash, community_code FROM {declaration.db_table} "  # noqa: S608
            f"WHERE {by_hash} AND {current}",
            [*by_hash_params, *current_params],
        ):
            known.declared[h].add(community)
        return known

    def _arrive(
        self,
        known: _Known,
        row: PersonReportRow,
        h: str,
        station_id: int,
        houses: dict[str, int],
    ) -> None:
        org = self.organisation
        if (h, row.relation, row.event_date) in known.own:
            self.unchanged += 1
            known.touched.add(h)
            return
        current = known.open.get((h, row.relation))
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
            return
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
            return
        if current is not None:
            # Moved within the organisation (another house, hired again): the old stay ends the
            # day the new one begins.
            self._close(known, current, row)
        self._person(known, row, h, facts)
        address_hash = self.hash(
            f"{row.community_code}\x00{_folded(row.address_detail)}", "reported_address"
        )
        due_on = self.due(row.event_date)
        stay = _Stay(h, org.pk, row.relation, row.event_date, None, address_hash)
        stay.new = {
            "relation": row.relation,
            "house": houses.get(row.house_ref) if row.house_ref else None,
            "house_ref": row.house_ref,
            "community_code": row.community_code,
            "station": station_id,
            "address_detail": row.address_detail,
            "address_hash": address_hash,
            "started_on": row.event_date,
            "due_on": due_on,
            "late": self.reported_on > due_on,
            "row": row.row,
        }
        elsewhere = sorted(
            {
                s.organisation_id
                for s in known.by_day[(h, row.event_date)]
                if s.organisation_id != org.pk and s.address_hash != address_hash
            }
        )
        if elsewhere:
            known.flags.append(
                _Flag(
                    stay,
                    station_id,
                    ConflictKind.TWO_PLACES_SAME_DAY,
                    {"date": row.event_date.isoformat(), "reported_community": row.community_code},
                    organisation_ids=elsewhere,
                )
            )
        declared = known.declared.get(h)
        if declared and row.community_code not in declared:
            known.flags.append(
                _Flag(
                    stay,
                    station_id,
                    ConflictKind.DIFFERS_FROM_SELF_DECLARED,
                    {
                        "date": row.event_date.isoformat(),
                        "reported_community": row.community_code,
                        "declared_communities": sorted(declared),
                    },
                    self_declared=True,
                )
            )
        known.add(stay, own=True)
        known.touched.add(h)
        self.applied += 1

    def _leave(self, known: _Known, row: PersonReportRow, h: str) -> None:
        current = known.open.get((h, row.relation))
        if current is None:
            if row.event_date in known.ended.get((h, row.relation), ()):
                self.unchanged += 1
                known.touched.add(h)
                return
            self.refused.append(
                _problem(
                    row.row,
                    "no_arrival_on_record",
                    "登记中没有该人员在本单位的入住/入职记录，无法登记离开",
                    "The register holds no arrival of this person with this organisation to close",
                )
            )
            return
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
            return
        self._close(known, current, row)
        known.touched.add(h)
        self.applied += 1

    def _person(
        self, known: _Known, row: PersonReportRow, h: str, facts: tuple[str, dt.date]
    ) -> None:
        """Plan the person's row: new, or changed (name or phone), or nothing to write."""
        details = self.hash(f"{row.name}\x00{row.phone}", "reported_person")
        planned = known.new_persons.get(h)
        if planned is not None:
            planned.update(name=row.name, phone=row.phone, details_hash=details)
            return
        stored = known.persons.get(h)
        if stored is not None and stored[1] == details:
            return
        known.new_persons[h] = {
            "name": row.name,
            "id_number": row.id_number,
            "phone": row.phone,
            "details_hash": details,
            "sex": facts[0],
            "birth_date": facts[1],
        }

    def _close(self, known: _Known, stay: _Stay, row: PersonReportRow) -> None:
        """End `stay` on the row's date: in its values when this message opened it, else as a
        register stay to UPDATE with the others."""
        due_on = self.due(row.event_date)
        known.close(stay, row.event_date)
        ended = {
            "ended_on": row.event_date,
            "ended_due_on": due_on,
            "ended_late": self.reported_on > due_on,
            "ended_row": row.row,
        }
        if stay.new is not None:
            stay.new.update(ended)
        else:
            stay.ended = ended
            known.closing.append(stay)

    # -- writing ----------------------------------------------------------------------------------

    def _write_persons(self, known: _Known) -> dict[str, int]:
        """Insert new persons and update changed ones in one upsert; mark the others reported
        with one UPDATE. Returns the person id of every id_hash."""
        ids = {h: pk for h, (pk, _d) in known.persons.items()}
        if known.new_persons:
            planned = list(known.new_persons.items())
            sealed = self.seal_all(
                [value for _h, p in planned for value in (p["name"], p["id_number"], p["phone"])]
            )
            saved = insert_rows(
                ReportedPerson,
                PERSON_FIELDS,
                [
                    (
                        h,
                        *sealed[3 * at : 3 * at + 3],
                        p["details_hash"],
                        p["sex"],
                        self.date(p["birth_date"]),
                    )
                    for at, (h, p) in enumerate(planned)
                ],
                conflict_fields=("id_hash",),
                update_fields=("name", "phone", "details_hash", "last_reported_at"),
                returning=("id", "id_hash"),
                shared={"first_reported_at": self._now, "last_reported_at": self._now},
            )
            ids.update({h: pk for pk, h in saved})
        rest = [ids[h] for h in known.touched if h in known.persons and h not in known.new_persons]
        if rest:
            ReportedPerson.objects.filter(id__in=rest).update(last_reported_at=self.now)
        return ids

    def _write_stays(self, known: _Known, person_ids: dict[str, int]) -> None:
        """Insert the stays the message opened and close the register's ones it ended."""
        org_id = self.organisation.pk
        reference = self.message.import_reference
        new = [(s, s.new) for s in known.own.values() if s.new is not None]
        addresses = self.seal_all([v["address_detail"] for _s, v in new])
        rows = []
        for (stay, v), address in zip(new, addresses, strict=True):
            ended = v.get("ended_on")
            rows.append(
                (
                    person_ids[stay.person_hash],
                    v["relation"],
                    v["house"],
                    v["house_ref"],
                    v["community_code"],
                    v["station"],
                    address,
                    v["address_hash"],
                    self.date(v["started_on"]),
                    self.date(v["due_on"]),
                    v["late"],
                    v["row"],
                    self.date(ended),
                    self._reported_at if ended else None,
                    self.date(v.get("ended_due_on")),
                    v.get("ended_late", False),
                    reference if ended else "",
                    v.get("ended_row"),
                )
            )
        saved = insert_rows(
            ReportedStay,
            NEW_STAY_FIELDS,
            rows,
            returning=("id", "person", "relation", "started_on") if known.flags else (),
            shared={
                "organisation": org_id,
                "reported_at": self._reported_at,
                "import_reference": reference,
            },
        )
        if saved:
            # Only a flagged stay needs its id: its conflict names it.
            by_key = {(p, rel, str(started)[:10]): pk for pk, p, rel, started in saved}
            for flag in known.flags:
                stay = flag.stay
                if stay.pk is None:
                    key = (
                        person_ids[stay.person_hash],
                        stay.relation,
                        stay.started_on.isoformat(),
                    )
                    stay.pk = by_key[key]
        update_rows(
            ReportedStay,
            ENDED_FIELDS,
            [
                (
                    stay.pk,
                    self.date(ended["ended_on"]),
                    self._reported_at,
                    self.date(ended["ended_due_on"]),
                    ended["ended_late"],
                    reference,
                    ended["ended_row"],
                )
                for stay in known.closing
                if (ended := stay.ended) is not None
            ],
        )

    def _write_sources(self, known: _Known, person_ids: dict[str, int]) -> None:
        """This organisation as a source of everyone it reported, and the person themself where
        their own declaration stands."""
        if not known.touched:
            return
        org = self.organisation
        reported = sorted(known.touched)
        insert_rows(
            PersonSource,
            ("person",),
            [(person_ids[h],) for h in reported],
            conflict_fields=("person", "organisation"),
            update_fields=("last_reported_at",),
            shared={
                "source_kind": org.kind,
                "organisation": org.pk,
                "first_reported_at": self._now,
                "last_reported_at": self._now,
            },
        )
        insert_rows(
            PersonSource,
            ("person",),
            [(person_ids[h],) for h in reported if known.declared.get(h)],
            ignore_conflicts=True,
            shared={
                "source_kind": SourceKind.SELF_DECLARED.value,
                "organisation": None,
                "first_reported_at": self._now,
                "last_reported_at": self._now,
            },
        )

    def _write_conflicts(self, known: _Known, person_ids: dict[str, int]) -> None:
        if not known.flags:
            return
        others = {o for flag in known.flags for o in flag.organisation_ids}
        codes = (
            dict(
                ReportingOrganisation.objects.filter(id__in=others).values_list("id", "credit_code")
            )
            if others
            else {}
        )
        me = f"organisation:{self.organisation.credit_code}"
        connection = connections[db_for(ReportConflict)]
        as_json = ReportConflict._meta.get_field("detail").get_db_prep_save
        rows = []
        for flag in known.flags:
            sources = [me, *(f"organisation:{codes[o]}" for o in flag.organisation_ids)]
            if flag.self_declared:
                sources.append(SourceKind.SELF_DECLARED.value)
            rows.append(
                (
                    person_ids[flag.stay.person_hash],
                    flag.station_id,
                    flag.stay.pk,
                    flag.kind.value,
                    as_json(flag.detail, connection),
                    as_json(sources, connection),
                    self._now,
                    "",
                )
            )
        insert_rows(ReportConflict, CONFLICT_FIELDS, rows)
        self.conflicts = len(rows)


def rows_apply_unanswered(message: ReportRowsSubmittedV1) -> ReportRowsAppliedV1:
    """`report_rows_apply` without sending its answer: for the demo loader, whose chunks no
    portal import sent. Call inside a transaction on the police database."""
    organisation = (
        ReportingOrganisation.objects.defer("contact_name", "contact_phone")
        .filter(credit_code=message.credit_code)
        .first()
    )
    if organisation is None or organisation.status != OrganisationStatus.APPROVED:
        rows = [h.row for h in message.houses] + [p.row for p in message.people]
        return ReportRowsAppliedV1(
            import_reference=message.import_reference,
            chunk=message.chunk,
            applied=0,
            unchanged=0,
            conflicts=0,
            refused=[_not_approved(row) for row in sorted(rows)],
        )
    work = _Apply(
        message=message,
        organisation=organisation,
        now=timezone.now(),
        calendar=city_working_calendar(),
    )
    stations = _stations_for(
        [r.community_code for r in message.people] + [h.community_code for h in message.houses]
    )
    houses = work.apply_houses(stations)
    work.apply_people(stations, houses)
    return ReportRowsAppliedV1(
        import_reference=message.import_reference,
        chunk=message.chunk,
        applied=work.applied,
        unchanged=work.unchanged,
        conflicts=work.conflicts,
        refused=sorted(work.refused, key=lambda problem: problem.row),
    )


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

    Every row is answered once: applied + unchanged + refused = the rows of the message. Called
    by the ferry inside its apply transaction; called directly, it makes its own."""
    with atomic_for(ReportedStay):
        answer = rows_apply_unanswered(message)
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

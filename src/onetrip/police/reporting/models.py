"""The register's side of organisation reporting (单位代报): DOMAIN ZJ-6…ZJ-10, ZJ-13, WF-4.

An organisation (employer, rental agency, property-management firm) signs up on the portal and is
approved by the district before it may report. What it reports lands here in bulk: the people it
employs or houses (one `ReportedPerson` per person whoever reports them, with every source in
`PersonSource`), each arrival as a `ReportedStay` that its departure closes, and the rental
houses it lets or manages. Where reports contradict each other or the person's own declaration,
a `ReportConflict` waits for the station.

Personal data is encrypted at rest and found by keyed hashes (`common/crypto.py::lookup_hash`):
`id_hash` for a person, `owner_id_hash` for a house's owner, and `address_hash`, so "two places
on one day" is decided without decrypting an address.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from onetrip.common.fields import EncryptedTextField
from onetrip.contracts.reporting import ORGANISATION_KIND_LABELS, PERSON_RELATION_LABELS


class OrganisationStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REFUSED = "refused", _("未通过")
    SUSPENDED = "suspended", _("已暂停")


ORGANISATION_KIND_CHOICES = list(ORGANISATION_KIND_LABELS.items())
PERSON_RELATION_CHOICES = list(PERSON_RELATION_LABELS.items())


class ReportingOrganisation(models.Model):
    """An organisation that reports people and houses, as the portal registered it, with the
    district's decision. Only an approved one may report (`services.report_rows_apply`)."""

    credit_code = models.CharField(max_length=18, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=ORGANISATION_KIND_CHOICES)
    district_code = models.CharField(max_length=6)
    # The organisation's own address is not personal data; its contact person's name and phone
    # are.
    address = models.CharField(max_length=200)
    contact_name = EncryptedTextField()
    contact_phone = EncryptedTextField()
    status = models.CharField(
        max_length=20, choices=OrganisationStatus.choices, default=OrganisationStatus.PENDING
    )
    reason = models.CharField(max_length=300, blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    registered_at = models.DateTimeField()
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["registered_at", "id"]
        indexes = [models.Index(fields=["district_code", "status", "registered_at"])]

    def __str__(self) -> str:
        return self.credit_code


class ReportedPerson(models.Model):
    """One person however many sources report them, found by `id_hash`.

    `details_hash` is a keyed hash of the name and phone last reported, so a report that repeats
    them costs no encryption and a report that changes them is seen without decrypting."""

    id_hash = models.CharField(max_length=64, unique=True)
    name = EncryptedTextField()
    id_number = EncryptedTextField()
    phone = EncryptedTextField(blank=True, default="")
    details_hash = models.CharField(max_length=64)
    sex = models.CharField(max_length=1)
    birth_date = models.DateField()
    first_reported_at = models.DateTimeField()
    last_reported_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"person {self.pk}"


class SourceKind(models.TextChoices):
    SELF_DECLARED = "self_declared", _("本人申报")
    EMPLOYER = "employer", _("用工单位")
    RENTAL_AGENCY = "rental_agency", _("房屋租赁中介")
    PROPERTY_MANAGEMENT = "property_management", _("物业服务企业")


class PersonSource(models.Model):
    """Who has told the register about a person: the person themself (a current residence
    declaration, no organisation) or an organisation; one row per person and source."""

    # The unique (person, organisation) index serves look-ups by person; nothing looks sources
    # up by organisation alone. Every index costs each of millions of inserts.
    person = models.ForeignKey(
        ReportedPerson, on_delete=models.CASCADE, related_name="sources", db_index=False
    )
    source_kind = models.CharField(max_length=20, choices=SourceKind.choices)
    organisation = models.ForeignKey(
        ReportingOrganisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="person_sources",
        db_index=False,
    )
    first_reported_at = models.DateTimeField()
    last_reported_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organisation"], name="uniq_reporting_person_source"
            ),
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(organisation__isnull=True),
                name="uniq_reporting_self_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.source_kind}"


class RentalHouse(models.Model):
    """A house (down to the room) an organisation lets or manages (ZJ-7, ZJ-8), known by the
    organisation's own reference. `row_hash` is a keyed hash of everything reported about it,
    so a house reported again unchanged is recognised without decrypting."""

    organisation = models.ForeignKey(
        ReportingOrganisation, on_delete=models.PROTECT, related_name="houses"
    )
    house_ref = models.CharField(max_length=40)
    community_code = models.CharField(max_length=12)
    station = models.ForeignKey(
        "police_stations.Station", on_delete=models.PROTECT, related_name="+"
    )
    address_detail = EncryptedTextField()
    owner_name = EncryptedTextField()
    owner_id_number = EncryptedTextField()
    owner_id_hash = models.CharField(max_length=64, db_index=True)
    owner_phone = EncryptedTextField(blank=True, default="")
    rooms = models.PositiveSmallIntegerField()
    let_from = models.DateField()
    let_until = models.DateField(null=True, blank=True)
    row_hash = models.CharField(max_length=64)
    import_reference = models.CharField(max_length=32)
    row = models.PositiveIntegerField()
    first_reported_at = models.DateTimeField()
    last_reported_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "house_ref"], name="uniq_reporting_house_ref"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}:{self.house_ref}"


class ReportedStay(models.Model):
    """A person employed or housed by an organisation from `started_on`; the departure report
    sets `ended_on`, which closes the registration the organisation made for them.

    Each event has its legal due date (WF-4: the event date + 3 working days) and is late when
    it was reported after it. The same organisation, person, relation and start date is one
    stay: a row reported again changes nothing."""

    person = models.ForeignKey(ReportedPerson, on_delete=models.PROTECT, related_name="stays")
    # Indexed by the unique (organisation, person, relation, started_on); the station by
    # (station, reported_at); the house not at all (nothing looks stays up by their house). Every
    # index costs each of millions of inserts.
    organisation = models.ForeignKey(
        ReportingOrganisation, on_delete=models.PROTECT, related_name="stays", db_index=False
    )
    relation = models.CharField(max_length=10, choices=PERSON_RELATION_CHOICES)
    house = models.ForeignKey(
        RentalHouse,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stays",
        db_index=False,
    )
    # The organisation's reference of the house, kept so a house reported after its tenant is
    # linked when it arrives.
    house_ref = models.CharField(max_length=40, blank=True, default="")
    community_code = models.CharField(max_length=12)
    station = models.ForeignKey(
        "police_stations.Station", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    address_detail = EncryptedTextField()
    address_hash = models.CharField(max_length=64)
    started_on = models.DateField()
    reported_at = models.DateTimeField()
    due_on = models.DateField()
    late = models.BooleanField(default=False)
    import_reference = models.CharField(max_length=32)
    row = models.PositiveIntegerField()
    ended_on = models.DateField(null=True, blank=True)
    ended_reported_at = models.DateTimeField(null=True, blank=True)
    ended_due_on = models.DateField(null=True, blank=True)
    ended_late = models.BooleanField(default=False)
    ended_import_reference = models.CharField(max_length=32, blank=True, default="")
    ended_row = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "person", "relation", "started_on"],
                name="uniq_reporting_stay",
            )
        ]
        indexes = [
            models.Index(fields=["station", "reported_at"], name="reporting_stay_station_idx")
        ]

    def __str__(self) -> str:
        return f"stay {self.pk}"


class ConflictKind(models.TextChoices):
    TWO_PLACES_SAME_DAY = "two_places_same_day", _("同一天在两处入住/入职")
    DIFFERS_FROM_SELF_DECLARED = "differs_from_self_declared", _("与本人申报的居住地不一致")


class ReportConflict(models.Model):
    """Reports that contradict each other or the person's own declaration, for the station of
    the place reported. `detail` and `sources` hold dates, community codes, credit codes and
    source kinds only: no name, ID number, phone or address."""

    person = models.ForeignKey(ReportedPerson, on_delete=models.PROTECT, related_name="conflicts")
    station = models.ForeignKey(
        "police_stations.Station", on_delete=models.PROTECT, related_name="+"
    )
    stay = models.ForeignKey(
        ReportedStay, null=True, blank=True, on_delete=models.PROTECT, related_name="conflicts"
    )
    kind = models.CharField(max_length=30, choices=ConflictKind.choices)
    detail = models.JSONField(default=dict)
    sources = models.JSONField(default=list)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolution = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["station", "resolved_at", "created_at"], name="reporting_open_idx")
        ]

    def __str__(self) -> str:
        return f"conflict {self.pk}"

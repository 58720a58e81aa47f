"""The register of record for residence declarations (DOMAIN WF-1, ZJ-3…ZJ-5, ZJ-11)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onetrip.common.fields import EncryptedTextField


class RegistrationStatus(models.TextChoices):
    DECLARED = "declared", _("待核查")
    REGISTERED = "registered", _("已登记")
    RETURNED = "returned", _("已退回")
    # WF-1 after registration: still current with a recorded change (ZJ-11), or cancelled.
    CHANGED = "changed", _("已变更")
    CANCELLED = "cancelled", _("已注销")


# A registration that stands: the person is registered at its (current) address.
CURRENT_STATUSES = (RegistrationStatus.REGISTERED, RegistrationStatus.CHANGED)


class DuplicateFlag(models.TextChoices):
    NONE = "", _("无")
    SAME_ADDRESS = "same_address", _("重复申报（同一地址）")
    ADDRESS_CHANGE = "address_change", _("地址变更（已有其他地址的登记）")


class ResidenceDeclaration(models.Model):
    """A declaration received from the portal, waiting for or carrying the station's decision.

    Personal data is encrypted at rest; `id_hash` finds a person without decrypting."""

    reference = models.CharField(max_length=32, unique=True)
    station = models.ForeignKey(
        "police_stations.Station", on_delete=models.PROTECT, related_name="declarations"
    )
    name = EncryptedTextField()
    id_number = EncryptedTextField()
    id_hash = models.CharField(max_length=64, db_index=True)
    sex = models.CharField(max_length=1)
    birth_date = models.DateField()
    phone = EncryptedTextField()
    # Keyed hash of the phone, so a clerk can find a case by the number a resident gives.
    phone_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    community_code = models.CharField(max_length=12)
    address_detail = EncryptedTextField()
    housing_type = models.CharField(max_length=20)
    landlord_name = EncryptedTextField(blank=True, default="")
    landlord_phone = EncryptedTextField(blank=True, default="")
    reason = models.CharField(max_length=20)
    arrival_date = models.DateField()
    employer_name = models.CharField(max_length=100, blank=True, default="")
    guardian_name = EncryptedTextField(blank=True, default="")
    guardian_id_number = EncryptedTextField(blank=True, default="")
    guardian_relation = models.CharField(max_length=20, blank=True, default="")
    declared_at = models.DateTimeField()
    received_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=RegistrationStatus.choices, default=RegistrationStatus.DECLARED
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    registration_number = models.CharField(max_length=40, blank=True, default="")
    registered_on = models.DateField(null=True, blank=True)
    return_reason = models.CharField(max_length=500, blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Another active declaration of the same person, as found on arrival (shown in the queue).
    duplicate_flag = models.CharField(
        max_length=20, choices=DuplicateFlag.choices, blank=True, default=""
    )
    related_reference = models.CharField(max_length=32, blank=True, default="")
    # Cancellation (注销), WF-1: when, why, who, and what it means for a residence permit.
    cancelled_on = models.DateField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=20, blank=True, default="")
    cancel_note = models.CharField(max_length=500, blank=True, default="")
    cancel_request_reference = models.CharField(max_length=32, blank=True, default="")
    permit_effect = models.CharField(max_length=30, blank=True, default="")
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        indexes = [models.Index(fields=["station", "status", "received_at"])]

    def __str__(self) -> str:
        return self.reference


class DeclarationHistory(models.Model):
    """Append-only: who moved the declaration from which state to which, and why."""

    declaration = models.ForeignKey(
        ResidenceDeclaration, on_delete=models.PROTECT, related_name="history"
    )
    from_status = models.CharField(max_length=20, blank=True, default="")
    to_status = models.CharField(max_length=20)
    actor = models.CharField(max_length=150)
    note = models.CharField(max_length=500, blank=True, default="")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.declaration_id} {self.from_status}→{self.to_status}"


class RegistrationChange(models.Model):
    """Append-only: one change of address and/or workplace of a registration (ZJ-11), with the
    values before and after, so the register shows the current address and keeps the history.

    `change_reference` is unique: a change arriving twice is recorded once."""

    declaration = models.ForeignKey(
        ResidenceDeclaration, on_delete=models.PROTECT, related_name="changes"
    )
    change_reference = models.CharField(max_length=32, unique=True)
    channel = models.CharField(max_length=10)
    changed_on = models.DateField()
    declared_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    late = models.BooleanField(default=False)
    address_changed = models.BooleanField(default=False)
    workplace_changed = models.BooleanField(default=False)
    old_community_code = models.CharField(max_length=12)
    old_address_detail = EncryptedTextField()
    old_employer_name = models.CharField(max_length=100, blank=True, default="")
    old_station = models.ForeignKey(
        "police_stations.Station", on_delete=models.PROTECT, related_name="+"
    )
    community_code = models.CharField(max_length=12)
    address_detail = EncryptedTextField()
    housing_type = models.CharField(max_length=20)
    landlord_name = EncryptedTextField(blank=True, default="")
    landlord_phone = EncryptedTextField(blank=True, default="")
    employer_name = models.CharField(max_length=100, blank=True, default="")
    station = models.ForeignKey(
        "police_stations.Station", on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return self.change_reference

    @property
    def moved_station(self) -> bool:
        return self.station_id != self.old_station_id


class RegistrationCounter(models.Model):
    """Gapless registration numbers per station and year, taken under a row lock."""

    station_code = models.CharField(max_length=20)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["station_code", "year"], name="uniq_reg_counter")
        ]

    def __str__(self) -> str:
        return f"{self.station_code}/{self.year}: {self.last}"

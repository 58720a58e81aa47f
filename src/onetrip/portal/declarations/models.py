"""The resident's side of a residence self-declaration: what they sent, and a mirror of the
police zone's decision with its full history in plain words (DESIGN §7 "one case, one history")."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from onetrip.common.fields import EncryptedTextField
from onetrip.contracts.declarations import HOUSING_TYPE_LABELS, RESIDENCE_REASON_LABELS


def _choices(name: str, labels: dict[str, str]) -> type[models.TextChoices]:
    return models.TextChoices(
        name, [(code.upper(), (code, label)) for code, label in labels.items()]
    )


HousingType = _choices("HousingType", HOUSING_TYPE_LABELS)
ResidenceReason = _choices("ResidenceReason", RESIDENCE_REASON_LABELS)


class DeclarationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    RECEIVED = "received", _("派出所已接收")
    REGISTERED = "registered", _("已登记")
    RETURNED = "returned", _("已退回")
    # The police zone could not accept it at all (a business reject on the ferry), e.g. no
    # station covers the community: the resident must correct it and declare again.
    REJECTED = "rejected", _("申报未能受理")


class Declaration(models.Model):
    """Personal data is encrypted field by field; `id_hash` finds a person's declarations."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=32, unique=True)
    resident = models.ForeignKey(
        "portal_accounts.Resident", on_delete=models.PROTECT, related_name="declarations"
    )
    channel = models.CharField(max_length=20, default="web")
    name = EncryptedTextField()
    id_number = EncryptedTextField()
    id_hash = models.CharField(max_length=64, db_index=True)
    sex = models.CharField(max_length=1)
    birth_date = models.DateField()
    phone = EncryptedTextField()
    community_code = models.CharField(max_length=12)
    address_detail = EncryptedTextField()
    housing_type = models.CharField(max_length=20, choices=HousingType.choices)
    landlord_name = EncryptedTextField(blank=True, default="")
    landlord_phone = EncryptedTextField(blank=True, default="")
    reason = models.CharField(max_length=20, choices=ResidenceReason.choices)
    arrival_date = models.DateField()
    employer_name = models.CharField(max_length=100, blank=True, default="")
    guardian_name = EncryptedTextField(blank=True, default="")
    guardian_id_number = EncryptedTextField(blank=True, default="")
    guardian_relation = models.CharField(max_length=20, blank=True, default="")
    status = models.CharField(
        max_length=20, choices=DeclarationStatus.choices, default=DeclarationStatus.SUBMITTED
    )
    station_name = models.CharField(max_length=100, blank=True, default="")
    registration_number = models.CharField(max_length=40, blank=True, default="")
    registered_on = models.DateField(null=True, blank=True)
    return_reason = models.CharField(max_length=500, blank=True, default="")
    # Plain words for the resident (a catalog message id, translated when shown).
    reject_reason = models.CharField(max_length=500, blank=True, default="")
    submitted_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return self.reference


class DeclarationEvent(models.Model):
    """One line of the history a resident sees; written once, never changed."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=20, choices=DeclarationStatus.choices)
    note = models.CharField(max_length=500, blank=True, default="")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.declaration_id} {self.status}"

"""The resident's side of a residence self-declaration: what they sent, and a mirror of the
police zone's decision with its full history in plain words (DESIGN §7 "one case, one history")."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from onetrip.common import divisions
from onetrip.common.fields import EncryptedTextField
from onetrip.contracts.declarations import (
    CANCEL_REASON_LABELS,
    HOUSING_TYPE_LABELS,
    PERMIT_EFFECT_LABELS,
    RESIDENCE_REASON_LABELS,
)


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
    # After registration (WF-1): still registered with a recorded change (ZJ-11), or cancelled.
    CHANGED = "changed", _("已登记（有变更）")
    CANCELLED = "cancelled", _("已注销")


# A history line names a step of the declaration, or a request the resident made about the
# registration that the station has not answered yet (or could not accept).
EventStatus = models.TextChoices(
    "EventStatus",
    [(s.name, (s.value, s.label)) for s in DeclarationStatus]
    + [
        ("CHANGE_SUBMITTED", ("change_submitted", _("已申报变更"))),
        ("CANCEL_SUBMITTED", ("cancel_submitted", _("已申请注销"))),
        ("REQUEST_REJECTED", ("request_rejected", _("变更或注销未能办理"))),
    ],
)


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
    # Cancellation (注销) as the station recorded it, and what it means for a permit.
    cancelled_on = models.DateField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=20, blank=True, default="")
    permit_effect = models.CharField(max_length=30, blank=True, default="")

    class Meta:
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return self.reference

    @property
    def cancel_reason_label(self) -> str:
        return str(CANCEL_REASON_LABELS.get(self.cancel_reason, ""))

    @property
    def permit_effect_label(self) -> str:
        return str(PERMIT_EFFECT_LABELS.get(self.permit_effect, ""))


class RegistrationRequest(models.Model):
    """A change of address or workplace (ZJ-11) or a cancellation of a registration: declared
    by the resident here (pending until the station answers), or recorded by staff at the
    window and learnt from the station's status message. `reference` is the change's own,
    shared with the police zone, so each is recorded once on both sides."""

    class Kind(models.TextChoices):
        CHANGE = "change", _("变更")
        CANCEL = "cancel", _("注销")

    class State(models.TextChoices):
        PENDING = "pending", _("待派出所办理")
        RECORDED = "recorded", _("已办理")
        REJECTED = "rejected", _("未能办理")

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="requests")
    reference = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    channel = models.CharField(max_length=10, default="online")
    # The day of the change, or for a cancellation the day the resident left.
    effective_on = models.DateField()
    address_changed = models.BooleanField(default=False)
    community_code = models.CharField(max_length=12, blank=True, default="")
    address_detail = EncryptedTextField(blank=True, default="")
    housing_type = models.CharField(max_length=20, blank=True, default="")
    landlord_name = EncryptedTextField(blank=True, default="")
    landlord_phone = EncryptedTextField(blank=True, default="")
    workplace_changed = models.BooleanField(default=False)
    employer_name = models.CharField(max_length=100, blank=True, default="")
    # ZJ-11, as the station decided it; None until recorded.
    late = models.BooleanField(null=True, blank=True)
    reject_reason = models.CharField(max_length=500, blank=True, default="")
    submitted_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["submitted_at", "id"]

    def __str__(self) -> str:
        return self.reference

    @property
    def community_label(self) -> str:
        return divisions.community_label(self.community_code) if self.community_code else ""


class DeclarationEvent(models.Model):
    """One line of the history a resident sees; written once, never changed."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=20, choices=EventStatus.choices)
    note = models.CharField(max_length=500, blank=True, default="")
    at = models.DateTimeField()
    # The change or cancellation this line is about, for its date, address and lateness.
    request = models.ForeignKey(
        RegistrationRequest,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.declaration_id} {self.status}"

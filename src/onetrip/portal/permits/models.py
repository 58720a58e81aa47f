"""Residence permits on the portal: what the portal knows of a person's registrations (the
police zone's snapshot, HZ-1, so eligibility is answered without asking the police zone at
request time), and the resident's applications with their documents and history (WF-2, DOC-1)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from onetrip.common.fields import EncryptedTextField
from onetrip.contracts.delivery import DELIVERY_CHANGE_LABELS, DELIVERY_STAGE_LABELS
from onetrip.contracts.permits import (
    APPLICATION_KIND_LABELS,
    APPLICATION_STATUS_LABELS,
    CARD_STATUS_LABELS,
    DELIVERY_METHOD_LABELS,
)


class ResidenceRecord(models.Model):
    """One person's registration history. Found by `id_hash`; the periods (with addresses) are
    encrypted as one JSON document."""

    id_hash = models.CharField(max_length=64, unique=True)
    registrations = EncryptedTextField()
    as_of = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"ResidenceRecord {self.pk}"


def _choices(name: str, labels: dict[str, Any]) -> type[models.TextChoices]:
    """Django choices from a contract's code list and labels (one source, conventions §4)."""
    return models.TextChoices(
        name, [(code.upper(), (code, label)) for code, label in labels.items()]
    )


ApplicationKind = _choices("ApplicationKind", APPLICATION_KIND_LABELS)
ApplicationStatus = _choices("ApplicationStatus", APPLICATION_STATUS_LABELS)
DeliveryMethod = _choices("DeliveryMethod", DELIVERY_METHOD_LABELS)

# A person's applications that still stand: sent and not finished (WF-2). A second one for the
# same ID number is refused while one of these exists (enforced by a partial unique index).
IN_PROGRESS_STATUSES = (
    "submitted",
    "prelim_review",
    "materials_required",
    "prereview_passed",
    "accepted",
    "approved",
    "in_production",
    "ready",
)
# An endorsement (签注) is recorded electronically at approval: no card is made, so an approved
# endorsement is finished and must not block the holder's next request.
IN_PROGRESS = models.Q(status__in=IN_PROGRESS_STATUSES) & ~models.Q(
    kind="endorsement", status="approved"
)


class PermitApplication(models.Model):
    """A resident's residence-permit application: a draft they fill in, then the mirror of the
    station's progress (WF-2) with its one-time notice (DOC-1). Personal data is encrypted field
    by field (DESIGN §8); `id_hash` finds a person's applications. Every field of a draft may
    be empty; `permit_application_submit` checks completeness."""

    reference = models.CharField(max_length=32, unique=True)
    resident = models.ForeignKey(
        "portal_accounts.Resident", on_delete=models.PROTECT, related_name="permit_applications"
    )
    channel = models.CharField(max_length=20, default="web")
    kind = models.CharField(max_length=20, choices=ApplicationKind.choices)
    status = models.CharField(
        max_length=30, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    # The last revision sent to the station: 0 for a draft, 1 once submitted, +1 a resubmission.
    revision = models.PositiveIntegerField(default=0)

    # The applicant.
    name = EncryptedTextField(blank=True, default="")
    id_number = EncryptedTextField(blank=True, default="")
    id_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    phone = EncryptedTextField(blank=True, default="")
    community_code = models.CharField(max_length=12, blank=True, default="")
    address_detail = EncryptedTextField(blank=True, default="")

    # The route answers (HZ-2…HZ-5) and what decides the materials (DOC-3).
    route = models.CharField(max_length=20, blank=True, default="")
    housing = models.CharField(max_length=30, blank=True, default="")
    employer_name = models.CharField(max_length=100, blank=True, default="")
    school_name = models.CharField(max_length=100, blank=True, default="")
    social_insurance_months = models.PositiveSmallIntegerField(null=True, blank=True)
    guardian_name = EncryptedTextField(blank=True, default="")
    guardian_id_number = EncryptedTextField(blank=True, default="")
    guardian_relation = models.CharField(max_length=20, blank=True, default="")
    guardians_hold_permits = models.BooleanField(default=False)
    guardian_insurance_months = models.PositiveSmallIntegerField(null=True, blank=True)
    permit_number = models.CharField(max_length=40, blank=True, default="")

    delivery = models.CharField(
        max_length=10, choices=DeliveryMethod.choices, blank=True, default=""
    )
    postal_address = EncryptedTextField(blank=True, default="")

    consented_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    # The station's word, mirrored (permit.status_changed).
    problems = models.JSONField(default=list, blank=True)  # [{"item", "text"}], DOC-1
    reason = models.CharField(max_length=500, blank=True, default="")
    station_name = models.CharField(max_length=100, blank=True, default="")
    receipt_number = models.CharField(max_length=40, blank=True, default="")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # What the departments' data said of the proofs (permit.proofs_checked, HZ-7):
    # {"revision": n, "checks": [{"requirement", "status", "source", "proof_id", …}]}.
    proof_checks = models.JSONField(default=dict, blank=True)

    # Accepted uploads so far, counted in the database (the limit per application).
    uploads = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_hash"],
                condition=IN_PROGRESS,
                name="permit_one_application_in_progress",
            )
        ]

    def __str__(self) -> str:
        return self.reference


class PermitDocument(models.Model):
    """One uploaded file of an application, stored encrypted by the file store under
    `stored_name`. `item` is "photo" or a catalogue proof id (A1…D31). Replacing an item's file
    keeps this row, inactive, for the history; its file is deleted."""

    application = models.ForeignKey(
        PermitApplication, on_delete=models.CASCADE, related_name="documents"
    )
    document_id = models.CharField(max_length=32, unique=True)
    item = models.CharField(max_length=8)
    stored_name = models.CharField(max_length=32)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    media_type = models.CharField(max_length=40)
    # A file name can name a person ("张三身份证.jpg"), so it is encrypted too.
    original_name = EncryptedTextField(blank=True, default="")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    revision = models.PositiveIntegerField()  # the revision it is first sent in
    active = models.BooleanField(default=True)
    replaced_at = models.DateTimeField(null=True, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "item"],
                condition=models.Q(active=True),
                name="permit_one_active_document_per_item",
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.item}"


class PermitApplicationEvent(models.Model):
    """One line of the history the resident reads; written once, never changed. `lines` holds
    a one-time notice's items when the station asked for corrections."""

    application = models.ForeignKey(
        PermitApplication, on_delete=models.CASCADE, related_name="events"
    )
    status = models.CharField(max_length=30, choices=ApplicationStatus.choices)
    revision = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=500, blank=True, default="")
    lines = models.JSONField(default=list, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.status}"


CardStatus = _choices("CardStatus", CARD_STATUS_LABELS)


class PermitCard(models.Model):
    """A residence permit as the police zone last told it (`permit.card_changed`, WF-3): what
    the resident's "我的居住证" page shows, so it never asks the police zone. Found by the
    holder's `id_hash`; the newest `revision` wins, an older or repeated one changes nothing.

    `reminded_until` is the last day of the endorsement window a reminder was sent for: one
    reminder per window, however often the message arrives."""

    permit_number = models.CharField(max_length=40, unique=True)
    id_hash = models.CharField(max_length=64, db_index=True)
    phone = EncryptedTextField()
    card_status = models.CharField(max_length=16, choices=CardStatus.choices)
    issued_on = models.DateField()
    valid_until = models.DateField()
    residence_since = models.DateField()
    endorsement_from = models.DateField(null=True, blank=True)
    endorsement_until = models.DateField(null=True, blank=True)
    replaced_by = models.CharField(max_length=40, blank=True, default="")
    revision = models.PositiveIntegerField()
    changed_at = models.DateTimeField()
    reminded_until = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-issued_on", "-id"]

    def __str__(self) -> str:
        return f"PermitCard {self.pk}"


DeliveryStage = _choices("DeliveryStage", DELIVERY_STAGE_LABELS)
DeliveryChange = _choices("DeliveryChange", DELIVERY_CHANGE_LABELS)


class PermitDelivery(models.Model):
    """Where the card of one application is, as the police zone last told it
    (`permit.delivery_changed`, WF-2 after approval): the resident's progress page and the API
    read it, so neither asks the police zone. The newest `sequence` wins; an older or repeated
    snapshot changes nothing. The pickup code the message may carry is never kept: it goes
    into the SMS only."""

    application = models.OneToOneField(
        PermitApplication, on_delete=models.CASCADE, related_name="card_delivery"
    )
    sequence = models.PositiveIntegerField()
    change = models.CharField(max_length=30, choices=DeliveryChange.choices)
    stage = models.CharField(max_length=30, choices=DeliveryStage.choices)
    method = models.CharField(max_length=10, choices=DeliveryMethod.choices)
    station_code = models.CharField(max_length=20, blank=True, default="")
    station_name = models.CharField(max_length=100, blank=True, default="")
    courier = models.CharField(max_length=40, blank=True, default="")
    tracking_number = models.CharField(max_length=40, blank=True, default="")
    # [{"at": ISO time, "status": courier status, "detail": text}], as the message gave them.
    events = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=300, blank=True, default="")
    changed_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"PermitDelivery {self.application_id} #{self.sequence}"


class DeliveryChangeOutcome(models.TextChoices):
    PENDING = "pending", "pending"
    APPLIED = "applied", "applied"
    REFUSED = "refused", "refused"


class PermitDeliveryChange(models.Model):
    """The resident's request to change how the card reaches them (a new postal address, or
    pickup <-> post) while it has not left the station: the portal's own record, written in the
    transaction that emits `permit.delivery_address_changed`. It stays pending until the police
    zone answers with `address_changed` or `address_change_refused`; the application's own
    delivery fields change only when the police zone has applied it."""

    application = models.ForeignKey(
        PermitApplication, on_delete=models.CASCADE, related_name="delivery_changes"
    )
    request_id = models.CharField(max_length=32, unique=True)
    method = models.CharField(max_length=10, choices=DeliveryMethod.choices)
    postal_address = EncryptedTextField(blank=True, default="")
    channel = models.CharField(max_length=20, default="web")
    outcome = models.CharField(
        max_length=10,
        choices=DeliveryChangeOutcome.choices,
        default=DeliveryChangeOutcome.PENDING,
    )
    requested_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]

    def __str__(self) -> str:
        return f"PermitDeliveryChange {self.request_id} {self.outcome}"

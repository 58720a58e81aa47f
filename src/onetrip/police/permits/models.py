"""Residence-permit applications as the station pre-reviews them (属地派出所初审; DOMAIN NAT-11,
DOC-1, WF-2).

A case is one application under its portal reference; a resubmission after a one-time notice is
the same case at the next revision. Personal data is encrypted at rest and found through keyed
hashes (DESIGN §8); uploaded files lie encrypted in the file store (`common/filestore.py`) and
the database keeps only their name, hash and size.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onetrip.common.fields import EncryptedTextField
from onetrip.contracts.permits import (
    APPLICATION_KIND_LABELS,
    APPLICATION_STATUS_LABELS,
    DELIVERY_METHOD_LABELS,
    PermitApplicationSubmittedV1,
)


def _choices(name: str, labels: dict[str, str]) -> type[models.TextChoices]:
    return models.TextChoices(  # type: ignore[call-overload,no-any-return]
        name, [(code.upper(), (code, label)) for code, label in labels.items()]
    )


_STATUS = APPLICATION_STATUS_LABELS


class PermitStatus(models.TextChoices):
    """The WF-2 statuses a case takes at the station, labelled by the contract. The statuses
    only the portal knows (a draft, a submission still on its way) never reach the station;
    `check_statuses` keeps this list and the contract's in step."""

    PRELIM_REVIEW = "prelim_review", _STATUS["prelim_review"]
    MATERIALS_REQUIRED = "materials_required", _STATUS["materials_required"]
    PREREVIEW_PASSED = "prereview_passed", _STATUS["prereview_passed"]
    ACCEPTED = "accepted", _STATUS["accepted"]
    REJECTED = "rejected", _STATUS["rejected"]
    APPROVED = "approved", _STATUS["approved"]
    IN_PRODUCTION = "in_production", _STATUS["in_production"]
    READY = "ready", _STATUS["ready"]
    COLLECTED = "collected", _STATUS["collected"]
    DELIVERED = "delivered", _STATUS["delivered"]


PORTAL_ONLY_STATUSES = frozenset({"draft", "submitted"})


def check_statuses() -> None:
    """Fail at start-up, not in a reviewer's request, if the contract's statuses change."""
    if set(PermitStatus.values) | PORTAL_ONLY_STATUSES != set(_STATUS):
        raise ImportError(f"permit statuses {PermitStatus.values} differ from {list(_STATUS)}")


check_statuses()
ApplicationKind = _choices("ApplicationKind", APPLICATION_KIND_LABELS)
DeliveryMethod = _choices("DeliveryMethod", DELIVERY_METHOD_LABELS)

# The fields of the application message the case keeps (everything but the document list, which
# becomes `PermitCaseDocument` rows), and among them the form fields a one-time notice may name.
APPLICATION_FIELDS: tuple[str, ...] = tuple(
    name for name in PermitApplicationSubmittedV1.model_fields if name != "documents"
)
FORM_FIELDS: tuple[str, ...] = tuple(
    name
    for name in APPLICATION_FIELDS
    if name not in ("reference", "revision", "materials", "consented_at", "submitted_at")
)


class PermitCase(models.Model):
    """One residence-permit application in the pre-review of the station covering its address."""

    reference = models.CharField(max_length=32, unique=True)
    revision = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=ApplicationKind.choices)
    station = models.ForeignKey(
        "police_stations.Station", on_delete=models.PROTECT, related_name="permit_cases"
    )
    name = EncryptedTextField()
    id_number = EncryptedTextField()
    id_hash = models.CharField(max_length=64, db_index=True)
    phone = EncryptedTextField()
    phone_hash = models.CharField(max_length=64, db_index=True)
    community_code = models.CharField(max_length=12)
    address_detail = EncryptedTextField()
    route = models.CharField(max_length=20)
    housing = models.CharField(max_length=30, blank=True, default="")
    employer_name = models.CharField(max_length=100, blank=True, default="")
    school_name = models.CharField(max_length=100, blank=True, default="")
    social_insurance_months = models.PositiveIntegerField(null=True, blank=True)
    guardian_name = EncryptedTextField(blank=True, default="")
    guardian_id_number = EncryptedTextField(blank=True, default="")
    guardian_relation = models.CharField(max_length=20, blank=True, default="")
    permit_number = EncryptedTextField(blank=True, default="")
    delivery = models.CharField(max_length=10, choices=DeliveryMethod.choices)
    postal_address = EncryptedTextField(blank=True, default="")
    # The catalogue ids the resident's one-time list asked for (DOC-3).
    materials = models.JSONField(default=list)
    consented_at = models.DateTimeField()
    # When the resident submitted this revision: the pre-review time is counted from here.
    submitted_at = models.DateTimeField()
    received_at = models.DateTimeField()
    # What this revision changed, beside the files it brought: the form fields whose value
    # changed and the proofs the resident's list newly asks for (DOC-1: what a notice on this
    # revision may still name).
    changed_items = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=24, choices=PermitStatus.choices, default=PermitStatus.PRELIM_REVIEW
    )
    # The one-time notice of the latest decision (DOC-1), as [{"item": …, "text": …}].
    problems = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=500, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Decision time minus the resident's submission of the decided revision, in seconds.
    prereview_seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        indexes = [models.Index(fields=["station", "status", "submitted_at"])]
        verbose_name = _("居住证申请")
        verbose_name_plural = _("居住证申请")

    def __str__(self) -> str:
        return self.reference


class PermitCaseDocument(models.Model):
    """One uploaded file. It arrives before the application that lists it, so until then it is
    known by its reference only (`case` is empty)."""

    reference = models.CharField(max_length=32, db_index=True)
    case = models.ForeignKey(
        PermitCase,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
    )
    document_id = models.CharField(max_length=32, unique=True)
    item = models.CharField(max_length=8)
    media_type = models.CharField(max_length=40)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    # The file store's name of the ciphertext (`common/filestore.py`); says nothing of the person.
    stored_name = models.CharField(max_length=32)
    # The file name as uploaded, which may well carry a name: encrypted like any personal data.
    original_name = EncryptedTextField(blank=True, default="")
    # The revision whose application first listed this file; empty until one does.
    revision = models.PositiveIntegerField(null=True, blank=True)
    # Listed by the case's latest revision (a resubmission may drop files).
    current = models.BooleanField(default=False)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["item", "received_at", "id"]

    def __str__(self) -> str:
        return self.document_id


class PermitCaseEvent(models.Model):
    """Append-only history of a case: who moved it to which status at which revision, and why.

    A decision keeps its one-time notice (`problems`) and its pre-review time here, so a later
    revision can be checked against the notice before it (DOC-1) and the station's median
    counts every decision, not just each case's latest."""

    case = models.ForeignKey(PermitCase, on_delete=models.PROTECT, related_name="events")
    revision = models.PositiveIntegerField()
    from_status = models.CharField(max_length=24, blank=True, default="")
    status = models.CharField(max_length=24)
    actor = models.CharField(max_length=150)
    note = models.CharField(max_length=500, blank=True, default="")
    problems = models.JSONField(default=list, blank=True)
    prereview_seconds = models.PositiveIntegerField(null=True, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} r{self.revision} {self.from_status}→{self.status}"

"""What the departments said about each proof a case needs (DOMAIN HZ-7, DOC-3).

One row per requirement of the case's one-time list and revision: pending until its source was
asked, then verified from the source (with source and time), needs the resident's paper,
failed (the source's data contradicts the application, or its answer could not be trusted), or
unavailable — "to be checked" — when the source did not answer. Never a silent pass or fail.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from onetrip.common.fields import EncryptedTextField
from onetrip.contracts.permits import PROOF_CHECK_STATUS_LABELS

from .base import SOURCE_LABELS


class CheckStatus(models.TextChoices):
    PENDING = "pending", PROOF_CHECK_STATUS_LABELS["pending"]
    RUNNING = "running", _("查询中")
    VERIFIED = "verified", PROOF_CHECK_STATUS_LABELS["verified"]
    NEEDS_PAPER = "needs_paper", PROOF_CHECK_STATUS_LABELS["needs_paper"]
    FAILED = "failed", PROOF_CHECK_STATUS_LABELS["failed"]
    UNAVAILABLE = "unavailable", PROOF_CHECK_STATUS_LABELS["unavailable"]


class ProofCheck(models.Model):
    case = models.ForeignKey(
        "police_permits.PermitCase", on_delete=models.CASCADE, related_name="proof_checks"
    )
    revision = models.PositiveIntegerField()
    # The line of the one-time list ("B10", "B11/B12/…/B17"), or "residence" for the address.
    requirement = models.CharField(max_length=60)
    # Whether the route needs it (the address check of an employment case is for information).
    required = models.BooleanField(default=True)
    source = models.CharField(
        max_length=30, blank=True, default="", choices=list(SOURCE_LABELS.items())
    )
    status = models.CharField(max_length=12, choices=CheckStatus.choices)
    # The catalogue proof the source stood in for, once verified (B17 for the group B11…B17).
    proof_id = models.CharField(max_length=8, blank=True, default="")
    # A code saying why, safe to log and to show translated: no_source, too_few_months, …
    reason = models.CharField(max_length=40, blank=True, default="")
    checked_at = models.DateTimeField(null=True, blank=True)
    checked_by = models.CharField(max_length=160, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "revision", "requirement"], name="egov_proof_check_once"
            )
        ]
        ordering = ["case", "revision", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.revision}/{self.requirement}: {self.status}"


class IdentityCheck(models.Model):
    """The population database's word on a residence declaration's applicant (DOC-5): whether
    the name and the ID number belong together and, when they do, the household-registration
    address, the ethnicity and the ID-card photo (encrypted in the file store), ready for the
    officer who verifies the declaration."""

    object_type = models.CharField(max_length=40)
    reference = models.CharField(max_length=32)
    status = models.CharField(max_length=12, choices=CheckStatus.choices)
    reason = models.CharField(max_length=40, blank=True, default="")
    checked_at = models.DateTimeField(null=True, blank=True)
    checked_by = models.CharField(max_length=160, blank=True, default="")
    ethnicity = models.CharField(max_length=20, blank=True, default="")
    hukou_address = EncryptedTextField(blank=True, default="")
    # The file store's name of the encrypted photo; says nothing of the person.
    photo_stored_name = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["object_type", "reference"], name="egov_identity_check_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.object_type}/{self.reference}: {self.status}"

"""What the portal knows of a person's residence registrations: the police zone's snapshot
(HZ-1), so eligibility is answered without asking the police zone at request time."""

from __future__ import annotations

from django.db import models

from onetrip.common.fields import EncryptedTextField


class ResidenceRecord(models.Model):
    """One person's registration history. Found by `id_hash`; the periods (with addresses) are
    encrypted as one JSON document."""

    id_hash = models.CharField(max_length=64, unique=True)
    registrations = EncryptedTextField()
    as_of = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"ResidenceRecord {self.pk}"

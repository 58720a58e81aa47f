"""The police zone's audit log (DOMAIN MLPS-5, NAT-17, PI-15, WF-6; DESIGN §7–§8)."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models

from onetrip.common.audit_chain import GENESIS, LEGACY_KEY_ID


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete an audit event."""


def _refuse(*args: Any, **kwargs: Any) -> NoReturn:
    raise AppendOnlyError("audit log is append-only")


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """Reads only: every bulk write path except insertion refuses."""

    update = _refuse
    delete = _refuse
    bulk_update = _refuse
    update_or_create = _refuse
    _raw_delete = _refuse


class AuditEvent(models.Model):
    """One audited action by a member of staff or by the system, in a gapless hash chain.

    Append only, at three levels: `save()` refuses anything but an insert and `delete()` refuses;
    the queryset's `update`/`delete` refuse; and database triggers (migration 0002, see
    `triggers.py`) abort any UPDATE or DELETE, so not even raw SQL changes a row. Each row's
    `hash` is an HMAC, under the audit key named by `key_id`, of the previous row's hash and this
    row's content (`chain_record()`), so a change made behind the triggers' back is found by
    `selectors.audit_verify()` — and cannot be covered up by recomputing the chain without the
    key, which the database does not hold. Rows written before audit keys existed have
    `key_id = LEGACY_KEY_ID` and keep their unkeyed SHA-256 hash (migration 0003).

    Write through `services.audit_record`, never by hand: it assigns the next sequence and the
    hash under the chain's lock.

    `detail` holds ids and field names only — never personal data in clear (DESIGN §8).

    Retention: PI-15 and MLPS-5 require audit logs to be kept at least six months. Version 1
    offers no pruning at all, so everything is kept; archiving and pruning older than a
    configured period, with a signed checkpoint of the chain head, is left for a later version.
    """

    sequence = models.PositiveBigIntegerField(unique=True)
    occurred_at = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=150, help_text='Staff username, or "system".')
    actor_role = models.CharField(max_length=32, blank=True)
    station_code = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    purpose = models.TextField(blank=True)
    success = models.BooleanField(default=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    key_id = models.CharField(
        max_length=32, help_text=f'Audit key the row was chained with, or "{LEGACY_KEY_ID}".'
    )

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_event_object_idx"),
            models.Index(fields=["actor", "occurred_at"], name="audit_event_actor_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sequence__gte=1), name="audit_event_sequence_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AppendOnlyError("audit log is append-only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit log is append-only")

    def chain_record(self) -> dict[str, Any]:
        """The content the hash covers: every column but the surrogate id and the hash itself.

        A legacy row's record has no `key_id`, exactly as when its hash was computed; that
        absence is what tells `verify_chain` to check it the old, unkeyed way.
        """
        record: dict[str, Any] = {
            "sequence": self.sequence,
            "occurred_at": self.occurred_at,
            "actor": self.actor,
            "actor_role": self.actor_role,
            "station_code": self.station_code,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "purpose": self.purpose,
            "success": self.success,
            "detail": self.detail,
            "prev_hash": self.prev_hash,
        }
        if self.key_id != LEGACY_KEY_ID:
            record["key_id"] = self.key_id
        return record


class AuditHead(models.Model):
    """The chain's single head row: the last sequence and hash appended.

    Appends lock this row first, so they queue one behind another and the sequence stays
    gapless. It also lets verification notice rows removed from the end of the chain, which
    the chain alone cannot show.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID)
    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="audit_head_singleton"),
        ]

    def __str__(self) -> str:
        return f"audit head #{self.last_sequence}"

"""Abstract ferry tables (DESIGN §3).

The ferry app belongs to no zone, so it owns no tables: each zone's `ferrybox` app subclasses these
models, which puts the rows in that zone's database through the router, and registers the concrete
classes with `onetrip.ferry.registry.register_store`.
"""

from __future__ import annotations

import uuid

from django.db import models


class OutboxMessage(models.Model):
    """A message written in the same transaction as the change that caused it.

    `sequence` and `batch_id` stay empty until the exporter puts the message into a batch; the
    sequence is assigned then, so it is gapless per channel whatever order transactions commit in.
    """

    message_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    channel = models.CharField(max_length=40)
    message_type = models.CharField(max_length=100)
    version = models.PositiveIntegerField()
    aggregate_type = models.CharField(max_length=50)
    aggregate_id = models.CharField(max_length=100)
    correlation_id = models.CharField(max_length=100, blank=True)
    actor = models.CharField(max_length=100)
    purpose = models.CharField(max_length=200)
    occurred_at = models.DateTimeField()
    payload = models.JSONField()
    sequence = models.BigIntegerField(null=True, blank=True, db_index=True)
    batch_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "sequence"], name="%(app_label)s_%(class)s_channel_seq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.message_type} {self.message_id} seq={self.sequence}"


class SentBatch(models.Model):
    """A batch as built, kept byte for byte so that a resend is identical to the first send."""

    channel = models.CharField(max_length=40)
    batch_id = models.UUIDField(unique=True)
    first_seq = models.BigIntegerField()
    last_seq = models.BigIntegerField()
    message_count = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    prev_sha256 = models.CharField(max_length=64, blank=True)
    file_name = models.CharField(max_length=100)
    body = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    exported_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    send_count = models.PositiveIntegerField(default=0)
    acked_at = models.DateTimeField(null=True, blank=True)
    ack_rejects = models.JSONField(default=list, blank=True)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "first_seq"], name="%(app_label)s_%(class)s_channel_first"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.first_seq}-{self.last_seq} {self.batch_id}"


class InboxMessage(models.Model):
    """One row per message ever applied or rejected: the receiver's exactly-once memory."""

    STATUS_APPLIED = "applied"
    STATUS_REJECTED = "rejected"
    STATUS_CHOICES = [(STATUS_APPLIED, "已处理 applied"), (STATUS_REJECTED, "已拒绝 rejected")]

    message_id = models.UUIDField(unique=True)
    channel = models.CharField(max_length=40)
    sequence = models.BigIntegerField()
    batch_id = models.UUIDField()
    message_type = models.CharField(max_length=100)
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=STATUS_CHOICES)
    reject_reason = models.TextField(blank=True)
    applied_at = models.DateTimeField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.message_type} {self.message_id} {self.status}"


class ChannelState(models.Model):
    """The head of one channel as this zone sees it; its row is also the channel's lock.

    Outgoing: `last_seq` is the last sequence assigned and `last_batch_sha256` the hash of the last
    batch built (the next batch's `prev_batch_sha256`). Incoming: the last sequence applied and the
    hash of the last batch applied (what the next batch must chain to).
    """

    DIRECTION_OUT = "out"
    DIRECTION_IN = "in"
    DIRECTION_CHOICES = [(DIRECTION_OUT, "发送 out"), (DIRECTION_IN, "接收 in")]

    channel = models.CharField(max_length=40, unique=True)
    direction = models.CharField(max_length=3, choices=DIRECTION_CHOICES)
    last_seq = models.BigIntegerField(default=0)
    last_batch_sha256 = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.channel} ({self.direction}) @ {self.last_seq}"


class ReceivedBatch(models.Model):
    """Every batch applied, by first sequence: a replay is recognised by its hash, and a different
    batch under a sequence already applied is a security alarm. Rejects are kept to re-ack."""

    channel = models.CharField(max_length=40)
    batch_id = models.UUIDField()
    first_seq = models.BigIntegerField()
    last_seq = models.BigIntegerField()
    message_count = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    rejects = models.JSONField(default=list, blank=True)
    applied_at = models.DateTimeField()

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "first_seq"], name="%(app_label)s_%(class)s_channel_first"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.first_seq}-{self.last_seq} {self.batch_id}"


class QuarantinedBatch(models.Model):
    """A batch (or ack) that failed verification, kept with its raw bytes for the operator.

    The same bytes arriving again (a resend of a deterministically bad batch) bump `times_seen`
    instead of adding rows.
    """

    KIND_BATCH = "batch"
    KIND_ACK = "ack"
    KIND_CHOICES = [(KIND_BATCH, "批次 batch"), (KIND_ACK, "回执 ack")]

    channel = models.CharField(max_length=40)
    kind = models.CharField(max_length=5, choices=KIND_CHOICES, default=KIND_BATCH)
    file_name = models.CharField(max_length=200)
    reason = models.TextField()
    sha256 = models.CharField(max_length=64)
    raw = models.BinaryField()
    quarantined_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)
    times_seen = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.channel} {self.file_name}: {self.reason}"

"""Abstract ferry tables (DESIGN §3).

The ferry app belongs to no zone, so it owns no tables: each zone's `ferrybox` app subclasses these
models, which puts the rows in that zone's database through the router, and registers the concrete
classes with `onetrip.ferry.registry.register_store`.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


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
    # Set once, when the ack carrying the far side's business reject of this message is
    # processed (and the zone's reject handler, if any, has run in the same transaction).
    rejected_reason = models.TextField(blank=True)
    reject_seen_at = models.DateTimeField(null=True, blank=True)

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

    What the peer told us (heartbeats, acks, batch manifests) and the gap bookkeeping live here
    too, so that lag and liveness survive restarts:

    * incoming: `peer_last_seq` (the highest sequence the sender says it has built),
      `peer_clock_at` (the sender's time in its newest heartbeat, to ignore replays),
      `peer_seen_at` (local time a valid batch or heartbeat last arrived),
      `heartbeat_received_at`, `gap_since` (when a missing range was first noticed),
      `resend_requested_range`/`resend_requested_at` (the last resend request sent);
    * outgoing: `peer_applied_through` (how far the receiver says it has applied) and
      `heartbeat_sent_at`.
    """

    DIRECTION_OUT = "out"
    DIRECTION_IN = "in"
    DIRECTION_CHOICES = [(DIRECTION_OUT, "发送 out"), (DIRECTION_IN, "接收 in")]

    channel = models.CharField(max_length=40, unique=True)
    direction = models.CharField(max_length=3, choices=DIRECTION_CHOICES)
    last_seq = models.BigIntegerField(default=0)
    last_batch_sha256 = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_at = models.DateTimeField(default=timezone.now)
    peer_last_seq = models.BigIntegerField(default=0)
    peer_applied_through = models.BigIntegerField(default=0)
    peer_clock_at = models.DateTimeField(null=True, blank=True)
    peer_seen_at = models.DateTimeField(null=True, blank=True)
    heartbeat_received_at = models.DateTimeField(null=True, blank=True)
    heartbeat_sent_at = models.DateTimeField(null=True, blank=True)
    gap_since = models.DateTimeField(null=True, blank=True)
    resend_requested_range = models.CharField(max_length=60, blank=True)
    resend_requested_at = models.DateTimeField(null=True, blank=True)

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
    KIND_HEARTBEAT = "heartbeat"
    KIND_CHOICES = [
        (KIND_BATCH, "批次 batch"),
        (KIND_ACK, "回执 ack"),
        (KIND_HEARTBEAT, "心跳 heartbeat"),
    ]

    channel = models.CharField(max_length=40)
    kind = models.CharField(max_length=10, choices=KIND_CHOICES, default=KIND_BATCH)
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


class ParkedBatch(models.Model):
    """A verified batch left pending because it cannot apply yet, with the reason.

    `gap`: an earlier sequence has not been applied (missing, or itself parked).
    `unknown_version`: a message's (type, version) has no contract here yet; the batch is
    re-checked every pass, so deploying the contract lets it apply. Rows are kept in step with
    the transport by each receive pass (a parked file that vanished loses its row)."""

    REASON_GAP = "gap"
    REASON_UNKNOWN_VERSION = "unknown_version"
    REASON_CHOICES = [
        (REASON_GAP, "缺号等待 waiting for earlier sequences"),
        (REASON_UNKNOWN_VERSION, "未知版本 unknown message version"),
    ]

    channel = models.CharField(max_length=40)
    file_name = models.CharField(max_length=200)
    batch_id = models.UUIDField()
    first_seq = models.BigIntegerField()
    last_seq = models.BigIntegerField()
    reason = models.CharField(max_length=20, choices=REASON_CHOICES)
    detail = models.CharField(max_length=300, blank=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "file_name"], name="%(app_label)s_%(class)s_channel_file"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.first_seq}-{self.last_seq} {self.reason}"


class Alarm(models.Model):
    """A condition an operator must see, open until the condition ends (or an operator clears it).

    At most one open alarm per (kind, channel, key): raising it again bumps `count` and
    `last_seen_at` (see onetrip.ferry.agent.alarms). `detail` holds ids, counts and reasons only,
    never personal data."""

    KIND_GAP = "gap"
    KIND_SECURITY_CONFLICT = "security_conflict"
    KIND_CHAIN_BROKEN = "chain_broken"
    KIND_QUARANTINE = "quarantine"
    KIND_UNKNOWN_VERSION = "unknown_version"
    KIND_KEY_UNKNOWN = "key_unknown"
    KIND_KEY_RETIRED = "key_retired"
    KIND_KEY_WRONG_CHANNEL = "key_wrong_channel"
    KIND_WRONG_CHANNEL = "wrong_channel"
    KIND_HEARTBEAT_MISSING = "heartbeat_missing"
    KIND_CHOICES = [
        (KIND_GAP, "缺号 gap"),
        (KIND_SECURITY_CONFLICT, "冲突批次 security conflict"),
        (KIND_CHAIN_BROKEN, "哈希链断裂 hash chain broken"),
        (KIND_QUARANTINE, "隔离 quarantine"),
        (KIND_UNKNOWN_VERSION, "未知消息版本 unknown version"),
        (KIND_KEY_UNKNOWN, "未知密钥 unknown key"),
        (KIND_KEY_RETIRED, "已停用密钥 retired key"),
        (KIND_KEY_WRONG_CHANNEL, "他通道密钥 key of another channel"),
        (KIND_WRONG_CHANNEL, "通道错误 wrong channel"),
        (KIND_HEARTBEAT_MISSING, "心跳缺失 heartbeat missing"),
    ]

    kind = models.CharField(max_length=30, choices=KIND_CHOICES)
    channel = models.CharField(max_length=40)
    key = models.CharField(max_length=200, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    raised_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=1)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "channel", "key"],
                condition=models.Q(cleared_at__isnull=True),
                name="%(app_label)s_%(class)s_one_open",
            )
        ]

    def __str__(self) -> str:
        state = "open" if self.cleared_at is None else "cleared"
        return f"{self.kind} {self.channel} {self.key} ({state}, x{self.count})"


class FerryEvent(models.Model):
    """The audit trail of ferry steps: one row per batch step (never per message), ids, counts
    and reasons only. Steps: see onetrip.ferry.agent.events.STEPS."""

    at = models.DateTimeField(db_index=True)
    channel = models.CharField(max_length=40)
    step = models.CharField(max_length=20)
    batch_id = models.UUIDField(null=True, blank=True)
    first_seq = models.BigIntegerField(null=True, blank=True)
    last_seq = models.BigIntegerField(null=True, blank=True)
    count = models.IntegerField(default=0)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.channel} {self.step} {self.first_seq}"

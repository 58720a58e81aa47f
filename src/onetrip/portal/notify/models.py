"""Outgoing SMS: one row per message, which is the send's state machine (DESIGN §3 side effects).

queued → sending → sent, or back to queued for a retry, or failed. A message is sent only by the
worker that moved it from queued to sending under a row lock, so a replayed task never sends twice.
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onetrip.common.fields import EncryptedTextField


class SmsMessage(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The caller's idempotency key (e.g. "declaration.registered:<reference>"): queueing the same
    # key again returns the existing row. The gateway's key is always the row id.
    client_ref = models.CharField(max_length=128, unique=True, null=True, blank=True)
    phone = EncryptedTextField(_("手机号码"))
    phone_hash = models.CharField(max_length=64, db_index=True)
    template = models.CharField(_("模板"), max_length=64)
    # May carry a login code, so it is encrypted like the number.
    text = EncryptedTextField(_("短信内容"))
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    provider_id = models.CharField(max_length=128, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("短信")
        verbose_name_plural = _("短信")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="sms_status_due_idx")]

    def __str__(self) -> str:
        return f"SmsMessage {self.id} {self.template} {self.status}"

"""Residents sign in with their mobile number and a one-time SMS code; nothing else is asked."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onetrip.common.fields import EncryptedTextField


class Resident(models.Model):
    """A person who signed in to the portal at least once. Found by `phone_hash`, never by phone."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    phone = EncryptedTextField(_("手机号码"))
    phone_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("居民账户")
        verbose_name_plural = _("居民账户")

    def __str__(self) -> str:
        return f"Resident {self.id}"


class SmsLoginCode(models.Model):
    """One login code sent by SMS. Only a keyed hash of the code is stored (DESIGN §8)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    phone_hash = models.CharField(max_length=64)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("短信登录验证码")
        verbose_name_plural = _("短信登录验证码")
        indexes = [models.Index(fields=["phone_hash", "-created_at"], name="login_code_phone_idx")]

    def __str__(self) -> str:
        return f"SmsLoginCode {self.id}"


class LoginCodeQuota(models.Model):
    """Per-number counters for code requests. Its row is locked while a code is issued, so two
    servers cannot both pass the resend throttle or the daily limit for the same number."""

    phone_hash = models.CharField(max_length=64, unique=True)
    day = models.DateField()
    day_count = models.PositiveSmallIntegerField(default=0)
    last_requested_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"LoginCodeQuota {self.pk}"

"""Resident sign-in by SMS code.

A code is six random digits, valid for five minutes and for five tries; only its keyed hash is
stored. A number gets at most one code a minute and ten a day — enforced under a row lock, so it
holds across servers. The first successful sign-in creates the resident.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import unicodedata
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from onetrip.common.crypto import lookup_hash
from onetrip.common.db import atomic_for
from onetrip.common.identifiers import IdentifierError, normalize_mobile
from onetrip.portal.limits.services import rate_limit_hit
from onetrip.portal.notify.services import sms_queue

from . import errors
from .errors import AccountError
from .models import LoginCodeQuota, Resident, SmsLoginCode

__all__ = [
    "CODE_TTL",
    "DAILY_LIMIT",
    "MAX_ATTEMPTS",
    "RESEND_AFTER",
    "AccountError",
    "login_code_request",
    "login_code_verify",
    "phone_hash_of",
]

logger = logging.getLogger(__name__)

CODE_TTL = timedelta(minutes=5)
RESEND_AFTER = timedelta(seconds=60)
DAILY_LIMIT = 10
MAX_ATTEMPTS = 5
CODE_RE = re.compile(r"[0-9]{6}")


def _normalize_phone(phone: str) -> str:
    """The number as stored and throttled; the validator's own refusal (e.g. `non_ascii_digit`)
    is passed on so the resident learns what to fix."""
    try:
        return normalize_mobile(phone)
    except IdentifierError as exc:
        raise AccountError(exc.code, exc.message_zh, exc.message_en, field="phone") from None


def phone_hash_of(phone: str) -> str:
    """The lookup hash of a normalised mobile number (shared with notify's SmsMessage)."""
    return lookup_hash(phone, purpose="phone")


def _code_hash(login_code: SmsLoginCode, code: str) -> str:
    # Keyed and bound to the row, so a leaked table cannot be brute-forced over 10^6 codes.
    return lookup_hash(f"{login_code.id}\x00{code}", purpose="login_code")


def login_code_request(*, phone: str, client_ip: str = "") -> SmsLoginCode:
    """Issue a login code for `phone` and queue it by SMS.

    Raises AccountError: phone_format, code_throttled (within 60 s of the last code),
    code_daily_throttled (ten codes today already); RateLimited when `client_ip` asked for
    codes to more numbers than `ONETRIP_SMS_CODES_PER_ADDRESS_PER_HOUR` (SMS cost and
    harassment of strangers' phones). A new code replaces any earlier one."""
    phone = _normalize_phone(phone)
    if client_ip:
        rate_limit_hit(
            key=f"sms-code:ip:{client_ip}",
            limit=settings.ONETRIP_SMS_CODES_PER_ADDRESS_PER_HOUR,
            window_seconds=3600,
            message_zh="该网络获取验证码过于频繁，请{seconds}秒后再试",
            message_en="Too many codes requested from this network; try again in {seconds} seconds",
        )
    phone_hash = phone_hash_of(phone)
    now = timezone.now()
    today = timezone.localdate(now)
    with atomic_for(SmsLoginCode, durable=True):
        LoginCodeQuota.objects.get_or_create(phone_hash=phone_hash, defaults={"day": today})
        quota = LoginCodeQuota.objects.select_for_update().get(phone_hash=phone_hash)
        if quota.day != today:
            quota.day, quota.day_count = today, 0
        if quota.day_count >= DAILY_LIMIT:
            tomorrow = timezone.make_aware(
                datetime.combine(today + timedelta(days=1), datetime.min.time())
            )
            raise errors.code_daily_throttled(
                DAILY_LIMIT, int((tomorrow - now).total_seconds()) + 1
            )
        if quota.last_requested_at is not None and now - quota.last_requested_at < RESEND_AFTER:
            wait = RESEND_AFTER - (now - quota.last_requested_at)
            raise errors.code_throttled(max(1, int(wait.total_seconds() + 0.999)))

        code = f"{secrets.randbelow(1_000_000):06d}"
        login_code = SmsLoginCode(phone_hash=phone_hash, created_at=now, expires_at=now + CODE_TTL)
        login_code.code_hash = _code_hash(login_code, code)
        login_code.save()
        quota.day_count += 1
        quota.last_requested_at = now
        quota.save()
        sms_queue(
            phone=phone,
            template="login_code",
            params={"code": code, "minutes": int(CODE_TTL.total_seconds() // 60)},
        )
    logger.info("login-code issued login_code_id=%s", login_code.id)
    return login_code


def login_code_verify(*, phone: str, code: str) -> Resident:
    """Check `code` against the latest code sent to `phone`; return the resident, created on
    their first sign-in.

    Raises AccountError: phone_format, code_format, code_missing, code_used, code_expired,
    code_attempts (five tries used), code_wrong. A wrong try counts even though it raises."""
    phone = _normalize_phone(phone)
    code = unicodedata.normalize("NFKC", code or "").strip()
    if not CODE_RE.fullmatch(code):
        raise errors.code_format()
    phone_hash = phone_hash_of(phone)
    now = timezone.now()
    error: AccountError | None = None
    with atomic_for(SmsLoginCode, durable=True):
        login_code = (
            SmsLoginCode.objects.select_for_update()
            .filter(phone_hash=phone_hash)
            .order_by("-created_at")
            .first()
        )
        if login_code is None:
            error = errors.code_missing()
        elif login_code.used_at is not None:
            error = errors.code_used()
        elif login_code.expires_at <= now:
            error = errors.code_expired()
        elif login_code.attempts >= MAX_ATTEMPTS:
            error = errors.code_attempts()
        else:
            login_code.attempts += 1
            if hmac.compare_digest(login_code.code_hash, _code_hash(login_code, code)):
                login_code.used_at = now
                login_code.save(update_fields=["attempts", "used_at"])
                resident, created = Resident.objects.get_or_create(
                    phone_hash=phone_hash, defaults={"phone": phone, "created_at": now}
                )
                resident.last_login_at = now
                resident.save(update_fields=["last_login_at"])
            else:
                # Saved, not rolled back: the error is raised after the commit.
                login_code.save(update_fields=["attempts"])
                left = MAX_ATTEMPTS - login_code.attempts
                error = errors.code_wrong(left) if left > 0 else errors.code_attempts()
    if error is not None:
        logger.info("login-code refused code=%s", error.code)
        raise error
    logger.info("login-code verified resident_id=%s created=%s", resident.id, created)
    return resident

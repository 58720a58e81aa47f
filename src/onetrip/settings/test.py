"""Both zones in one process, each on its own database, so one test can drive a whole
cross-zone flow. Requests pick their zone by host: `portal.testserver` or `police.testserver`."""

import os
from pathlib import Path

from .base import *  # noqa: F403
from .base import SHARED_APPS, VAR_DIR, database
from .police import (  # noqa: F401  (the police zone's staff security, as the zone has it)
    AUTH_PASSWORD_VALIDATORS,
    AUTHENTICATION_BACKENDS,
    AXES_COOLOFF_TIME,
    AXES_DISABLE_ACCESS_LOG,
    AXES_FAILURE_LIMIT,
    AXES_LOCKOUT_PARAMETERS,
    AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT,
    AXES_RESET_ON_SUCCESS,
    AXES_USERNAME_CALLABLE,
    AXES_VERBOSE,
    ONETRIP_CARD_PRODUCTION_KEY,
    ONETRIP_CARD_UNCOLLECTED_DAYS,
    ONETRIP_COURIER_ALARM_SECONDS,
    ONETRIP_COURIER_CALLBACK_URL,
    ONETRIP_COURIER_SECRET,
    ONETRIP_COURIER_TIMEOUT,
    ONETRIP_COURIER_URL,
    ONETRIP_DEMO,
    ONETRIP_EGOV_ATTEMPTS,
    ONETRIP_EGOV_BACKOFF,
    ONETRIP_EGOV_BREAKER_FAILURES,
    ONETRIP_EGOV_BREAKER_RESET_SECONDS,
    ONETRIP_EGOV_CACHE_SECONDS,
    ONETRIP_EGOV_CLIENT_ID,
    ONETRIP_EGOV_SIGNING_KEY,
    ONETRIP_EGOV_SOURCES,
    ONETRIP_EGOV_TIMEOUT,
    ONETRIP_PERMIT_CHAIN,
    ONETRIP_PERMIT_ISSUE_DAY_UNIT,
    ONETRIP_PERMIT_ISSUE_DAYS,
    ONETRIP_PERMIT_REISSUE_FEE_FEN,
    ONETRIP_PERMIT_SOCIAL_INSURANCE_MONTHS,
    ONETRIP_REPORTING_FINE_PER_PERSON_YUAN,
    ONETRIP_STAFF_IDLE_MINUTES,
    ONETRIP_STAFF_PASSWORD_MAX_DAYS,
    ONETRIP_STAFF_SESSION_MAX_HOURS,
    ONETRIP_UPLOAD_PATHS,
    OTP_TOTP_ISSUER,
    POLICE_APPS,
    SILENCED_SYSTEM_CHECKS,
)
from .police import MIDDLEWARE as POLICE_MIDDLEWARE
from .police import TEMPLATES as POLICE_TEMPLATES
from .portal import PORTAL_APPS

ZONE = "test"
INSTALLED_APPS = SHARED_APPS + PORTAL_APPS + POLICE_APPS
ROOT_URLCONF = "onetrip.portal.urls"
MIDDLEWARE = ["onetrip.settings.testhosts.ZoneByHostMiddleware", *POLICE_MIDDLEWARE]
STATIC_ROOT = None
ALLOWED_HOSTS = ["*"]

if os.environ.get("ONETRIP_TEST_POSTGRES"):
    _pg = os.environ["ONETRIP_TEST_POSTGRES"].rstrip("/")
    os.environ.setdefault("ONETRIP_PORTAL_DATABASE_URL", f"{_pg}/onetrip_portal")
    os.environ.setdefault("ONETRIP_POLICE_DATABASE_URL", f"{_pg}/onetrip_police")
DATABASES = {
    "default": database("ONETRIP_PORTAL_DATABASE_URL", "portal.sqlite3"),
    "police": database("ONETRIP_POLICE_DATABASE_URL", "police.sqlite3"),
}
# Two test runs on one machine (a developer's beside CI's, or beside a benchmark) must not share
# test databases, SQLite files or PostgreSQL databases. Child processes inherit the run id, so
# they open the same ones.
_RUN_ID = os.environ.setdefault("ONETRIP_TEST_RUN_ID", str(os.getpid()))
for _db in DATABASES.values():
    if _db["ENGINE"] == "django.db.backends.sqlite3":
        _db["TEST"] = {"NAME": str(VAR_DIR / f"test_{_RUN_ID}_{Path(str(_db['NAME'])).name}")}
    else:
        _db["TEST"] = {"NAME": f"test_{_db['NAME']}_{_RUN_ID}"}
ZONE_DATABASES = {"portal": "default", "police": "police"}
ONETRIP_FILES_DIR = VAR_DIR / f"test_{_RUN_ID}_files"
LOGIN_URL = "/login/"
TEMPLATES = POLICE_TEMPLATES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": []}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUDIT_KEYS = "test-1:duqXHQz95nWq0vV+M06Xm/ZGXUpRNkKHnsGOCkelrG0="

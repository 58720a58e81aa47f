"""Settings shared by both zones. Zone files add their apps and database; every knob a
deployment changes comes from an environment variable with a safe default for `make up`."""

import contextlib
import json
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parents[3]
VAR_DIR = Path(os.environ.get("ONETRIP_VAR_DIR", BASE_DIR / "var"))
with contextlib.suppress(OSError):  # a read-only deployment keeps nothing under var/
    VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("ONETRIP_SECRET_KEY", "dev-only-not-secret-change-me-in-production")
# Off unless asked for (ONETRIP_DEBUG=1), in `make up` too: nobody sees Django's debug pages.
DEBUG = os.environ.get("ONETRIP_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("ONETRIP_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

SHARED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "onetrip.common",
    "onetrip.ferry",
]

MIDDLEWARE = [
    # First, so that it sees every answer: no traceback ever leaves the server.
    "onetrip.common.errorpages.ErrorPagesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "onetrip.common.middleware.RequestLimitsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_ROUTERS = ["onetrip.settings.routers.ZoneRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# How long an SQLite write waits for another process's write lock before it fails (seconds); below
# gunicorn's 30 s worker timeout, so a stuck wait ends in an error page, not a killed worker.
SQLITE_BUSY_TIMEOUT = float(os.environ.get("ONETRIP_SQLITE_BUSY_TIMEOUT", "20"))
# Writers queue fairly for SQLite's write lock (onetrip.common.sqlite); 0 leaves them to SQLite's
# busy handler, whose backoff lets late writers overtake (only for measuring the difference).
SQLITE_WRITE_QUEUE = os.environ.get("ONETRIP_SQLITE_WRITE_QUEUE", "1") == "1"


def sqlite_options() -> dict[str, object]:
    """How every process of a zone opens an SQLite database:
    - WAL: readers never wait for the writer, and the writer never waits for readers.
    - `transaction_mode: IMMEDIATE`: `atomic()` starts with BEGIN IMMEDIATE, taking the write lock
      before its first read. A deferred transaction that reads and then writes cannot wait for the
      lock (its snapshot may be stale) and fails at once with "database is locked"; an immediate
      one queues for the lock for up to the timeout instead. Statements outside `atomic()`
      (plain reads; Django wraps no request in a transaction) take no write lock at all.
    - `timeout`: how long a writer waits for its turn.
    - `factory`: writers take their turn in a fair queue rather than in SQLite's busy handler.
    """
    options: dict[str, object] = {
        "timeout": SQLITE_BUSY_TIMEOUT,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
    if SQLITE_WRITE_QUEUE:
        from onetrip.common.sqlite import QueuedConnection

        options["factory"] = QueuedConnection
    return options


def database(env_var: str, sqlite_name: str) -> dict[str, object]:
    """A zone's database: from the URL in `env_var` when set (PostgreSQL in production), else an
    SQLite file under var/. Gunicorn workers, task workers, ferry agents and commands all open it
    with these settings; an SQLite database always gets `sqlite_options()` (a URL's own query
    options, such as `?timeout=30`, win)."""
    url = os.environ.get(env_var)
    if url:
        config = dict(dj_database_url.parse(url, conn_max_age=60))
        if config["ENGINE"] == "django.db.backends.sqlite3":
            config["OPTIONS"] = {**sqlite_options(), **dict(config.get("OPTIONS") or {})}
        return config
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / sqlite_name),
        # Kept open between requests, as a PostgreSQL connection is: opening one costs a file
        # open and four PRAGMAs, about as much as the query a simple request makes.
        "CONN_MAX_AGE": 60,
        "OPTIONS": sqlite_options(),
        "TEST": {"NAME": str(VAR_DIR / f"test_{sqlite_name}")},
    }


LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "src" / "onetrip" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 8

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "sms", "reporting"],
    }
}

# Field encryption (DESIGN §8): "keyid:base64key" pairs, newest first. The dev key is public and
# only for `make up`; production sets ONETRIP_FIELD_KEYS and ONETRIP_LOOKUP_KEY.
ONETRIP_FIELD_KEYS = os.environ.get(
    "ONETRIP_FIELD_KEYS", "dev1:ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLSEhISE="
)
ONETRIP_LOOKUP_KEY = os.environ.get("ONETRIP_LOOKUP_KEY", "dev-only-lookup-key")

# Reference data of the deployment's city (DOMAIN ID-16…ID-19).
ONETRIP_CITY_CODE = os.environ.get("ONETRIP_CITY_CODE", "3301")
ONETRIP_DIVISIONS_DIR = os.environ.get("ONETRIP_DIVISIONS_DIR", "")

# External systems, each behind an adapter with a loopback simulator for `make up`.
ONETRIP_SMS_GATEWAY_URL = os.environ.get("ONETRIP_SMS_GATEWAY_URL", "http://127.0.0.1:8025")
# Which DOC-2 proofs each department data source stands in for (HZ-7): the police zone asks the
# source instead of the paper (police/egov), and the portal asks no upload of them. JSON.
ONETRIP_EGOV_PROOFS: dict[str, list[str]] = json.loads(
    os.environ.get("ONETRIP_EGOV_PROOFS", "")
    or '{"population": ["A1"], "social_insurance": ["B10", "B17"],'
    ' "housing": ["C19", "C20", "C25"], "education": ["D31"]}'
)

# The zone this process serves, "portal" or "police": each zone's settings file sets it.
ZONE = ""

# The ferry (DESIGN §3).
# Uploaded documents and photos, encrypted, outside the web root (common/filestore.py): one
# directory per zone beneath this one.
ONETRIP_FILES_DIR = Path(os.environ.get("ONETRIP_FILES_DIR", VAR_DIR / "files"))
FERRY_DIR = Path(os.environ.get("ONETRIP_FERRY_DIR", VAR_DIR / "ferry"))
FERRY_KEYS_DIR = Path(os.environ.get("ONETRIP_FERRY_KEYS_DIR", VAR_DIR / "keys"))
FERRY_TRANSPORT = os.environ.get("ONETRIP_FERRY_TRANSPORT", "dir")
FERRY_RESEND_AFTER_SECONDS = float(os.environ.get("ONETRIP_FERRY_RESEND_AFTER", "30"))
FERRY_BATCH_MAX_MESSAGES = int(os.environ.get("ONETRIP_FERRY_BATCH_MAX", "500"))
# Incoming batches one agent pass applies before it builds and ships its own outbox.
FERRY_PASS_MAX_BATCHES = int(os.environ.get("ONETRIP_FERRY_PASS_MAX_BATCHES", "20"))
FERRY_POLL_SECONDS = float(os.environ.get("ONETRIP_FERRY_POLL", "0.5"))
# FERRY_TRANSPORT = "amqp": RabbitMQ queues <prefix>.<channel>.batches|acks|quarantine.
FERRY_AMQP_URL = os.environ.get("ONETRIP_FERRY_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
FERRY_AMQP_PREFIX = os.environ.get("ONETRIP_FERRY_AMQP_PREFIX", "onetrip.ferry")
FERRY_AMQP_QUEUE_TYPE = os.environ.get("ONETRIP_FERRY_AMQP_QUEUE_TYPE", "quorum")  # or "classic"
FERRY_AMQP_RECONNECT_MAX_SECONDS = float(os.environ.get("ONETRIP_FERRY_AMQP_RECONNECT_MAX", "10"))
# Gaps, heartbeats and alarms: a receiver asks for a missing range at once and again every
# FERRY_RESEND_REQUEST_SECONDS; a gap older than FERRY_GAP_ALARM_SECONDS raises an alarm. A zone
# idle for FERRY_HEARTBEAT_SECONDS sends a heartbeat; silence for FERRY_HEARTBEAT_ALARM_SECONDS
# raises `heartbeat_missing`. FERRY_ENCRYPT seals batch bodies to the receiver's X25519 key.
FERRY_GAP_ALARM_SECONDS = float(os.environ.get("ONETRIP_FERRY_GAP_ALARM", "60"))
FERRY_RESEND_REQUEST_SECONDS = float(os.environ.get("ONETRIP_FERRY_RESEND_REQUEST", "10"))
FERRY_HEARTBEAT_SECONDS = float(os.environ.get("ONETRIP_FERRY_HEARTBEAT", "10"))
FERRY_HEARTBEAT_ALARM_SECONDS = float(os.environ.get("ONETRIP_FERRY_HEARTBEAT_ALARM", "60"))
FERRY_ENCRYPT = os.environ.get("ONETRIP_FERRY_ENCRYPT", "").lower() in ("1", "true", "yes", "on")
# `ferry prune-events` deletes a zone's FerryEvent audit rows older than this many days; 186 is
# more than any six calendar months, the least a network log is kept (DOMAIN PI-15).
FERRY_EVENT_RETENTION_DAYS = int(os.environ.get("ONETRIP_FERRY_EVENT_RETENTION_DAYS", "186"))
# What a receiver reads from the other zone is bounded (docs/operations.md §2.3): a batch, ack,
# resend request or heartbeat larger than FERRY_MAX_DOCUMENT_BYTES is quarantined without being
# read whole, and a quarantine record keeps at most FERRY_QUARANTINE_PREFIX_BYTES of a document
# (with the whole document's size and SHA-256).
FERRY_MAX_DOCUMENT_BYTES = int(
    os.environ.get("ONETRIP_FERRY_MAX_DOCUMENT_BYTES", str(16 * 1024 * 1024))
)
FERRY_QUARANTINE_PREFIX_BYTES = int(
    os.environ.get("ONETRIP_FERRY_QUARANTINE_PREFIX_BYTES", str(64 * 1024))
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"kv": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "kv"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ONETRIP_LOG_LEVEL", "INFO")},
}

# Shared across a zone's processes so limits hold however many workers serve it.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "onetrip_cache",
    }
}
ONETRIP_PROGRESS_LOOKUPS_PER_MINUTE = int(os.environ.get("ONETRIP_PROGRESS_LOOKUPS", "10"))
# Login codes one client address may request in an hour, across all numbers.
ONETRIP_SMS_CODES_PER_ADDRESS_PER_HOUR = int(os.environ.get("ONETRIP_SMS_CODES_PER_ADDRESS", "30"))
ONETRIP_SMS_SIGN = os.environ.get("ONETRIP_SMS_SIGN", "杭州公安")
ONETRIP_SMS_TIMEOUT_SECONDS = float(os.environ.get("ONETRIP_SMS_TIMEOUT", "5"))

# The largest request body either zone reads (413 above it, before any view runs).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("ONETRIP_MAX_BODY_BYTES", str(1024 * 1024)))
# Paths that take files (multipart, pages and API alike), and their larger limit: a 10 MB proof
# (portal/permits/uploads.py) with its form fields. Files over 2.5 MB spool to a temporary file.
ONETRIP_UPLOAD_PATHS = (r"(/api/v1)?/permit/applications/[A-Z0-9]{1,32}/(documents|fix)/?",)
ONETRIP_MAX_UPLOAD_BYTES = int(
    os.environ.get("ONETRIP_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024 + 512 * 1024))
)
# Residence-permit local conditions (DOMAIN HZ-1…HZ-5, HZ-10): months of continuous registration,
# months of continuous social insurance, and the gap between registrations still counted as
# continuous (days).
ONETRIP_PERMIT_RESIDENCE_MONTHS = int(os.environ.get("ONETRIP_PERMIT_RESIDENCE_MONTHS", "6"))
ONETRIP_PERMIT_SOCIAL_INSURANCE_MONTHS = int(
    os.environ.get("ONETRIP_PERMIT_SOCIAL_INSURANCE_MONTHS", "12")
)
ONETRIP_PERMIT_GAP_TOLERANCE_DAYS = int(os.environ.get("ONETRIP_PERMIT_GAP_TOLERANCE_DAYS", "0"))
# Staff work queues show at most this many rows a page.
ONETRIP_QUEUE_PAGE_SIZE = int(os.environ.get("ONETRIP_QUEUE_PAGE_SIZE", "200"))
# The station's one-stop queues (待受理 … 待领取) show this many cases a page, with the next
# page a link away: a window clerk works the top of the queue, not its two-thousandth case.
ONETRIP_STATION_QUEUE_PAGE_SIZE = int(os.environ.get("ONETRIP_STATION_QUEUE_PAGE_SIZE", "50"))
# Staff log-in lockout (DOMAIN MLPS-3 b): this many failures in a row lock the username.
ONETRIP_LOGIN_MAX_FAILURES = int(os.environ.get("ONETRIP_LOGIN_MAX_FAILURES", "5"))
ONETRIP_LOGIN_LOCKOUT_SECONDS = int(os.environ.get("ONETRIP_LOGIN_LOCKOUT_SECONDS", "900"))

# Serve /metrics on each zone (docs/operations.md §5): only to clients whose address is in
# ONETRIP_METRICS_ALLOW (addresses or CIDR networks, comma-separated; loopback by default) and,
# when ONETRIP_METRICS_TOKEN is set, only with "Authorization: Bearer <token>".
ONETRIP_METRICS_ENABLED = os.environ.get("ONETRIP_METRICS_ENABLED", "1") == "1"
ONETRIP_METRICS_ALLOW = [
    entry.strip()
    for entry in os.environ.get("ONETRIP_METRICS_ALLOW", "127.0.0.0/8,::1").split(",")
    if entry.strip()
]
ONETRIP_METRICS_TOKEN = os.environ.get("ONETRIP_METRICS_TOKEN", "")

# Audit chain of the police zone (DOMAIN MLPS-5; docs/operations.md "Audit anchors"). HMAC keys
# the audit database never holds: "keyid:base64key" entries, newest first, in ONETRIP_AUDIT_KEYS
# or (winning) one a line in the file ONETRIP_AUDIT_KEYS_FILE. The dev key is public and only for
# `make up`. Events chained before keys existed are accepted up to AUDIT_LEGACY_THROUGH. Signed
# checkpoints of the chain's head are appended to AUDIT_ANCHOR_FILE, which in production lives
# on another host or on WORM storage.
AUDIT_KEYS = os.environ.get(
    "ONETRIP_AUDIT_KEYS", "dev-public:COMwNISRw3DUhY1gidNoMRGhPz5LsKU5QNQeKJrVg5g="
)
AUDIT_KEYS_FILE = os.environ.get("ONETRIP_AUDIT_KEYS_FILE", "")
AUDIT_LEGACY_THROUGH = int(os.environ.get("ONETRIP_AUDIT_LEGACY_THROUGH", "0"))
AUDIT_ANCHOR_FILE = Path(
    os.environ.get("ONETRIP_AUDIT_ANCHOR_FILE", VAR_DIR / "audit" / "police-anchors.jsonl")
)

# Booking the one visit (portal/booking, DESIGN §7). A chosen slot is held this long while the
# resident confirms; a booking may be cancelled or moved until this many minutes before it; a
# seat offered to the waitlist is kept this long for the next resident in line. Holds one
# resident or one client address may make in an hour (429 beyond), and after how many holds in
# an hour the self-hosted challenge is asked. Links in booking SMS start with the portal's
# public address.
ONETRIP_BOOKING_HOLD_SECONDS = int(os.environ.get("ONETRIP_BOOKING_HOLD_SECONDS", "300"))
# How old a window's slot listing in the API may be (seconds in the shared cache; one request
# renders the next while the others are answered the last); 0 computes every listing. Capacity
# itself is never read from the cache (a hold takes its seat in the database).
ONETRIP_BOOKING_SLOTS_CACHE_SECONDS = float(
    os.environ.get("ONETRIP_BOOKING_SLOTS_CACHE_SECONDS", "1")
)
ONETRIP_BOOKING_CHANGE_CUTOFF_MINUTES = int(
    os.environ.get("ONETRIP_BOOKING_CHANGE_CUTOFF_MINUTES", "120")
)
ONETRIP_BOOKING_WAITLIST_OFFER_MINUTES = int(
    os.environ.get("ONETRIP_BOOKING_WAITLIST_OFFER_MINUTES", "60")
)
ONETRIP_BOOKING_HOLDS_PER_RESIDENT_PER_HOUR = int(
    os.environ.get("ONETRIP_BOOKING_HOLDS_PER_RESIDENT_PER_HOUR", "20")
)
ONETRIP_BOOKING_HOLDS_PER_ADDRESS_PER_HOUR = int(
    os.environ.get("ONETRIP_BOOKING_HOLDS_PER_ADDRESS_PER_HOUR", "120")
)
ONETRIP_BOOKING_CAPTCHA_AFTER_HOLDS = int(os.environ.get("ONETRIP_BOOKING_CAPTCHA_AFTER", "3"))
ONETRIP_PORTAL_PUBLIC_URL = os.environ.get("ONETRIP_PORTAL_PUBLIC_URL", "http://127.0.0.1:8000")

# Organisation reporting: the largest file and the most rows one import may hold (DESIGN §6:
# files of up to 500,000 rows), and the most items of one API batch.
ONETRIP_REPORT_MAX_BYTES = int(os.environ.get("ONETRIP_REPORT_MAX_BYTES", str(64 * 1024 * 1024)))
ONETRIP_REPORT_MAX_ROWS = int(os.environ.get("ONETRIP_REPORT_MAX_ROWS", "500000"))
# An API batch is JSON within the body limit above (1 MB): 2,000 items of a usual length.
ONETRIP_REPORT_API_MAX_ITEMS = int(os.environ.get("ONETRIP_REPORT_API_MAX_ITEMS", "2000"))
# The pages that take an organisation's file, as multipart up to ONETRIP_REPORT_MAX_BYTES.
ONETRIP_REPORT_UPLOAD_PATHS = (r"/org/[0-9A-Za-z]{1,32}/upload/",)

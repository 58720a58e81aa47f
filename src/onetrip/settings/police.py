"""The police-network zone: register of record and the police workbench."""

import copy
import json
import os

from .base import *  # noqa: F403
from .base import MIDDLEWARE, ONETRIP_UPLOAD_PATHS, SHARED_APPS, TEMPLATES, database

ZONE = "police"
POLICE_APPS = [
    "django.contrib.auth",
    # Second factor (MLPS-3 d) and log-in lockout (MLPS-3 b); their tables live in the police
    # database (POLICE_OWNED_LABELS in onetrip.settings.routers).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "onetrip.police.workbench",
    "onetrip.police.accounts",
    "onetrip.police.stations",
    "onetrip.police.audit",
    "onetrip.police.register",
    "onetrip.police.permits",
    "onetrip.police.delivery",
    "onetrip.police.appointments",
    "onetrip.police.reporting",
    "onetrip.police.guidance",
    "onetrip.police.ferrybox",
    "onetrip.police.egov",
]
INSTALLED_APPS = SHARED_APPS + POLICE_APPS
ROOT_URLCONF = "onetrip.police.urls"
_SESSIONS = MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1
MIDDLEWARE = [
    *MIDDLEWARE[:_SESSIONS],
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "onetrip.police.accounts.middleware.StaffProfilePerRequestMiddleware",
    "django_otp.middleware.OTPMiddleware",
    *MIDDLEWARE[_SESSIONS:],
    # Last: it needs the user, the session and the messages.
    "onetrip.police.accounts.middleware.StaffSessionMiddleware",
]
DATABASES = {"default": database("ONETRIP_POLICE_DATABASE_URL", "police.sqlite3")}
ZONE_DATABASES = {"police": "default"}
LOGIN_URL = "/login/"
TEMPLATES = copy.deepcopy(TEMPLATES)
TEMPLATES[0]["OPTIONS"]["context_processors"] += [
    "django.contrib.auth.context_processors.auth",
    "onetrip.police.workbench.context_processors.workbench",
    "onetrip.police.accounts.context_processors.staff_security",
]

# --- Staff security (DOMAIN MLPS-3, MLPS-4) --------------------------------------------------
# Log-in lockout by django-axes: ONETRIP_LOGIN_MAX_FAILURES failures in a row lock the username
# (lower-cased, unknown ones alike) for ONETRIP_LOGIN_LOCKOUT_SECONDS from the locking failure;
# both settings are read on every attempt. `staff_login` turns a lockout into `LoginLocked`,
# which the log-in page shows, so axes' own lockout page (its middleware) is not used.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = "onetrip.police.accounts.lockout.failure_limit"
AXES_COOLOFF_TIME = "onetrip.police.accounts.lockout.cool_off"
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "onetrip.police.accounts.lockout.username_key"
AXES_RESET_ON_SUCCESS = True
# Attempts made while locked neither count nor push the end of the lock further away.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The audit chain is the record of log-ins (MLPS-5); axes keeps only what it needs to count.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
SILENCED_SYSTEM_CHECKS = [
    # The lock is per username (MLPS-3 b): behind the bureau's proxies an address is not a person.
    "axes.W006",
    # No axes middleware: `staff_login` answers a lockout itself (see above).
    "axes.W002",
]

# Password rules (MLPS-3 a): at least 12 characters from at least 3 of the 4 classes, not like
# the username, not a common password; older than ONETRIP_STAFF_PASSWORD_MAX_DAYS it must be
# changed before anything else.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {
        "NAME": "onetrip.police.accounts.passwords.CharacterClassesValidator",
        "OPTIONS": {"min_classes": 3},
    },
]
ONETRIP_STAFF_PASSWORD_MAX_DAYS = int(os.environ.get("ONETRIP_STAFF_PASSWORD_MAX_DAYS", "90"))
# Sessions (MLPS-3 b): a staff session ends after this many minutes without a request, and
# after this many hours whatever the activity.
ONETRIP_STAFF_IDLE_MINUTES = int(os.environ.get("ONETRIP_STAFF_IDLE_MINUTES", "15"))
ONETRIP_STAFF_SESSION_MAX_HOURS = int(os.environ.get("ONETRIP_STAFF_SESSION_MAX_HOURS", "12"))
# Second factor (MLPS-3 d): TOTP codes, named after the platform in the authenticator app.
OTP_TOTP_ISSUER = "OneTrip 居住证服务平台"
# A demo deployment (ONETRIP_DEMO=1, or DEBUG) gives the demo staff of `load_demo_staff` a fixed,
# published TOTP secret; anywhere else they enrol their own authenticator like everybody.
ONETRIP_DEMO = os.environ.get("ONETRIP_DEMO", "0") == "1"

# The residence permit's one stop (DOMAIN NAT-12, NAT-13, WF-5; police/permits/casework.py).
# Issued within this many days of acceptance: 15 by law, a city may extend it to at most 30.
ONETRIP_PERMIT_ISSUE_DAYS = int(os.environ.get("ONETRIP_PERMIT_ISSUE_DAYS", "15"))
# "calendar" (the national text says 日) or "working" (the station's working days).
ONETRIP_PERMIT_ISSUE_DAY_UNIT = os.environ.get("ONETRIP_PERMIT_ISSUE_DAY_UNIT", "calendar")
# Who approves: "station" (delegated authority, as in the model city) or "district" (the branch).
ONETRIP_PERMIT_CHAIN = os.environ.get("ONETRIP_PERMIT_CHAIN", "station")
# ZJ-20 (Art. 34): the fine per person an organisation did not report on time may bring, in yuan
# (the model city's regulation: 100).
ONETRIP_REPORTING_FINE_PER_PERSON_YUAN = int(
    os.environ.get("ONETRIP_REPORTING_FINE_PER_PERSON_YUAN", "100")
)
# The card production fee for a reissue or exchange, in fen (local pricing; commonly 20 yuan).
ONETRIP_PERMIT_REISSUE_FEE_FEN = int(os.environ.get("ONETRIP_PERMIT_REISSUE_FEE_FEN", "2000"))
# Months of social insurance the employment route asks at endorsement (local setting).
ONETRIP_PERMIT_SOCIAL_INSURANCE_MONTHS = int(
    os.environ.get("ONETRIP_PERMIT_SOCIAL_INSURANCE_MONTHS", "12")
)

# The courier that delivers cards by post (police/courier; `simulators/courier.py` locally).
ONETRIP_COURIER_URL = os.environ.get("ONETRIP_COURIER_URL", "http://127.0.0.1:8026")
# The shared secret that signs the courier's status callbacks; empty refuses every callback.
ONETRIP_COURIER_SECRET = os.environ.get("ONETRIP_COURIER_SECRET", "")
ONETRIP_COURIER_TIMEOUT = float(os.environ.get("ONETRIP_COURIER_TIMEOUT", "5"))
# Where the courier posts its status callbacks: this zone's /courier/callbacks/ as the courier
# reaches it (police/delivery/views.py).
ONETRIP_COURIER_CALLBACK_URL = os.environ.get(
    "ONETRIP_COURIER_CALLBACK_URL", "http://127.0.0.1:8001/courier/callbacks/"
)
# After this many seconds of failing to place a courier order, the delivery sweep raises the
# alarm (an ERROR log, an audit row and the shipment's alarmed_at for the ops view).
ONETRIP_COURIER_ALARM_SECONDS = int(os.environ.get("ONETRIP_COURIER_ALARM_SECONDS", "3600"))
# A card ready for pickup and not collected after this many days gets a reminder with a fresh
# pickup code, and again every as many days (police/delivery/services.py::delivery_sweep).
ONETRIP_CARD_UNCOLLECTED_DAYS = int(os.environ.get("ONETRIP_CARD_UNCOLLECTED_DAYS", "30"))

# The window's acceptance form carries the photo taken at the window (up to 2 MB,
# police/permits/casework.py::PHOTO_MAX_BYTES), so it takes an upload's body size.
ONETRIP_UPLOAD_PATHS = (*ONETRIP_UPLOAD_PATHS, r"/station/[A-Za-z0-9]{1,32}/accept/")

# Card production batches (police/permits/production.py, docs/card-production.md): the Ed25519
# private key (PKCS#8 PEM, 0600) that signs each batch's manifest for the card-printing bureau;
# `card_production keygen` creates it and `card_production pubkey` prints what the bureau trusts.
ONETRIP_CARD_PRODUCTION_KEY = os.environ.get(
    "ONETRIP_CARD_PRODUCTION_KEY",
    os.path.join(FERRY_KEYS_DIR, "card-production.key"),  # noqa: F405
)

# Department data instead of paper (police/egov; `simulators/egov.py` locally; DOMAIN HZ-7).
# The sources this deployment reaches, as JSON: {"<population|social_insurance|housing|
# education>": {"url": "https://…", "keys": {"<key id>": "<base64 Ed25519 public key>"}}}. A
# source not listed is never asked: its proofs need the resident's paper.
ONETRIP_EGOV_SOURCES = json.loads(os.environ.get("ONETRIP_EGOV_SOURCES", "") or "{}")
# Who we are to the departments, and the key our questions are signed with:
# "<key id>:<base64 32-byte Ed25519 seed>". Empty asks no source at all.
ONETRIP_EGOV_CLIENT_ID = os.environ.get("ONETRIP_EGOV_CLIENT_ID", "onetrip-police")
ONETRIP_EGOV_SIGNING_KEY = os.environ.get("ONETRIP_EGOV_SIGNING_KEY", "")
# Seconds per request, attempts per question and the first backoff (doubling).
ONETRIP_EGOV_TIMEOUT = float(os.environ.get("ONETRIP_EGOV_TIMEOUT", "3"))
ONETRIP_EGOV_ATTEMPTS = int(os.environ.get("ONETRIP_EGOV_ATTEMPTS", "3"))
ONETRIP_EGOV_BACKOFF = float(os.environ.get("ONETRIP_EGOV_BACKOFF", "0.2"))
# A source failing this many questions in a row is not asked for this many seconds.
ONETRIP_EGOV_BREAKER_FAILURES = int(os.environ.get("ONETRIP_EGOV_BREAKER_FAILURES", "5"))
ONETRIP_EGOV_BREAKER_RESET_SECONDS = float(
    os.environ.get("ONETRIP_EGOV_BREAKER_RESET_SECONDS", "30")
)
# A verified answer serves the same case's same question for this long, and never longer.
ONETRIP_EGOV_CACHE_SECONDS = int(os.environ.get("ONETRIP_EGOV_CACHE_SECONDS", "900"))

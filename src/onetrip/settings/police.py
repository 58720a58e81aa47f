"""The police-network zone: register of record and the police workbench."""

import copy

from .base import *  # noqa: F403
from .base import MIDDLEWARE, SHARED_APPS, TEMPLATES, database

ZONE = "police"
POLICE_APPS = [
    "django.contrib.auth",
    "onetrip.police.workbench",
    "onetrip.police.accounts",
    "onetrip.police.stations",
    "onetrip.police.audit",
    "onetrip.police.register",
    "onetrip.police.permits",
    "onetrip.police.appointments",
    "onetrip.police.ferrybox",
]
INSTALLED_APPS = SHARED_APPS + POLICE_APPS
ROOT_URLCONF = "onetrip.police.urls"
_SESSIONS = MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1
MIDDLEWARE = [
    *MIDDLEWARE[:_SESSIONS],
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    *MIDDLEWARE[_SESSIONS:],
]
DATABASES = {"default": database("ONETRIP_POLICE_DATABASE_URL", "police.sqlite3")}
ZONE_DATABASES = {"police": "default"}
LOGIN_URL = "/login/"
TEMPLATES = copy.deepcopy(TEMPLATES)
TEMPLATES[0]["OPTIONS"]["context_processors"] += [
    "django.contrib.auth.context_processors.auth",
    "onetrip.police.workbench.context_processors.workbench",
]

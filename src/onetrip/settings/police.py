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
    "onetrip.police.ferrybox",
]
INSTALLED_APPS = SHARED_APPS + POLICE_APPS
ROOT_URLCONF = "onetrip.police.urls"
MIDDLEWARE = [
    *MIDDLEWARE[:3],
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    *MIDDLEWARE[3:],
]
DATABASES = {"default": database("ONETRIP_POLICE_DATABASE_URL", "police.sqlite3")}
ZONE_DATABASES = {"police": "default"}
LOGIN_URL = "/login/"
TEMPLATES = copy.deepcopy(TEMPLATES)
TEMPLATES[0]["OPTIONS"]["context_processors"].append("django.contrib.auth.context_processors.auth")

"""The internet zone: citizen portal and channel API."""

from .base import *  # noqa: F403
from .base import SHARED_APPS, database

ZONE = "portal"
PORTAL_APPS = [
    "onetrip.portal.web",
    "onetrip.portal.accounts",
    "onetrip.portal.notify",
    "onetrip.portal.declarations",
    "onetrip.portal.limits",
    "onetrip.portal.permits",
    "onetrip.portal.windows",
    "onetrip.portal.booking",
    "onetrip.portal.reporting",
    "onetrip.portal.guidance",
    "onetrip.portal.ferrybox",
]
INSTALLED_APPS = SHARED_APPS + PORTAL_APPS
ROOT_URLCONF = "onetrip.portal.urls"
DATABASES = {"default": database("ONETRIP_PORTAL_DATABASE_URL", "portal.sqlite3")}
ZONE_DATABASES = {"portal": "default"}

"""The portal zone's settings (same database, middleware and templates) with the ceiling's URLs."""

from onetrip.settings.portal import *  # noqa: F403

ROOT_URLCONF = "portal_ceiling.urls"

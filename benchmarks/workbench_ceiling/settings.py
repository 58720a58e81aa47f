"""The police zone's settings (same database, middleware and templates) with the ceiling's URLs."""

from onetrip.settings.police import *  # noqa: F403

ROOT_URLCONF = "workbench_ceiling.urls"

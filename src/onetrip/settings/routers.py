"""Send each app to its zone's database.

An app belongs to a zone by its label prefix (`portal_…`, `police_…`); Django's auth belongs to the
police zone, where staff live, and so do the libraries that guard staff log-ins (django-axes'
failed log-in counts, django-otp's second-factor devices). `ZONE_DATABASES` maps a zone to a
database alias: in a zone's own process it is `default`, in the test settings both zones exist
side by side.
"""

from typing import Any

from django.conf import settings

POLICE_OWNED_LABELS = {"auth", "admin", "axes", "django_otp", "otp_totp"}


def zone_of(app_label: str) -> str | None:
    if app_label.startswith("portal_"):
        return "portal"
    if app_label.startswith("police_") or app_label in POLICE_OWNED_LABELS:
        return "police"
    return None


def database_for_zone(zone: str) -> str:
    return settings.ZONE_DATABASES[zone]


class ZoneRouter:
    def _alias(self, model: Any) -> str | None:
        zone = zone_of(model._meta.app_label)
        if zone is None:
            return None
        return settings.ZONE_DATABASES.get(zone)

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return self._alias(model)

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return self._alias(model)

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        z1, z2 = zone_of(obj1._meta.app_label), zone_of(obj2._meta.app_label)
        if z1 and z2:
            return z1 == z2
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        zone = zone_of(app_label)
        if zone is None:
            return True
        return settings.ZONE_DATABASES.get(zone) == db

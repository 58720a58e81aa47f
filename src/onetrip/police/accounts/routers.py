"""The tables of the libraries that guard staff log-ins belong to the police zone.

django-axes (failed log-in counts) and django-otp (second-factor devices) keep rows about staff
accounts, which live in the police database; their app labels carry no zone prefix, so the
zone router (`onetrip.settings.routers`) would leave them to the default database, which in the
two-zone test process is the portal's. Listed before the zone router.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

STAFF_SECURITY_LABELS = frozenset({"axes", "django_otp", "otp_totp"})


def _police_alias() -> str:
    return str(settings.ZONE_DATABASES["police"])


class StaffSecurityRouter:
    def _alias(self, model: Any) -> str | None:
        if model._meta.app_label in STAFF_SECURITY_LABELS:
            return _police_alias()
        return None

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return self._alias(model)

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return self._alias(model)

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        if app_label in STAFF_SECURITY_LABELS:
            return db == _police_alias()
        return None

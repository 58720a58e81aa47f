"""`onetrip --zone police load_demo_register`: the demo resident's registration (demo only)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onetrip.common.demo import DEMO_RESIDENT
from onetrip.police.register.demo import demo_registration_ensure


class Command(BaseCommand):
    help = "登记演示居民的居住登记 (register the demo resident; never on production data)"

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            created = demo_registration_ensure()
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        state = "created" if created else "exists"
        self.stdout.write(f"demo registration {DEMO_RESIDENT.reference}: {state}")

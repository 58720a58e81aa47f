"""`onetrip --zone portal load_demo_residents`: the demo resident's account (demo only)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from onetrip.common.demo import DEMO_RESIDENT
from onetrip.portal.declarations.demo import demo_resident_ensure


class Command(BaseCommand):
    help = "创建演示居民账户 (create the demo resident; never on production data)"

    def handle(self, *args: Any, **options: Any) -> None:
        state = "created" if demo_resident_ensure() else "exists"
        self.stdout.write(
            f"demo resident {DEMO_RESIDENT.name}, phone {DEMO_RESIDENT.phone}: {state}"
        )

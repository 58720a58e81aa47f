"""`onetrip --zone police load_demo_reporting`: the reporting demo at 北山 (demo only)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onetrip.police.reporting.demo import DEMO_IMPORT, demo_reporting_ensure


class Command(BaseCommand):
    help = "载入单位报送演示数据 (load the organisation-reporting demo; never on production data)"

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            loaded = demo_reporting_ensure()
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"demo reporting {DEMO_IMPORT}: {'created' if loaded else 'exists'}")

"""`onetrip --zone police load_demo_guidance`: the packaged policies, guides, FAQ, proof samples
and staff guidance, published (and sent to the portal) as reviewed content; loading again
changes nothing unless the packaged text changed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from onetrip.common.errors import ApplicationError, command_error
from onetrip.police.guidance.seed import seed_entries
from onetrip.police.guidance.services import guidance_seed_load


class Command(BaseCommand):
    help = "载入政策法规、办事指南、你问我答、材料样例和内部工作指引 (load demo guidance)"

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = guidance_seed_load(entries=seed_entries())
        except ApplicationError as exc:
            raise command_error(exc) from exc
        self.stdout.write(
            f"指南条目 guidance entries: 新增 created {counts['created']}, "
            f"更新 updated {counts['updated']}, 未变 unchanged {counts['unchanged']}"
        )

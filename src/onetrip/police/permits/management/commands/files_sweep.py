"""`onetrip --zone police files_sweep`: delete uploaded files no case refers to."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from onetrip.common.filestore import file_orphans_delete
from onetrip.police.permits.models import PermitCaseDocument


def _kept(names: list[str]) -> set[str]:
    return set(
        PermitCaseDocument.objects.filter(stored_name__in=names).values_list(
            "stored_name", flat=True
        )
    )


class Command(BaseCommand):
    help = "删除无人引用的上传文件 (delete stored files no row refers to; run daily)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than-hours", type=float, default=1.0)

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = file_orphans_delete(
            zone="police", kept=_kept, older_than_seconds=options["older_than_hours"] * 3600
        )
        self.stdout.write(f"files deleted: {deleted}")

"""`onetrip --zone police load_reference [--dir DIR]`: stations, their streets, windows and the
windows' capacity calendars; what changed is published to the portal."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from onetrip.common.errors import command_error
from onetrip.police.stations.errors import ReferenceDataError
from onetrip.police.stations.services import reference_load


class Command(BaseCommand):
    help = "载入派出所、辖区街道和办证窗口 (load police stations, their streets and windows)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dir",
            dest="directory",
            default=None,
            help="directory with stations.csv, station_streets.csv, windows.csv, "
            "window_calendars.csv and holidays.csv "
            "(default: the packaged Hangzhou demo data)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = reference_load(directory=options["directory"])
        except ReferenceDataError as exc:
            raise command_error(exc) from exc
        self.stdout.write(f"目录 directory: {report.directory}")
        for label, counts in [
            ("派出所 stations", report.stations),
            ("辖区街道 streets", report.streets),
            ("办证窗口 windows", report.windows),
            ("预约日历 calendars", report.calendars),
        ]:
            self.stdout.write(
                f"{label}: {counts.total} "
                f"(新增 created {counts.created}, 更新 updated {counts.updated}, "
                f"未变 unchanged {counts.unchanged})"
            )
        self.stdout.write(f"发往网上平台 published to the portal: {report.published}")
        if report.uncovered_streets:
            self.stdout.write(
                self.style.WARNING(
                    f"无派出所管辖的街道 streets without a station: {len(report.uncovered_streets)}"
                    f" ({', '.join(report.uncovered_streets[:10])}…)"
                )
            )

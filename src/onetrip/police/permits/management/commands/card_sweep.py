"""`onetrip --zone police card_sweep`: move residence-permit cards by date (WF-3, ZJ-17)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from onetrip.police.permits.cards import card_sweep


class Command(BaseCommand):
    help = (
        "居住证签注期与功能中止：按日期更新证件状态并通知门户 (open endorsement windows, suspend "
        "cards whose anniversary passed unendorsed, tell the portal of new cards; run at least "
        "daily from cron or a timer, or keep it running with --every)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            help="Keep running and sweep every this many seconds (default: sweep once).",
        )
        parser.add_argument(
            "--date",
            default="",
            help="Sweep as of this local date (YYYY-MM-DD) instead of today, to catch up.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["date"]:
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD: {options['date']}") from exc
        every = float(options["every"])
        while True:
            done = card_sweep(today=today)
            self.stdout.write(
                "card-sweep " + " ".join(f"{name}={count}" for name, count in sorted(done.items()))
            )
            if every <= 0:
                return
            time.sleep(every)

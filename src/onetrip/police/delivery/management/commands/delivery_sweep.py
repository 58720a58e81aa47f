"""`onetrip --zone police delivery_sweep`: courier retries, alarms and pickup reminders."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from onetrip.police.delivery.services import delivery_sweep


class Command(BaseCommand):
    help = (
        "证件送达巡检：重试快递下单、超时告警、提醒未领证 (place due courier orders again, raise "
        "the alarm for orders failing too long, remind residents of uncollected cards; run from "
        "cron or a timer, or keep it running with --every)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            help="Keep running and sweep every this many seconds (default: sweep once).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        every = float(options["every"])
        while True:
            done = delivery_sweep()
            self.stdout.write(
                "delivery-sweep "
                + " ".join(f"{name}={count}" for name, count in sorted(done.items()))
            )
            if every <= 0:
                return
            time.sleep(every)

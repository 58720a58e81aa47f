"""`onetrip --zone police egov_sweep`: ask the departments again for what is "to be checked"."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from onetrip.police.egov.checks import proof_checks_sweep


class Command(BaseCommand):
    help = (
        "部门数据待核查巡检：数据源恢复后重新核验 (ask the department data sources again for the "
        "proofs of open permit cases left to be checked while a source was down; run from cron "
        "or a timer, or keep it running with --every)."
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
            done = proof_checks_sweep()
            self.stdout.write(
                "egov-sweep " + " ".join(f"{name}={count}" for name, count in sorted(done.items()))
            )
            if every <= 0:
                return
            time.sleep(every)

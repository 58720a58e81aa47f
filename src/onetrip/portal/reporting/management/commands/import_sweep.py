import time

from django.core.management.base import BaseCommand, CommandParser

from onetrip.portal.reporting.services import import_sweep


class Command(BaseCommand):
    help = (
        "Queue again every organisation import whose worker stopped (run every minute; "
        "`make up` runs it with --every 60)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            help="Keep running and sweep every this many seconds (default: sweep once).",
        )

    def handle(self, *args: object, **options: object) -> None:
        every = float(options["every"])  # type: ignore[arg-type]
        while True:
            self.stdout.write(f"import-sweep resumed={import_sweep()}")
            if every <= 0:
                return
            time.sleep(every)

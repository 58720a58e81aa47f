import time

from django.core.management.base import BaseCommand, CommandParser

from onetrip.portal.notify.services import sms_sweep


class Command(BaseCommand):
    help = "Re-enqueue SMS stuck in queued or sending (run every minute from cron or a timer)."

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
            count = sms_sweep()
            self.stdout.write(f"sms-sweep enqueued={count}")
            if every <= 0:
                return
            time.sleep(every)

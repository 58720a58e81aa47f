import time

from django.core.management.base import BaseCommand, CommandParser

from onetrip.portal.booking.services import booking_sweep


class Command(BaseCommand):
    help = (
        "Let expired booking holds and lapsed waitlist offers go and queue the day-before "
        "reminders (run every minute from cron or a timer; `make up` runs it with --every 60)."
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
            done = booking_sweep()
            self.stdout.write(
                f"booking-sweep released={done['released']} reminded={done['reminded']}"
            )
            if every <= 0:
                return
            time.sleep(every)

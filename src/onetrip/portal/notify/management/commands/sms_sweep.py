from django.core.management.base import BaseCommand

from onetrip.portal.notify.services import sms_sweep


class Command(BaseCommand):
    help = "Re-enqueue SMS stuck in queued or sending (run every minute from cron or a timer)."

    def handle(self, *args: object, **options: object) -> None:
        count = sms_sweep()
        self.stdout.write(f"sms-sweep enqueued={count}")

from django.core.management.base import BaseCommand

from onetrip.portal.reporting.demo import demo_organisations_ensure


class Command(BaseCommand):
    help = "Create the demo organisations' portal accounts (make up only; never in production)."

    def handle(self, *args: object, **options: object) -> None:
        created = demo_organisations_ensure()
        self.stdout.write(f"演示报送单位 demo organisations: {created} created")

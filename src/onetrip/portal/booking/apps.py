from django.apps import AppConfig


class PortalBookingConfig(AppConfig):
    name = "onetrip.portal.booking"
    label = "portal_booking"
    verbose_name = "Booking"

    def ready(self) -> None:
        from . import handlers  # noqa: F401
        from .sms import register_booking_sms_templates

        register_booking_sms_templates()

from django.apps import AppConfig


class PoliceAppointmentsConfig(AppConfig):
    name = "onetrip.police.appointments"
    label = "police_appointments"
    verbose_name = "Appointments at the station"

    def ready(self) -> None:
        from . import handlers  # noqa: F401

from __future__ import annotations

from onetrip.common.errors import ApplicationError, NotFound


class AppointmentError(ApplicationError):
    """A refused action on an appointment; `status` says why (403 role, 409 state)."""


class AppointmentNotFound(NotFound):
    """Also raised for another station's appointment, so its resident stays private."""

    def __init__(self, reference: str = "") -> None:
        super().__init__("appointment_not_found", "未找到该预约", "Appointment not found")
        self.reference = reference

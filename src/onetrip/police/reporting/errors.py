"""Refusals of organisation reporting, as the application's one error type."""

from __future__ import annotations

from onetrip.common.errors import ApplicationError, NotFound


class ReportingError(ApplicationError):
    """A refused action (403 role, 409 state, 400 input); messages never carry personal data."""


class OrganisationNotFound(NotFound):
    """Also raised for an organisation outside the administrator's district, so a district
    learns nothing of another's organisations."""

    def __init__(self) -> None:
        super().__init__("organisation_not_found", "未找到该单位", "Organisation not found")


class ConflictNotFound(NotFound):
    """Also raised for another station's conflict."""

    def __init__(self) -> None:
        super().__init__("conflict_not_found", "未找到该疑点", "Conflict not found")

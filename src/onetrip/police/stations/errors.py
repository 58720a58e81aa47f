from __future__ import annotations

from onetrip.common.errors import ApplicationError


class ReferenceDataError(ApplicationError):
    """Reference files that cannot be loaded; nothing of them was written."""

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"

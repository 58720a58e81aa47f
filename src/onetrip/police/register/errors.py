from __future__ import annotations

from onetrip.common.errors import ApplicationError, NotFound


class RegisterError(ApplicationError):
    """A refused action on a declaration; `status` says why (403 role, 409 state, 400 input)."""


class DeclarationNotFound(NotFound):
    """Also raised for a declaration outside the staff member's jurisdiction, so staff of
    another station cannot even learn that it exists."""

    def __init__(self, reference: str = "") -> None:
        super().__init__("not_found", "未找到该申报", "Declaration not found")
        self.reference = reference

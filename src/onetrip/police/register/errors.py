from __future__ import annotations


class RegisterError(Exception):
    """A refused action on a declaration, Chinese first with English beside it."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_zh)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


class DeclarationNotFound(Exception):
    """Also raised for a declaration outside the staff member's jurisdiction, so staff of
    another station cannot even learn that it exists."""

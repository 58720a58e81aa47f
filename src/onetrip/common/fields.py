"""Model fields that keep personal data encrypted in the database (DESIGN §8)."""

from __future__ import annotations

from typing import Any

from django.db import models

from onetrip.common.crypto import decrypt_text, encrypt_text


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Stores AES-GCM ciphertext; Python code only ever sees the clear text."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(str(value))

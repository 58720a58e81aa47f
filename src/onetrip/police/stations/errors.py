from __future__ import annotations


class ReferenceDataError(Exception):
    """Reference files that cannot be loaded; nothing of them was written."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en

"""Password rules of the police zone (MLPS-3 a) beyond Django's own validators."""

from __future__ import annotations

import string
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CHARACTER_CLASSES = 4


def character_classes(password: str) -> int:
    """How many of upper case, lower case, digits and other characters `password` uses.

    Anything but an ASCII letter or digit is "other": a symbol, but also a Chinese character,
    which has no case."""
    return sum(
        (
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c in string.digits for c in password),
            any(not (c.isascii() and c.isalnum()) for c in password),
        )
    )


class CharacterClassesValidator:
    """At least `min_classes` of the four classes: upper case, lower case, digit, symbol.

    A length rule alone lets "aaaaaaaaaaaa" through; GB/T 22239 asks for complexity."""

    def __init__(self, min_classes: int = 3) -> None:
        if not 1 <= min_classes <= CHARACTER_CLASSES:
            raise ValueError("min_classes must be between 1 and 4")
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                self.get_help_text(),
                code="password_too_simple",
                params={"min_classes": self.min_classes},
            )

    def get_help_text(self) -> str:
        return _("密码须包含大写字母、小写字母、数字、符号中的至少%(n)d类") % {
            "n": self.min_classes
        }

"""A self-hosted challenge for booking from the open web: a small sum, signed, never stored.

No external service is asked (the police network and many residents' networks reach none).
The token carries a nonce, the resident it was issued to and a keyed hash of the answer, never
the answer itself; it is valid for `MAX_AGE_SECONDS`, for that resident, and once (its nonce is
recorded when it is used). It is asked only after several holds in an hour, so a resident
booking once never sees it; a script that hoards seats has to solve one per hold.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from django.core import signing
from django.db import IntegrityError
from django.utils.crypto import salted_hmac

from onetrip.common.db import atomic_for

from .models import CaptchaUse

SALT = "onetrip.portal.booking.captcha"
MAX_AGE_SECONDS = 600
_DIGITS = "零一二三四五六七八九十"


def _chinese(n: int) -> str:
    """1…20 in Chinese numerals, so the question is not a bare `a + b` for a regex."""
    if n <= 10:
        return _DIGITS[n]
    return "十" + (_DIGITS[n - 10] if n > 10 else "")


def _digest(nonce: str, answer: int) -> str:
    return salted_hmac(SALT, f"{nonce}:{answer}").hexdigest()


def captcha_new(*, subject: str) -> dict[str, Any]:
    """A new challenge for `subject` (the resident): `token` to send back with the answer,
    `question` in Chinese, `question_en` in English."""
    a = 2 + secrets.randbelow(18)
    b = 1 + secrets.randbelow(9)
    subtract = secrets.randbelow(2) == 1 and a > b
    answer = a - b if subtract else a + b
    nonce = secrets.token_hex(16)
    token = signing.dumps({"n": nonce, "s": subject, "h": _digest(nonce, answer)}, salt=SALT)
    word = "减" if subtract else "加"
    sign = "-" if subtract else "+"
    return {
        "token": token,
        "question": f"{_chinese(a)}{word}{_chinese(b)}等于多少？（请填阿拉伯数字）",
        "question_en": f"What is {a} {sign} {b}?",
    }


def captcha_check(*, subject: str, token: str, answer: str) -> bool:
    """True once for a right answer to a challenge issued to `subject` in the last ten
    minutes; a replayed token, another resident's or a wrong answer is False."""
    try:
        data = signing.loads(token or "", salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:
        return False
    text = str(answer or "").strip()
    if not (text.isascii() and text.lstrip("-").isdigit() and len(text) <= 3):
        return False
    if data.get("s") != subject or not hmac.compare_digest(
        str(data.get("h", "")), _digest(str(data.get("n", "")), int(text))
    ):
        return False
    try:
        with atomic_for(CaptchaUse):
            CaptchaUse.objects.create(nonce=str(data["n"])[:32])
    except IntegrityError:
        return False
    return True

"""Bearer tokens for the channel API (WeChat official accounts, the police app, the provincial
portal). A token is a signed, time-limited reference to the resident who logged in by SMS code."""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.http import HttpRequest
from ninja.security import HttpBearer

from onetrip.portal.accounts.models import Resident

TOKEN_SALT = "onetrip.portal.api.token"  # noqa: S105 (a salt, not a secret)
TOKEN_MAX_AGE_SECONDS = 12 * 60 * 60


def token_for(resident: Resident) -> str:
    return signing.dumps({"rid": str(resident.pk)}, salt=TOKEN_SALT)


class ResidentBearer(HttpBearer):
    openapi_description = (
        "短信验证码登录后取得的访问令牌（POST /auth/token），放在 Authorization: Bearer 头中，"
        f"有效期 {TOKEN_MAX_AGE_SECONDS} 秒 / The token from POST /auth/token, sent as "
        f"Authorization: Bearer <token>; valid for {TOKEN_MAX_AGE_SECONDS} seconds"
    )

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE_SECONDS)
        except signing.BadSignature:
            return None
        return Resident.objects.filter(pk=data.get("rid")).first()

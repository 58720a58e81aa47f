"""SMS provider clients behind one interface; `get_gateway()` returns the configured one."""

import functools

from django.conf import settings

from .base import SmsGateway, SmsGatewayError
from .http import HttpSmsGateway

__all__ = ["HttpSmsGateway", "SmsGateway", "SmsGatewayError", "get_gateway"]


def get_gateway() -> SmsGateway:
    """The gateway at settings.ONETRIP_SMS_GATEWAY_URL (the loopback simulator under `make up`),
    one per configuration and process, so its HTTP client and connections are reused."""
    return _gateway(
        settings.ONETRIP_SMS_GATEWAY_URL,
        settings.ONETRIP_SMS_SIGN,
        settings.ONETRIP_SMS_TIMEOUT_SECONDS,
    )


@functools.lru_cache(maxsize=8)
def _gateway(url: str, sign: str, timeout: float) -> HttpSmsGateway:
    return HttpSmsGateway(url, sign=sign, timeout=timeout)

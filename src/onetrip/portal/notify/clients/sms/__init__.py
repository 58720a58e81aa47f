"""SMS provider clients behind one interface; `get_gateway()` returns the configured one."""

from django.conf import settings

from .base import SmsGateway, SmsGatewayError
from .http import HttpSmsGateway

__all__ = ["HttpSmsGateway", "SmsGateway", "SmsGatewayError", "get_gateway"]


def get_gateway() -> SmsGateway:
    """The gateway at settings.ONETRIP_SMS_GATEWAY_URL (the loopback simulator under `make up`)."""
    return HttpSmsGateway(
        settings.ONETRIP_SMS_GATEWAY_URL,
        sign=settings.ONETRIP_SMS_SIGN,
        timeout=settings.ONETRIP_SMS_TIMEOUT_SECONDS,
    )

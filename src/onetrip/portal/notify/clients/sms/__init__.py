"""SMS provider clients behind one interface; `get_gateway()` returns the configured one."""

from django.conf import settings

from .base import SmsGateway, SmsGatewayError
from .http import HttpSmsGateway

__all__ = ["HttpSmsGateway", "SmsGateway", "SmsGatewayError", "get_gateway"]

DEFAULT_SIGN = "杭州公安"


def get_gateway() -> SmsGateway:
    """The gateway at settings.ONETRIP_SMS_GATEWAY_URL (the loopback simulator under `make up`)."""
    return HttpSmsGateway(
        settings.ONETRIP_SMS_GATEWAY_URL,
        sign=getattr(settings, "ONETRIP_SMS_SIGN", DEFAULT_SIGN),
        timeout=float(getattr(settings, "ONETRIP_SMS_TIMEOUT_SECONDS", 5.0)),
    )

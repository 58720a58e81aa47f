"""Reads of the notify app."""

from urllib.parse import urlsplit

from django.conf import settings

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def sms_demo_inbox_url() -> str | None:
    """The SMS simulator's inbox page when the gateway is the loopback simulator, else None.

    A real gateway is never on loopback, so production pages never show the demo link."""
    url = settings.ONETRIP_SMS_GATEWAY_URL
    if urlsplit(url).hostname in LOOPBACK_HOSTS:
        return url.rstrip("/") + "/"
    return None

"""The courier that carries residence-permit cards to residents, behind one interface.

`get_courier()` returns the configured client: `ONETRIP_COURIER_URL` (the loopback simulator at
http://127.0.0.1:8026 by default), `ONETRIP_COURIER_SECRET` (the shared secret of the callback
signatures; empty refuses every callback) and `ONETRIP_COURIER_TIMEOUT` (seconds per request).
This is a plain package, not an app: it owns no tables; shipments are recorded by the delivery
work that uses it.
"""

from __future__ import annotations

import functools

from django.conf import settings

from .base import STATUSES, CourierClient, CourierEvent, Party, Shipment
from .callbacks import SIGNATURE_HEADER
from .errors import CallbackRefused, CourierError, CourierRejected, CourierUnavailable
from .http import HttpCourierClient

__all__ = [
    "SIGNATURE_HEADER",
    "STATUSES",
    "CallbackRefused",
    "CourierClient",
    "CourierError",
    "CourierEvent",
    "CourierRejected",
    "CourierUnavailable",
    "HttpCourierClient",
    "Party",
    "Shipment",
    "get_courier",
]


def get_courier() -> CourierClient:
    """The courier client for the current settings, one per configuration and process, so its
    HTTP connections are reused."""
    return _courier(
        str(settings.ONETRIP_COURIER_URL),
        str(settings.ONETRIP_COURIER_SECRET),
        float(settings.ONETRIP_COURIER_TIMEOUT),
    )


@functools.lru_cache(maxsize=8)
def _courier(url: str, secret: str, timeout: float) -> HttpCourierClient:
    return HttpCourierClient(url, secret=secret, timeout=timeout)

"""Ferry transports: how batch and ack files cross the boundary (DESIGN §3)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import Transport

__all__ = ["Transport", "get_transport"]


def get_transport() -> Transport:
    """The transport named by settings.FERRY_TRANSPORT; only `dir` exists in v1."""
    name = settings.FERRY_TRANSPORT
    if name == "dir":
        from .dir import DirTransport

        return DirTransport(settings.FERRY_DIR)
    raise ImproperlyConfigured(f"unsupported FERRY_TRANSPORT {name!r} (v1 supports 'dir')")

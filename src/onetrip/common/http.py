"""Small facts about an HTTP request that several zones' views need."""

from __future__ import annotations

from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's address as this server sees it.

    Behind a reverse proxy, the proxy must set REMOTE_ADDR to the real client (e.g. gunicorn's
    `--forwarded-allow-ips` with the proxy's address); a client-supplied X-Forwarded-For is never
    trusted here, since rate limits per address would be trivially bypassed."""
    return str(request.META.get("REMOTE_ADDR", ""))[:64]

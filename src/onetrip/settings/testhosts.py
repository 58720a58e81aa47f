"""Test-only: serve the police workbench for host `police.testserver`, the portal otherwise."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class ZoneByHostMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.get_host().split(":")[0].startswith("police."):
            request.urlconf = "onetrip.police.urls"
        return self.get_response(request)

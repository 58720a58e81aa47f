"""Test URLconf: the portal pages this package owns, plus a page that needs a signed-in resident."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from onetrip.portal.accounts.auth import current_resident, resident_required


@resident_required
def protected(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"resident {current_resident(request).pk}")


urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("onetrip.portal.web.urls")),
    path("", include("onetrip.portal.accounts.urls")),
    path("protected/", protected, name="protected"),
]

"""Portal pages that belong to no single service: the home page."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from onetrip.portal.notify.selectors import sms_demo_inbox_url


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/web/home.html", {"sms_inbox_url": sms_demo_inbox_url()})

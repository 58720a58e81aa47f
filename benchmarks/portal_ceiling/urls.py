"""One bare view: a resident looked up by the keyed hash of a phone number (an indexed, unique
column), answered as JSON; no template, no session, no ORM object built."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from onetrip.common.crypto import lookup_hash
from onetrip.portal.accounts.models import Resident


def ceiling(request: HttpRequest) -> JsonResponse:
    phone_hash = lookup_hash(request.GET.get("phone", ""), purpose="phone")
    found = Resident.objects.filter(phone_hash=phone_hash).values_list("id", flat=True).first()
    return JsonResponse({"id": str(found) if found is not None else None})


urlpatterns = [path("ceiling", ceiling)]

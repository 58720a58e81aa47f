"""One bare view: a permit case looked up by its reference (an indexed, unique column), answered
as JSON; no template, no session read, no audit row, no ORM object built."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from onetrip.police.permits.models import PermitCase


def ceiling(request: HttpRequest) -> JsonResponse:
    reference = request.GET.get("reference", "")
    found = PermitCase.objects.filter(reference=reference).values_list("id", flat=True).first()
    return JsonResponse({"id": found})


urlpatterns = [path("ceiling", ceiling)]

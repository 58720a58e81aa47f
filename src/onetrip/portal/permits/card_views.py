"""The resident's "我的居住证" page (WF-3, ZJ-17): the card as the police zone last told it, the
next endorsement window, and the endorsement request started from the card. Mobile-first and
without JavaScript; the button is a plain form."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from onetrip.common.errors import ApplicationError
from onetrip.portal.accounts.auth import current_resident, resident_required

from .cards import permit_card_endorse_start, permit_card_views


@resident_required
@require_http_methods(["GET", "HEAD"])
def cards(request: HttpRequest) -> HttpResponse:
    resident = current_resident(request)
    assert resident is not None
    return render(
        request,
        "permits/cards.html",
        {"cards": permit_card_views(resident=resident), "today": timezone.localdate()},
    )


@resident_required
@require_POST
def card_endorse(request: HttpRequest, card_id: int) -> HttpResponse:
    """申请签注: a draft of the endorsement request, to complete and submit online."""
    resident = current_resident(request)
    assert resident is not None
    try:
        application = permit_card_endorse_start(resident=resident, card_id=card_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("permits:cards")
    return redirect("permits:edit", reference=application.reference)

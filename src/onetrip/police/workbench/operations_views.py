"""Where the cards are (证件流转): a station's cards by stage with their age in it, the
uncollected and the alarmed marked; and the city's (or a district's) delivery figures per
district over a chosen period.

Neither page shows personal data (references, permit numbers and days only), so neither is a
read to audit; the selectors check role and scope.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from onetrip.common import divisions
from onetrip.common.errors import ApplicationError, NotFound
from onetrip.police.permits import production

DEFAULT_PERIOD_DAYS = 30


@login_required
@require_GET
def cards(request: HttpRequest) -> HttpResponse:
    """A station's board. An overseer who has not named a station starts from the figures of
    their districts, where each station is one choice away."""
    if not request.GET.get("station") and production.operations_oversees(user=request.user):
        return redirect("workbench:operations_city")
    try:
        station = production.operations_station_for(
            user=request.user, station_code=request.GET.get("station", "")
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        raise PermissionDenied(exc.message) from exc
    board = production.operations_station_board(station=station)
    labels = dict(production.STAGES)
    case_url = reverse("workbench:station_case", args=["REFERENCE"])
    return render(
        request,
        "workbench/operations/cards.html",
        {
            "board": board,
            "stages": [(code, label, board.counts[code]) for code, label in production.STAGES],
            "rows": [
                {
                    "r": row,
                    "label": labels[row.stage],
                    "url": case_url.replace("REFERENCE", row.reference),
                }
                for row in board.rows
            ],
        },
    )


def _day(value: str, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


@login_required
@require_GET
def city(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    end = _day(request.GET.get("end", ""), today)
    start = _day(request.GET.get("start", ""), end - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1))
    errors: list[str] = []
    figures: list[production.DistrictFigures] = []
    try:
        figures = production.operations_city_figures(user=request.user, start=start, end=end)
    except ApplicationError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from exc
        errors = [exc.message]
    stations = production.operations_stations_for(user=request.user)
    names = {d.code: d.name for d in divisions.districts(include_retired=True)}
    return render(
        request,
        "workbench/operations/city.html",
        {
            "start": start,
            "end": end,
            "errors": errors,
            "stations": stations,
            "figures": [
                {"f": f, "name": names.get(f.district_code, f.district_code)} for f in figures
            ],
        },
        status=400 if errors else 200,
    )

"""Pure rules on what the departments answer: no database, no network."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils import timezone

from .base import ContributionMonth


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def continuous_months(
    months: Sequence[ContributionMonth], *, city: str, today: dt.date | None
) -> int:
    """Months of continuous contributions in `city` up to last month (HZ-2).

    Counted back from the newest month, which must be this month or last month; one missing
    month between two paid ones is tolerated, a longer gap ends the run, and so does a back
    payment or a month paid outside the city."""
    today = today or timezone.localdate()
    paid = sorted(months, key=lambda m: m.month, reverse=True)
    if not paid or _month_index(today) - _month_index(paid[0].month) > 1:
        return 0
    count = 0
    previous: int | None = None
    for month in paid:
        index = _month_index(month.month)
        if previous is not None and previous - index > 2:
            break
        if month.back_paid or not month.region.startswith(city):
            break
        if previous != index:
            count += 1
        previous = index
    return count

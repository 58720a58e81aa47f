"""Counters of fixed-window rate limits, in the portal's database so every server shares them."""

from django.db import models


class RateLimitWindow(models.Model):
    """Hits on one key (e.g. `progress:ip:203.0.113.9`) since `window_started_at`.

    Refused hits count too, but never move the window: it releases when it says it will."""

    key = models.CharField(max_length=200, unique=True)
    window_started_at = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"RateLimitWindow {self.key}"

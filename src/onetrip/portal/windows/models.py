"""The portal's copy of the window directory and the capacity calendars, as the police zone
publishes them (`window.published`, `window.calendar`): residents search, book and are told
from this copy without asking the police zone at request time."""

from __future__ import annotations

from django.db import models


class Window(models.Model):
    """One service window (办证窗口) as residents see it."""

    code = models.CharField(max_length=24, unique=True)
    station_code = models.CharField(max_length=20)
    station_name = models.CharField(max_length=100)
    district_code = models.CharField(max_length=6, db_index=True)
    street_code = models.CharField(max_length=9, blank=True, default="", db_index=True)
    name = models.CharField(max_length=100)
    address = models.CharField(max_length=200)
    phone = models.CharField(max_length=40, blank=True, default="")
    opening_hours_text = models.CharField(max_length=500, blank=True, default="")
    counters = models.PositiveSmallIntegerField(default=1)
    services = models.JSONField(default=list)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    active = models.BooleanField(default=True)
    as_of = models.DateTimeField()

    class Meta:
        ordering = ["district_code", "street_code", "code"]

    def __str__(self) -> str:
        return self.code


class WindowCalendar(models.Model):
    """A window's capacity calendar (`WindowCalendarV1`); the lists are kept as the message
    carries them (JSON), read through `booking` services."""

    window = models.OneToOneField(Window, on_delete=models.CASCADE, related_name="calendar")
    slot_minutes = models.PositiveSmallIntegerField()
    counters_per_slot = models.PositiveSmallIntegerField()
    horizon_days = models.PositiveSmallIntegerField()
    min_notice_minutes = models.PositiveIntegerField()
    online_quota_per_day = models.PositiveIntegerField()
    hours = models.JSONField(default=list)
    holidays = models.JSONField(default=list)
    workdays = models.JSONField(default=list)
    closures = models.JSONField(default=list)
    as_of = models.DateTimeField()

    def __str__(self) -> str:
        return f"calendar of {self.window_id}"

"""Police stations (派出所), the streets each covers, and their service windows (DOMAIN ID-20).

A station is modelled as {code, name, parent branch, streets served}; nothing parses its name.
The police zone owns the window directory and each window's capacity calendar; the portal keeps
a copy from the snapshots published over the ferry (`contracts/booking.py`).
"""

from django.db import models


class Station(models.Model):
    code = models.CharField("派出所代码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=100)
    branch_name = models.CharField(
        "签发机关",
        max_length=100,
        help_text="县级公安机关, e.g. 杭州市公安局西湖区分局 or 桐庐县公安局 (NAT-13)",
    )
    district_code = models.CharField("所属区县代码", max_length=6, db_index=True)
    phone = models.CharField("电话", max_length=40, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "派出所"
        verbose_name_plural = "派出所"

    def __str__(self) -> str:
        return self.name


class StationStreet(models.Model):
    """A street (街道/镇/乡) covered by a station; each street by exactly one station."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="streets")
    street_code = models.CharField("街道代码", max_length=9, unique=True)

    class Meta:
        ordering = ["street_code"]
        verbose_name = "辖区街道"
        verbose_name_plural = "辖区街道"

    def __str__(self) -> str:
        return f"{self.street_code} → {self.station.code}"


class Window(models.Model):
    """A residence-permit service window (办证窗口) where residents make their one trip."""

    code = models.CharField("窗口代码", max_length=24, unique=True)
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="windows")
    name = models.CharField("名称", max_length=100)
    address = models.CharField("地址", max_length=200)
    phone = models.CharField("电话", max_length=40, blank=True)
    opening_hours = models.TextField("办公时间", blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    active = models.BooleanField("启用", default=True)
    street_code = models.CharField("所在街道代码", max_length=9, blank=True, default="")
    counters = models.PositiveSmallIntegerField("柜台数", default=1)
    # One lunch break for the window; the calendar applies it to each day whose hours hold it.
    lunch_starts = models.TimeField("午休开始", null=True, blank=True)
    lunch_ends = models.TimeField("午休结束", null=True, blank=True)
    # Codes of `contracts.booking.BookingService`.
    services = models.JSONField("办理业务", default=list, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "办证窗口"
        verbose_name_plural = "办证窗口"

    def __str__(self) -> str:
        return self.name


class WindowCalendar(models.Model):
    """A window's capacity calendar (`contracts.booking.WindowCalendarV1` less the lunch break,
    which is the window's): how many residents it takes online in each slot of each day.

    The lists are kept as the message carries them: `hours` as [{"weekday", "opens",
    "closes"}] with "HH:MM" times, `holidays` as ISO dates, `workdays` (调休) as [{"date",
    "as_weekday"}], `closures` as [{"date", "starts", "ends", "reason"}]. Only
    `stations.services` writes them, after checking them."""

    window = models.OneToOneField(Window, on_delete=models.CASCADE, related_name="calendar")
    slot_minutes = models.PositiveSmallIntegerField("时段长度（分钟）", default=20)
    counters_per_slot = models.PositiveSmallIntegerField("每时段可预约人数", default=1)
    horizon_days = models.PositiveSmallIntegerField("可提前预约天数", default=14)
    min_notice_minutes = models.PositiveIntegerField("最少提前预约（分钟）", default=120)
    online_quota_per_day = models.PositiveIntegerField("每日网上预约上限", default=0)
    hours = models.JSONField("每周办公时间", default=list, blank=True)
    holidays = models.JSONField("节假日", default=list, blank=True)
    workdays = models.JSONField("调休上班日", default=list, blank=True)
    closures = models.JSONField("临时停办", default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "预约容量日历"
        verbose_name_plural = "预约容量日历"

    def __str__(self) -> str:
        return f"calendar of {self.window_id}"

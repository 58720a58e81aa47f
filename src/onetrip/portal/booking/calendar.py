"""A window's slots from its capacity calendar (WindowCalendarV1), pure: no database, no clock.

The rules, in the order they apply to a day (Asia/Shanghai, which has no daylight-saving time,
so a local wall-clock time maps to one instant):
- a holiday is closed, even if it is also listed as a make-up working day;
- a make-up working day (调休) is worked with the hours of `as_weekday`; other days with their
  own weekday's hours (none: closed);
- the morning runs from `opens` to `lunch_starts` and the afternoon from `lunch_ends` to
  `closes`, each cut into whole slots from its start (a slot never overlaps the lunch break
  nor runs past closing);
- a one-off closure removes the slots that overlap it (the whole day without times);
- a slot is bookable from `now + min_notice` (an instant, so across midnight too) up to the
  end of day `today + horizon_days`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


def _time(value: Any) -> dt.time | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.time):
        return value
    return dt.time.fromisoformat(str(value))


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


@dataclass(frozen=True)
class Hours:
    opens: dt.time
    closes: dt.time
    lunch_starts: dt.time | None
    lunch_ends: dt.time | None


@dataclass(frozen=True)
class Closure:
    day: dt.date
    starts: dt.time | None
    ends: dt.time | None


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime  # aware, Asia/Shanghai
    ends_at: dt.datetime

    @property
    def day(self) -> dt.date:
        return self.starts_at.astimezone(TZ).date()


@dataclass(frozen=True)
class Rules:
    """A calendar as the slot arithmetic needs it, read from the stored JSON lists."""

    slot_minutes: int
    counters_per_slot: int
    horizon_days: int
    min_notice_minutes: int
    online_quota_per_day: int
    hours: Mapping[int, tuple[Hours, ...]]
    holidays: frozenset[dt.date]
    workdays: Mapping[dt.date, int]
    closures: Mapping[dt.date, tuple[Closure, ...]]

    @classmethod
    def of(cls, calendar: Any) -> Rules:
        """From a `WindowCalendar` row (or anything with its fields and JSON lists)."""
        hours: dict[int, list[Hours]] = {}
        for item in calendar.hours or []:
            opens, closes = _time(item["opens"]), _time(item["closes"])
            if opens is None or closes is None:
                continue
            hours.setdefault(int(item["weekday"]), []).append(
                Hours(opens, closes, _time(item.get("lunch_starts")), _time(item.get("lunch_ends")))
            )
        closures: dict[dt.date, list[Closure]] = {}
        for item in calendar.closures or []:
            day = _date(item["date"])
            closures.setdefault(day, []).append(
                Closure(day, _time(item.get("starts")), _time(item.get("ends")))
            )
        return cls(
            slot_minutes=int(calendar.slot_minutes),
            counters_per_slot=int(calendar.counters_per_slot),
            horizon_days=int(calendar.horizon_days),
            min_notice_minutes=int(calendar.min_notice_minutes),
            online_quota_per_day=int(calendar.online_quota_per_day),
            hours={k: tuple(v) for k, v in hours.items()},
            holidays=frozenset(_date(d) for d in calendar.holidays or []),
            workdays={_date(w["date"]): int(w["as_weekday"]) for w in calendar.workdays or []},
            closures={k: tuple(v) for k, v in closures.items()},
        )

    # --- One day ---------------------------------------------------------------------------

    def weekday_of(self, day: dt.date) -> int | None:
        """The weekday whose hours `day` is worked with, or None when it is a holiday."""
        if day in self.holidays:
            return None
        return self.workdays.get(day, day.weekday())

    def _sessions(self, hours: Hours) -> Iterator[tuple[dt.time, dt.time]]:
        if hours.lunch_starts and hours.lunch_ends and hours.lunch_starts < hours.lunch_ends:
            yield hours.opens, min(hours.lunch_starts, hours.closes)
            yield max(hours.lunch_ends, hours.opens), hours.closes
        else:
            yield hours.opens, hours.closes

    def _closed(self, day: dt.date, starts: dt.time, ends: dt.time) -> bool:
        for closure in self.closures.get(day, ()):
            c_start = closure.starts or dt.time.min
            c_end = closure.ends or dt.time.max
            if starts < c_end and c_start < ends:
                return True
        return False

    def day_slots(self, day: dt.date) -> list[Slot]:
        """Every slot of `day` by the calendar, whatever the clock says (no notice, no horizon)."""
        weekday = self.weekday_of(day)
        if weekday is None or self.slot_minutes <= 0:
            return []
        step = dt.timedelta(minutes=self.slot_minutes)
        slots: dict[dt.datetime, Slot] = {}
        for hours in self.hours.get(weekday, ()):
            for session_start, session_end in self._sessions(hours):
                start = dt.datetime.combine(day, session_start, TZ)
                end = dt.datetime.combine(day, session_end, TZ)
                while start + step <= end:
                    stop = start + step
                    if not self._closed(day, start.timetz().replace(tzinfo=None), _end_time(stop)):
                        slots[start] = Slot(start, stop)
                    start = stop
        return [slots[k] for k in sorted(slots)]

    def has_slot(self, starts_at: dt.datetime) -> Slot | None:
        """The calendar's slot starting at `starts_at`, if there is one."""
        local = starts_at.astimezone(TZ)
        for slot in self.day_slots(local.date()):
            if slot.starts_at == local:
                return slot
        return None

    # --- What may be booked now ----------------------------------------------------------------

    def earliest(self, now: dt.datetime) -> dt.datetime:
        return now + dt.timedelta(minutes=self.min_notice_minutes)

    def last_day(self, now: dt.datetime) -> dt.date:
        return now.astimezone(TZ).date() + dt.timedelta(days=self.horizon_days)

    def bookable(self, slot: Slot, now: dt.datetime) -> bool:
        return self.earliest(now) <= slot.starts_at and slot.day <= self.last_day(now)

    def days(self, now: dt.datetime) -> list[dt.date]:
        """The days residents may book now, today first."""
        today = now.astimezone(TZ).date()
        return [today + dt.timedelta(days=n) for n in range(self.horizon_days + 1)]

    def bookable_slots(self, now: dt.datetime, days: Sequence[dt.date] | None = None) -> list[Slot]:
        earliest = self.earliest(now)
        last = self.last_day(now)
        out: list[Slot] = []
        for day in days if days is not None else self.days(now):
            if day > last:
                continue
            out.extend(s for s in self.day_slots(day) if s.starts_at >= earliest)
        return out


def _end_time(stop: dt.datetime) -> dt.time:
    """A slot's end as a time of its day; a slot ending at midnight ends at the day's end."""
    end = stop.timetz().replace(tzinfo=None)
    return dt.time.max if end == dt.time.min else end


def local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(TZ)

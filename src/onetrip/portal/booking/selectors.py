"""Reads of the booking engine: free slots, a window's next free slot, a resident's bookings.

Free = the calendar's slots (calendar.py) minus the seats taken in the counters, where a hold
past its expiry no longer counts even before a sweep has released it (expired holds are let go
lazily on read, without a write). Every read of a booking is scoped to its resident: another
resident's reference answers "not found", exactly like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet

from onetrip.common.identifiers import IdentifierError, normalize_reference
from onetrip.portal.accounts.models import Resident
from onetrip.portal.windows.models import Window, WindowCalendar

from .calendar import TZ, Rules, Slot, local
from .errors import BookingNotFound, WindowNotFound
from .models import Booking, BookingStatus, DayCounter, SlotCounter, WaitlistEntry, WaitlistStatus

# What a window code can be (the contract allows 24 characters); anything else is "not found"
# before it reaches a query.
WINDOW_CODE = re.compile(r"[0-9A-Za-z_-]{1,24}", re.ASCII)


@dataclass(frozen=True)
class FreeSlot:
    """One slot as a resident sees it: when, and how many of its seats are still free."""

    window_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    taken: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.taken)

    @property
    def day(self) -> dt.date:
        return self.starts_at.astimezone(TZ).date()


@dataclass
class DaySlots:
    """One bookable day: its slots (free or not), and what is left of the online quota."""

    day: dt.date
    slots: list[FreeSlot] = field(default_factory=list)
    quota: int = 0
    quota_taken: int = 0

    @property
    def quota_left(self) -> int:
        return max(0, self.quota - self.quota_taken)

    @property
    def free_slots(self) -> list[FreeSlot]:
        return [s for s in self.slots if s.free > 0] if self.quota_left > 0 else []

    @property
    def open(self) -> bool:
        """The window works that day (some slot exists)."""
        return bool(self.slots)

    @property
    def full(self) -> bool:
        """Open, but nothing left to book: the waitlist is offered."""
        return self.open and not self.free_slots


def rules_of(window: Window) -> Rules | None:
    """The window's calendar, or None when it has none (nothing can be booked)."""
    try:
        calendar: WindowCalendar = window.calendar
    except WindowCalendar.DoesNotExist:
        return None
    return Rules.of(calendar)


def _expired_holds(windows: Sequence[int], now: dt.datetime) -> QuerySet[Booking]:
    return Booking.objects.filter(
        window_id__in=windows, status=BookingStatus.HELD, hold_expires_at__lt=now
    )


def seats_taken(
    windows: Sequence[int], start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> tuple[Counter[tuple[int, dt.datetime]], Counter[tuple[int, dt.date]]]:
    """Seats taken per (window, slot start) and per (window, day) in [start, end), not
    counting holds past their expiry."""
    slots: Counter[tuple[int, dt.datetime]] = Counter()
    days: Counter[tuple[int, dt.date]] = Counter()
    for window_id, starts_at, taken in SlotCounter.objects.filter(
        window_id__in=windows, starts_at__gte=start, starts_at__lt=end, taken__gt=0
    ).values_list("window_id", "starts_at", "taken"):
        slots[(window_id, starts_at)] += taken
    first, last = start.astimezone(TZ).date(), end.astimezone(TZ).date()
    for window_id, day, taken in DayCounter.objects.filter(
        window_id__in=windows, day__gte=first, day__lte=last, taken__gt=0
    ).values_list("window_id", "day", "taken"):
        days[(window_id, day)] += taken
    expired = (
        _expired_holds(windows, now)
        .filter(starts_at__gte=start, starts_at__lt=end)
        .values_list("window_id", "starts_at", "day")
        .annotate(n=Count("id"))
    )
    for window_id, starts_at, day, n in expired:
        slots[(window_id, starts_at)] -= n
        days[(window_id, day)] -= n
    return slots, days


def _days_of(
    window: Window, rules: Rules, now: dt.datetime, days: Sequence[dt.date] | None
) -> list[DaySlots]:
    wanted = [d for d in (days if days is not None else rules.days(now)) if d in rules.days(now)]
    slots = rules.bookable_slots(now, wanted)
    if not wanted:
        return []
    start = dt.datetime.combine(min(wanted), dt.time.min, TZ)
    end = dt.datetime.combine(max(wanted) + dt.timedelta(days=1), dt.time.min, TZ)
    taken, day_taken = seats_taken([window.pk], start, end, now)
    out = {
        d: DaySlots(day=d, quota=rules.online_quota_per_day, quota_taken=day_taken[(window.pk, d)])
        for d in wanted
    }
    for slot in slots:
        out[slot.day].slots.append(_free(window.pk, slot, rules, taken))
    return [out[d] for d in wanted]


def _free(
    window_id: int, slot: Slot, rules: Rules, taken: Counter[tuple[int, dt.datetime]]
) -> FreeSlot:
    return FreeSlot(
        window_id=window_id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        capacity=rules.counters_per_slot,
        taken=max(0, taken[(window_id, slot.starts_at)]),
    )


def window_days(
    *, window: Window, now: dt.datetime, days: Sequence[dt.date] | None = None
) -> list[DaySlots]:
    """The bookable days of an active window from today to its horizon (or those of `days`
    among them), each with every slot still ahead of the minimum notice and its free seats."""
    rules = rules_of(window)
    if rules is None or not window.active:
        return []
    return _days_of(window, rules, now, days)


def window_day(*, window: Window, day: dt.date, now: dt.datetime) -> DaySlots | None:
    found = window_days(window=window, now=now, days=[day])
    return found[0] if found else None


# --- A seat given back: the waitlist's, or the counters' ---------------------------------------


def waitlist_may_offer(
    *, window: Window, rules: Rules | None, starts_at: dt.datetime, now: dt.datetime
) -> bool:
    """Whether a seat freed at `starts_at` may be offered to its day's waitlist at all: the
    window takes bookings, the slot is in its calendar and still beyond the minimum notice (an
    offer the resident could not take in time is no offer)."""
    if rules is None or not window.active or starts_at < rules.earliest(now):
        return False
    return rules.has_slot(starts_at) is not None


def waiting_for(*, window: Window, day: dt.date) -> QuerySet[WaitlistEntry]:
    """The residents waiting for a seat at `window` on `day`, first come first."""
    return WaitlistEntry.objects.filter(
        window=window, day=day, status=WaitlistStatus.WAITING
    ).order_by("created_at", "id")


def seat_goes_to_waitlist(
    *, window: Window, rules: Rules | None, starts_at: dt.datetime, now: dt.datetime
) -> bool:
    """Whether a seat given back at `starts_at` (a cancel, a move, a hold let go) goes to the
    next resident waiting for its day, as the services give it (`_offer_to_waitlist`), rather
    than back to the counters. Only a seat that goes back to the counters is free again for
    its own resident: it decides whether a booking may move within its own full day."""
    if not waitlist_may_offer(window=window, rules=rules, starts_at=starts_at, now=now):
        return False
    return waiting_for(window=window, day=local(starts_at).date()).exists()


def reschedule_days(*, booking: Booking, now: dt.datetime) -> list[DaySlots]:
    """The days and slots a booking may move to, as `booking_reschedule` decides: the window's
    free slots, where on the booking's own day its own seat counts as given back (the move frees
    it in the same transaction), unless that seat would go to the day's waitlist instead; so a
    day whose online quota the resident's booking used up still offers its other free slots."""
    days = window_days(window=booking.window, now=now)
    if booking.status != BookingStatus.BOOKED:
        return days
    rules = rules_of(booking.window)
    if seat_goes_to_waitlist(
        window=booking.window, rules=rules, starts_at=booking.starts_at, now=now
    ):
        return days
    for day in days:
        if day.day == booking.day:
            day.quota_taken = max(0, day.quota_taken - 1)
    return days


def next_free_slots(*, windows: Iterable[Window], now: dt.datetime) -> dict[int, FreeSlot | None]:
    """The first free slot of each window (by pk), or None: for the directory's list of 199
    windows in three queries, not three per window."""
    items = [(w, rules_of(w)) for w in windows]
    live = [(w, r) for w, r in items if r is not None and w.active and r.counters_per_slot > 0]
    result: dict[int, FreeSlot | None] = {w.pk: None for w, _ in items}
    if not live:
        return result
    start = min(r.earliest(now) for _, r in live)
    end = dt.datetime.combine(
        max(r.last_day(now) for _, r in live) + dt.timedelta(days=1), dt.time.min, TZ
    )
    taken, day_taken = seats_taken([w.pk for w, _ in live], start, end, now)
    for window, rules in live:
        for slot in rules.bookable_slots(now):
            if day_taken[(window.pk, slot.day)] >= rules.online_quota_per_day:
                continue
            free = _free(window.pk, slot, rules, taken)
            if free.free > 0:
                result[window.pk] = free
                break
    return result


def next_free_slot(window: Window, now: dt.datetime) -> FreeSlot | None:
    """The window's first slot a resident could book now, or None (no calendar, inactive,
    or nothing free up to the horizon). For the directory's "next free slot"."""
    return next_free_slots(windows=[window], now=now)[window.pk]


# --- A resident's bookings ---------------------------------------------------------------------


def bookings_of(*, resident: Resident) -> QuerySet[Booking]:
    """The resident's bookings worth showing: held, booked and those already past or ended."""
    return (
        Booking.objects.filter(resident=resident)
        .exclude(status=BookingStatus.EXPIRED)
        .select_related("window", "application")
        .order_by("-starts_at", "-id")
    )


def _reference(reference: str) -> str:
    try:
        return normalize_reference(reference)
    except IdentifierError as exc:
        raise BookingNotFound() from exc


def booking_of_resident(*, resident: Resident, reference: str, for_update: bool = False) -> Booking:
    """One of the resident's bookings, or "not found"; `for_update` locks its row (inside the
    caller's transaction) in the same query."""
    bookings = Booking.objects.select_related("window", "application")
    if for_update:
        bookings = bookings.select_for_update(of=("self",))
    try:
        return bookings.get(resident=resident, reference=_reference(reference))
    except Booking.DoesNotExist as exc:
        raise BookingNotFound() from exc


def waitlist_of(*, resident: Resident) -> QuerySet[WaitlistEntry]:
    return (
        WaitlistEntry.objects.filter(resident=resident)
        .filter(Q(status=WaitlistStatus.WAITING) | Q(status=WaitlistStatus.OFFERED))
        .select_related("window", "offer")
    )


def active_window(code: str) -> Window:
    """An active window by its code, or "not found"; its calendar comes in the same query."""
    if not WINDOW_CODE.fullmatch(str(code)):
        raise WindowNotFound()
    window = Window.objects.filter(code=code, active=True).select_related("calendar").first()
    if window is None:
        raise WindowNotFound()
    return window


def slot_listing_key(window_code: str, day: dt.date | None) -> str:
    """The cache key of a window's slot listing in the API (all days, or one). Keyed by the
    code the request names, so that a cached listing is answered without reading the window."""
    return f"booking:slots:{window_code}:{day.isoformat() if day else 'all'}"


def cached_slot_listing(code: str, day: dt.date | None, render: Callable[[Window], str]) -> str:
    """A window's slot listing as `render` writes it, at most
    `ONETRIP_BOOKING_SLOTS_CACHE_SECONDS` old, rendered again by one request at a time.

    When many residents race for the same seats, every hold changes the listing: dropping the
    cached copy on each seat change made every listing a fresh computation (about ten times
    the cost of a cached one) exactly when the window is busiest. Instead a copy past its age is
    still answered while the one request that won the refresh key renders the next, so a
    window's listing is computed about once per interval whatever the traffic. A listing is a
    snapshot: a hold decides in the database, and a seat shown free that is gone answers
    `slot_full`.
    """
    seconds = settings.ONETRIP_BOOKING_SLOTS_CACHE_SECONDS
    if seconds <= 0:
        return render(active_window(code))
    if not WINDOW_CODE.fullmatch(str(code)):
        raise WindowNotFound()
    key = slot_listing_key(code, day)
    kept = cache.get(key)
    if kept is not None:
        fresh_until, body = kept
        if time.time() < fresh_until or not cache.add(f"{key}:refresh", 1, seconds):
            return str(body)
    try:
        window = active_window(code)
    except WindowNotFound:
        cache.delete(key)
        raise
    body = render(window)
    cache.set(key, (time.time() + seconds, body), max(60, 10 * seconds))
    return body

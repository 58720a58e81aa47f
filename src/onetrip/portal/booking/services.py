"""Writes of the booking engine (预约办, DESIGN §7, WF-2 APPOINTMENT_BOOKED).

A resident holds a slot (`booking_hold`: the seat is taken at once, for
ONETRIP_BOOKING_HOLD_SECONDS), confirms it (`booking_confirm`: the booking goes to the station
through the outbox and the SMS is queued, in one transaction), and may cancel or move it until
ONETRIP_BOOKING_CHANGE_CUTOFF_MINUTES before the visit.

**Capacity is the database's.** A seat is taken by one conditional UPDATE of the slot's counter
row (`taken = taken + 1 WHERE taken < counters_per_slot`) and one of the day's counter row
(against the online quota), in the same transaction as the booking row; a failed UPDATE is
"该时段已约满". PostgreSQL re-checks the condition after waiting for the row lock, SQLite runs
every write transaction alone (BEGIN IMMEDIATE), so no two servers can overbook. Every
transaction that touches several counters touches them in one order (slots by start, then days),
so two of them never wait for each other in a circle.

A seat given back (cancel, move, a hold let go or expired) goes first to the next resident on
that day's waitlist as a hold of ONETRIP_BOOKING_WAITLIST_OFFER_MINUTES with an SMS; its
counters do not move. When the offer lapses, the seat goes to the one after.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from onetrip.common.db import atomic_for, db_for
from onetrip.common.masking import mask_phone
from onetrip.common.text import TextError, clean_person_name
from onetrip.contracts.booking import (
    BookingAttendanceV1,
    BookingCancelledV1,
    BookingChangedV1,
    BookingMadeV1,
)
from onetrip.ferry.agent.outbox import emit
from onetrip.portal.accounts.models import Resident
from onetrip.portal.declarations.models import Declaration
from onetrip.portal.limits.services import RateLimit, rate_limits_hit
from onetrip.portal.notify.services import sms_queue
from onetrip.portal.permits.models import PermitApplication
from onetrip.portal.permits.selectors import permit_application_of_resident
from onetrip.portal.windows.models import Window

from .calendar import TZ, Rules, Slot, local
from .captcha import captcha_check, captcha_new
from .errors import (
    AlreadyBooked,
    AlreadyWaiting,
    ApplicationNotReady,
    CaptchaRequired,
    ChangeTooLate,
    DayFull,
    HoldExpired,
    NameRequired,
    NotChangeable,
    ServiceNotOffered,
    SlotFull,
    SlotUnavailable,
    WaitlistNotFound,
    WaitlistNotNeeded,
)
from .models import (
    ACTIVE_STATUSES,
    Booking,
    BookingEvent,
    BookingStatus,
    CaptchaUse,
    DayCounter,
    SlotCounter,
    WaitlistEntry,
    WaitlistStatus,
)
from .selectors import (
    active_window,
    booking_of_resident,
    rules_of,
    seats_taken,
    waiting_for,
    waitlist_may_offer,
    window_day,
)
from .sms import sms_when

logger = logging.getLogger(__name__)

PURPOSE = "booking"
REFERENCE_PREFIX = "YY"  # 预约; applications are "PA", declarations "JZ"
# An application may be booked for once the station's pre-review passed it (WF-2).
BOOKABLE_APPLICATION_STATUSES = ("prereview_passed",)
# Which service an application's kind is booked as.
SERVICE_OF_KIND = {
    "first": "permit_first",
    "endorsement": "permit_endorsement",
    "reissue": "permit_reissue",
    "exchange": "permit_exchange",
}
# The day-before reminder goes out from this local hour.
REMINDER_FROM_HOUR = 9
CAPTCHA_ADDRESS_FACTOR = 5  # a network shared by many residents sees the challenge later


def _new_reference(now: dt.datetime) -> str:
    return f"{REFERENCE_PREFIX}{local(now):%y%m%d}{secrets.randbelow(10**8):08d}"


def public_url(path: str) -> str:
    return settings.ONETRIP_PORTAL_PUBLIC_URL.rstrip("/") + path


# --- Seats: the counters ------------------------------------------------------------------------


@dataclass
class Seats:
    """The counter changes of one transaction, applied together in one order (slots by start,
    then days), so that concurrent transactions never deadlock on each other's counters."""

    window_id: int
    capacity: int
    quota: int
    slots: dict[dt.datetime, int] = field(default_factory=dict)
    days: dict[dt.date, int] = field(default_factory=dict)

    def take(self, starts_at: dt.datetime, day: dt.date) -> None:
        self.slots[starts_at] = self.slots.get(starts_at, 0) + 1
        self.days[day] = self.days.get(day, 0) + 1

    def give(self, starts_at: dt.datetime, day: dt.date) -> None:
        self.slots[starts_at] = self.slots.get(starts_at, 0) - 1
        self.days[day] = self.days.get(day, 0) - 1

    def apply(self) -> None:
        """Raise SlotFull or DayFull (the caller's transaction rolls back) when a seat cannot
        be taken."""
        for starts_at in sorted(self.slots):
            self._one(SlotCounter, starts_at, self.slots[starts_at], self.capacity, SlotFull)
        for day in sorted(self.days):
            self._one(DayCounter, day, self.days[day], self.quota, DayFull)

    def _one(
        self,
        model: type[SlotCounter] | type[DayCounter],
        at: dt.datetime | dt.date,
        delta: int,
        capacity: int,
        full: type[SlotFull] | type[DayFull],
    ) -> None:
        if delta > 0 and not _take(model, self.window_id, at, delta, capacity):
            raise full()
        if delta < 0:
            _give(model, self.window_id, at, -delta)


def _key(model: type[SlotCounter] | type[DayCounter], at: dt.datetime | dt.date) -> dict[str, Any]:
    return {"starts_at": at} if model is SlotCounter else {"day": at}


def _counter_sql(model: type[SlotCounter] | type[DayCounter]) -> tuple[Any, str, str, str, str]:
    connection = connections[db_for(model)]
    quote = connection.ops.quote_name
    at = "starts_at" if model is SlotCounter else "day"
    return connection, quote(model._meta.db_table), quote(at), quote("taken"), quote("window_id")


def _adapt(connection: Any, at: dt.datetime | dt.date) -> Any:
    if isinstance(at, dt.datetime):
        return connection.ops.adapt_datetimefield_value(at)
    return connection.ops.adapt_datefield_value(at)


def _take(
    model: type[SlotCounter] | type[DayCounter],
    window_id: int,
    at: dt.datetime | dt.date,
    n: int,
    capacity: int,
) -> bool:
    """`n` seats from the counter row, created on demand, in one conditional upsert: the row
    lock (PostgreSQL, which re-checks the condition after waiting for it) or the write lock
    (SQLite) decides; no row comes back when the seats are not there."""
    if n > capacity:
        return False
    connection, table, column, taken, window = _counter_sql(model)
    sql = (
        f"INSERT INTO {table} ({window}, {column}, {taken}) VALUES (%s, %s, %s)"  # noqa: S608
        f" ON CONFLICT ({window}, {column}) DO UPDATE SET {taken} = {table}.{taken} + %s"
        f" WHERE {table}.{taken} + %s <= %s RETURNING {taken}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [window_id, _adapt(connection, at), n, n, n, capacity])
        return cursor.fetchone() is not None


def _give(
    model: type[SlotCounter] | type[DayCounter], window_id: int, at: dt.datetime | dt.date, n: int
) -> None:
    rows = model.objects.filter(window_id=window_id, **_key(model, at))
    if not rows.filter(taken__gte=n).update(taken=F("taken") - n):
        rows.update(taken=0)  # never below zero, whatever an operator did by hand


def _seats(window: Window, rules: Rules | None) -> Seats:
    if rules is None:
        return Seats(window.pk, 0, 0)
    return Seats(window.pk, rules.counters_per_slot, rules.online_quota_per_day)


# --- History, messages, SMS ---------------------------------------------------------------------


def _event(booking: Booking, action: str, actor: str, note: str = "") -> None:
    BookingEvent.objects.create(
        booking=booking, action=action, starts_at=booking.starts_at, note=note[:200], actor=actor
    )


def _emit(
    booking: Booking, message: BookingMadeV1 | BookingChangedV1 | BookingCancelledV1, actor: str
) -> None:
    emit(
        zone="portal",
        message=message,
        aggregate_id=booking.reference,
        correlation_id=booking.application.reference if booking.application else booking.reference,
        actor=actor,
        purpose=PURPOSE,
    )


def _sms(booking: Booking, template: str, client_ref: str, reason: str = "") -> None:
    sms_queue(
        phone=booking.resident.phone,
        template=template,
        params={
            "reference": booking.reference,
            "station": booking.window.name,
            "reason": reason or sms_when(booking.starts_at, booking.ends_at),
        },
        client_ref=client_ref[:128],
    )


def _choose_again_link(booking: Booking) -> str:
    return public_url(reverse("booking:window", args=[booking.window.code]))


# --- The waitlist's turn -----------------------------------------------------------------------


def _offer_to_waitlist(
    window: Window,
    rules: Rules | None,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    now: dt.datetime,
) -> Booking | None:
    """Give a seat just freed to the next resident waiting for its day, as a hold with an SMS;
    None when nobody waits (or the slot is too close to offer). Residents who meanwhile have
    another booking for the service are skipped."""
    if not waitlist_may_offer(window=window, rules=rules, starts_at=starts_at, now=now):
        return None
    day = local(starts_at).date()
    waiting = waiting_for(window=window, day=day).select_for_update(skip_locked=True)
    db = db_for(Booking)
    for entry in waiting[:10]:
        try:
            with transaction.atomic(using=db):
                offer = Booking.objects.create(
                    reference=_new_reference(now),
                    resident=entry.resident,
                    application=entry.application,
                    window=window,
                    service=entry.service,
                    person_key=entry.person_key,
                    name=entry.name,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    day=day,
                    status=BookingStatus.HELD,
                    hold_expires_at=now
                    + dt.timedelta(minutes=settings.ONETRIP_BOOKING_WAITLIST_OFFER_MINUTES),
                    from_waitlist=True,
                    channel="waitlist",
                    created_at=now,
                )
        except IntegrityError:
            entry.status = WaitlistStatus.SKIPPED
            entry.save(update_fields=["status", "updated_at"])
            continue
        entry.status = WaitlistStatus.OFFERED
        entry.offer = offer
        entry.offers_made += 1
        entry.save(update_fields=["status", "offer", "offers_made", "updated_at"])
        _event(offer, "offered", "system:waitlist")
        deadline = local(offer.hold_expires_at)  # type: ignore[arg-type]
        _sms(
            offer,
            "booking_waitlist_offer",
            f"booking-offer:{offer.reference}",
            reason=f"{sms_when(starts_at, ends_at)}，已为您保留至{deadline:%H:%M}，请登录确认："
            + public_url(reverse("booking:booking", args=[offer.reference])),
        )
        logger.info("booking-waitlist offered reference=%s entry=%s", offer.reference, entry.pk)
        return offer
    return None


def _free_seat(
    booking: Booking, seats: Seats, rules: Rules | None, now: dt.datetime, *, waitlist: bool = True
) -> None:
    """The booking leaves its seat: to the waitlist if someone waits, else back to the
    counters (in `seats`). A lapsed waitlist offer marks its entry."""
    if booking.from_waitlist and booking.status in (BookingStatus.EXPIRED, BookingStatus.CANCELLED):
        WaitlistEntry.objects.filter(offer=booking, status=WaitlistStatus.OFFERED).update(
            status=WaitlistStatus.LAPSED, updated_at=now
        )
    if waitlist and _offer_to_waitlist(
        booking.window, rules, booking.starts_at, booking.ends_at, now
    ):
        return
    seats.give(booking.starts_at, booking.day)


# --- Holds --------------------------------------------------------------------------------------


def _person_key(resident: Resident, application: PermitApplication | None) -> str:
    if application is not None and application.id_hash:
        return f"id:{application.id_hash}"
    return f"resident:{resident.pk}"


def _application(resident: Resident, reference: str) -> PermitApplication | None:
    if not reference:
        return None
    application = permit_application_of_resident(resident=resident, reference=reference)
    if application.status not in BOOKABLE_APPLICATION_STATUSES:
        raise ApplicationNotReady()
    return application


def _guard(
    *, resident: Resident, client_ip: str | None, captcha_token: str, captcha_answer: str
) -> None:
    """Rate limits per resident and per address; the challenge after several holds an hour."""
    limits = [
        RateLimit(
            key=f"booking-hold:resident:{resident.pk}",
            limit=settings.ONETRIP_BOOKING_HOLDS_PER_RESIDENT_PER_HOUR,
            message_zh="预约操作过于频繁，请{seconds}秒后再试",
            message_en="Too many bookings; try again in {seconds} seconds",
        )
    ]
    if client_ip:
        limits.append(
            RateLimit(
                key=f"booking-hold:ip:{client_ip}",
                limit=settings.ONETRIP_BOOKING_HOLDS_PER_ADDRESS_PER_HOUR,
                message_zh="该网络的预约操作过于频繁，请{seconds}秒后再试",
                message_en="Too many bookings from this network; try again in {seconds} seconds",
            )
        )
    hits, address_hits = [*rate_limits_hit(limits=limits, window_seconds=3600), 0][:2]
    after = settings.ONETRIP_BOOKING_CAPTCHA_AFTER_HOLDS
    if hits <= after and address_hits <= after * CAPTCHA_ADDRESS_FACTOR:
        return
    subject = str(resident.pk)
    if not captcha_token and not captcha_answer:
        raise CaptchaRequired(captcha_new(subject=subject))
    if not captcha_check(subject=subject, token=captcha_token, answer=captcha_answer):
        raise CaptchaRequired(captcha_new(subject=subject), wrong=True)


def _slot(window: Window, rules: Rules | None, starts_at: dt.datetime, now: dt.datetime) -> Slot:
    if rules is None or starts_at.tzinfo is None:
        raise SlotUnavailable()
    try:
        slot = rules.has_slot(starts_at)
    except (OverflowError, ValueError) as exc:  # a time no calendar can have
        raise SlotUnavailable() from exc
    if slot is None or not rules.bookable(slot, now):
        raise SlotUnavailable()
    return slot


def _expired_holds(window: Window | None, now: dt.datetime) -> QuerySet[Booking]:
    expired = Booking.objects.filter(status=BookingStatus.HELD, hold_expires_at__lt=now)
    return expired if window is None else expired.filter(window=window)


def booking_release_expired(
    *,
    window: Window | None = None,
    now: dt.datetime | None = None,
    limit: int = 500,
    wait: bool = False,
) -> int:
    """Let go of holds past their expiry (seat to the waitlist or back to the counters);
    returns how many. Each runs once: a released hold is no longer `held`, and rows another
    transaction is releasing are skipped, or, with `wait`, waited for (then found released)."""
    now = now or timezone.now()
    expired = _expired_holds(window, now)
    if not expired.exists():
        return 0
    count = 0
    with atomic_for(Booking):
        locked = (
            expired.select_for_update(of=("self",))
            if wait
            else expired.select_for_update(skip_locked=True, of=("self",))
        )
        rows = list(locked.select_related("window", "resident").order_by("id")[:limit])
        by_window: dict[int, list[Booking]] = {}
        for booking in rows:
            by_window.setdefault(booking.window_id, []).append(booking)
        for bookings in by_window.values():
            rules = rules_of(bookings[0].window)
            seats = _seats(bookings[0].window, rules)
            for booking in bookings:
                booking.status = BookingStatus.EXPIRED
                booking.save(update_fields=["status"])
                _event(booking, "expired", "system")
                _free_seat(booking, seats, rules, now)
                count += 1
            seats.apply()
    if count:
        logger.info("booking-hold expired count=%s", count)
    return count


def _has_room(window: Window, rules: Rules | None, slot: Slot) -> bool:
    """Whether the slot and its day have a seat left now (another request may have let expired
    holds go since this one found them full)."""
    if rules is None:
        return False
    return (
        not SlotCounter.objects.filter(
            window=window, starts_at=slot.starts_at, taken__gte=rules.counters_per_slot
        ).exists()
        and not DayCounter.objects.filter(
            window=window, day=slot.day, taken__gte=rules.online_quota_per_day
        ).exists()
    )


def _seat_gone(
    window: Window, rules: Rules | None, slot: Slot, now: dt.datetime
) -> SlotFull | DayFull | None:
    """SlotFull or DayFull when the counters already say so and no expired hold of the window
    could give a seat back; else None. One read, before any write: when many residents race
    for the same seats, most holds lose, and a loser then never waits for the counter rows the
    winners lock. The seat itself is still taken only by the conditional upsert in the hold's
    transaction, so a None here promises nothing."""
    if rules is None:
        return SlotFull()
    full = (
        Window.objects.filter(pk=window.pk)
        .annotate(
            slot_full=Exists(
                SlotCounter.objects.filter(
                    window=OuterRef("pk"),
                    starts_at=slot.starts_at,
                    taken__gte=rules.counters_per_slot,
                )
            ),
            day_full=Exists(
                DayCounter.objects.filter(
                    window=OuterRef("pk"), day=slot.day, taken__gte=rules.online_quota_per_day
                )
            ),
            expired=Exists(_expired_holds(None, now).filter(window=OuterRef("pk"))),
        )
        .values_list("slot_full", "day_full", "expired")
        .first()
    )
    if full is None or full[2]:
        return None
    if full[0]:
        return SlotFull()
    return DayFull() if full[1] else None


def _hold_once(
    *,
    resident: Resident,
    window: Window,
    rules: Rules | None,
    slot: Slot,
    service: str,
    application: PermitApplication | None,
    channel: str,
    now: dt.datetime,
) -> Booking:
    """One attempt at the hold's transaction: the person's earlier hold let go, the hold row
    written, the seat taken (or SlotFull/DayFull and nothing changed)."""
    person_key = _person_key(resident, application)
    try:
        with atomic_for(Booking, durable=True):
            seats = _seats(window, rules)
            for previous in (
                Booking.objects.select_for_update(of=("self",))
                .filter(person_key=person_key, service=service, status__in=ACTIVE_STATUSES)
                .select_related("window", "resident")
            ):
                if previous.status == BookingStatus.BOOKED:
                    raise AlreadyBooked(
                        previous.reference if previous.resident_id == resident.pk else ""
                    )
                previous.status = BookingStatus.EXPIRED
                previous.save(update_fields=["status"])
                _event(previous, "released", f"resident:{resident.pk}")
                if previous.window_id == window.pk:
                    _free_seat(previous, seats, rules, now)
                else:
                    other = _seats(previous.window, rules_of(previous.window))
                    _free_seat(previous, other, rules_of(previous.window), now)
                    other.apply()
            booking = Booking.objects.create(
                reference=_new_reference(now),
                resident=resident,
                application=application,
                window=window,
                service=service,
                person_key=person_key,
                name=application.name if application is not None else "",
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                day=slot.day,
                status=BookingStatus.HELD,
                hold_expires_at=now + dt.timedelta(seconds=settings.ONETRIP_BOOKING_HOLD_SECONDS),
                channel=channel,
                created_at=now,
            )
            _event(booking, "held", f"resident:{resident.pk}")
            # The seat last: its counter rows are the ones every racing hold waits for, and a
            # row lock is held from here to the commit.
            seats.take(slot.starts_at, slot.day)
            seats.apply()
    except IntegrityError as exc:
        # Another hold of the same person committed between our read and our insert.
        raise AlreadyBooked() from exc
    return booking


def booking_hold(
    *,
    resident: Resident,
    window_code: str,
    service: str,
    starts_at: dt.datetime,
    application_reference: str = "",
    channel: str = "web",
    client_ip: str | None = None,
    captcha_token: str = "",
    captcha_answer: str = "",
    now: dt.datetime | None = None,
) -> Booking:
    """Take a seat in the slot starting at `starts_at` and keep it for the resident while they
    confirm. A hold of theirs for the same service is let go in the same transaction (they
    chose again); a confirmed booking for it is "already booked" (reschedule instead)."""
    now = now or timezone.now()
    window = active_window(window_code)
    application = _application(resident, application_reference)
    if application is not None:
        service = SERVICE_OF_KIND.get(application.kind, service)
    if service not in (window.services or []):
        raise ServiceNotOffered()
    rules = rules_of(window)
    slot = _slot(window, rules, starts_at, now)
    _guard(
        resident=resident,
        client_ip=client_ip,
        captcha_token=captcha_token,
        captcha_answer=captcha_answer,
    )
    attempt = functools.partial(
        _hold_once,
        resident=resident,
        window=window,
        rules=rules,
        slot=slot,
        service=service,
        application=application,
        channel=channel,
        now=now,
    )
    gone = _seat_gone(window, rules, slot, now)
    if gone is not None:
        raise gone
    try:
        booking = attempt()
    except (SlotFull, DayFull):
        # The listing counts a hold past its expiry as free: let this window's expired holds
        # go (waiting for a release another request has begun) and try once more.
        released = booking_release_expired(window=window, now=now, wait=True)
        if not released and not _has_room(window, rules, slot):
            raise
        booking = attempt()
    logger.info("booking-hold held reference=%s window=%s", booking.reference, window.code)
    return booking


# --- Confirm, cancel, reschedule -----------------------------------------------------------------


def _locked(resident: Resident, reference: str) -> Booking:
    booking = booking_of_resident(resident=resident, reference=reference, for_update=True)
    booking.resident = resident
    return booking


def _default_name(resident: Resident) -> str:
    latest = Declaration.objects.filter(resident=resident).order_by("-submitted_at").first()
    return latest.name if latest is not None else ""


def booking_default_name(*, resident: Resident) -> str:
    """The name the confirm form suggests: the resident's latest declaration's (typed once)."""
    return _default_name(resident)


def _clean_name(booking: Booking, name: str) -> str:
    if booking.application is not None and booking.application.name:
        return str(booking.application.name)
    if not (name or "").strip():
        if booking.name:
            return str(booking.name)
        raise NameRequired()
    try:
        return clean_person_name(name, field="name", label_zh="姓名", label_en="name")
    except TextError as exc:
        raise NameRequired(exc.message_zh, exc.message_en) from exc


def booking_confirm(
    *, resident: Resident, reference: str, name: str = "", now: dt.datetime | None = None
) -> Booking:
    """Turn the resident's live hold into a booking: it goes to the station (outbox) and the
    SMS is queued in the same transaction. Confirming twice answers the booking; a hold past
    its expiry is let go and answers HoldExpired."""
    now = now or timezone.now()
    expired = False
    with atomic_for(Booking, durable=True):
        booking = _locked(resident, reference)
        if booking.status == BookingStatus.BOOKED:
            return booking
        if booking.status != BookingStatus.HELD:
            raise HoldExpired()
        if booking.hold_expires_at is not None and booking.hold_expires_at < now:
            expired = True
        else:
            booking.name = _clean_name(booking, name)
            booking.status = BookingStatus.BOOKED
            booking.booked_at = now
            booking.hold_expires_at = None
            booking.save(update_fields=["name", "status", "booked_at", "hold_expires_at"])
            if booking.from_waitlist:
                WaitlistEntry.objects.filter(offer=booking).update(
                    status=WaitlistStatus.ACCEPTED, updated_at=now
                )
            actor = f"resident:{resident.pk}"
            _event(booking, "booked", actor)
            _emit(
                booking,
                BookingMadeV1(
                    reference=booking.reference,
                    window_code=booking.window.code,
                    service=booking.service,  # type: ignore[arg-type]
                    starts_at=booking.starts_at,
                    ends_at=booking.ends_at,
                    name=booking.name,
                    phone_masked=mask_phone(resident.phone),
                    application_reference=(
                        booking.application.reference if booking.application else ""
                    ),
                    booked_at=now,
                ),
                actor,
            )
            _sms(booking, "booking_made", f"booking-made:{booking.reference}")
    if expired:
        booking_release_expired(window=booking.window, now=now)
        raise HoldExpired()
    logger.info("booking-confirm booked reference=%s", booking.reference)
    return booking


def _check_cutoff(booking: Booking, now: dt.datetime) -> None:
    minutes = settings.ONETRIP_BOOKING_CHANGE_CUTOFF_MINUTES
    if booking.starts_at - dt.timedelta(minutes=minutes) < now:
        raise ChangeTooLate(minutes)


def booking_can_change(booking: Booking, *, now: dt.datetime | None = None) -> bool:
    """The page's twin of the cancel/reschedule rule."""
    now = now or timezone.now()
    minutes = settings.ONETRIP_BOOKING_CHANGE_CUTOFF_MINUTES
    return booking.status == BookingStatus.BOOKED and (
        booking.starts_at - dt.timedelta(minutes=minutes) >= now
    )


def _cancel(
    booking: Booking,
    *,
    reason: str,
    actor: str,
    now: dt.datetime,
    seats: Seats,
    rules: Rules | None,
    sms: tuple[str, str] | None,
    waitlist: bool = True,
) -> None:
    booking.status = BookingStatus.CANCELLED
    booking.cancel_reason = reason
    booking.cancelled_at = now
    booking.save(update_fields=["status", "cancel_reason", "cancelled_at"])
    _event(booking, "cancelled", actor, reason)
    _emit(
        booking,
        BookingCancelledV1(reference=booking.reference, reason=reason, cancelled_at=now),  # type: ignore[arg-type]
        actor,
    )
    if sms is not None:
        template, text = sms
        _sms(booking, template, f"booking-cancelled:{booking.reference}", reason=text)
    _free_seat(booking, seats, rules, now, waitlist=waitlist)


def booking_cancel(
    *, resident: Resident, reference: str, now: dt.datetime | None = None
) -> Booking:
    """The resident cancels a booking (until the cut-off) or lets go of a hold; the seat goes
    to the waitlist or back to the counters, the station is told."""
    now = now or timezone.now()
    with atomic_for(Booking, durable=True):
        booking = _locked(resident, reference)
        rules = rules_of(booking.window)
        seats = _seats(booking.window, rules)
        actor = f"resident:{resident.pk}"
        if booking.status == BookingStatus.HELD:
            booking.status = BookingStatus.EXPIRED
            booking.save(update_fields=["status"])
            _event(booking, "released", actor)
            _free_seat(booking, seats, rules, now)
        elif booking.status == BookingStatus.BOOKED:
            _check_cutoff(booking, now)
            _cancel(
                booking,
                reason="resident",
                actor=actor,
                now=now,
                seats=seats,
                rules=rules,
                sms=("booking_cancelled", ""),
            )
        else:
            raise NotChangeable()
        seats.apply()
    logger.info("booking-cancel reference=%s status=%s", booking.reference, booking.status)
    return booking


def _move(
    booking: Booking,
    slot: Slot,
    *,
    seats: Seats,
    rules: Rules | None,
    now: dt.datetime,
    actor: str,
    waitlist: bool = True,
) -> None:
    """In the caller's transaction: the booking leaves its seat and takes `slot`'s (in
    `seats`), the station is told."""
    _free_seat(booking, seats, rules, now, waitlist=waitlist)
    seats.take(slot.starts_at, slot.day)
    booking.starts_at, booking.ends_at, booking.day = slot.starts_at, slot.ends_at, slot.day
    booking.changed_at = now
    booking.save(update_fields=["starts_at", "ends_at", "day", "changed_at"])
    _event(booking, "moved", actor)
    _emit(
        booking,
        BookingChangedV1(
            reference=booking.reference,
            window_code=booking.window.code,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            changed_at=now,
        ),
        actor,
    )


def _reschedule_once(
    *, resident: Resident, reference: str, slot: Slot, rules: Rules | None, now: dt.datetime
) -> Booking:
    """One attempt at the move's transaction (SlotFull/DayFull: nothing changed)."""
    with atomic_for(Booking, durable=True):
        booking = _locked(resident, reference)
        if booking.status != BookingStatus.BOOKED:
            raise NotChangeable()
        _check_cutoff(booking, now)
        if booking.starts_at == slot.starts_at:
            return booking
        seats = _seats(booking.window, rules)
        _move(booking, slot, seats=seats, rules=rules, now=now, actor=f"resident:{resident.pk}")
        seats.apply()
        booking.reminded_for = None
        booking.save(update_fields=["reminded_for"])
        _sms(
            booking,
            "booking_changed",
            f"booking-changed:{booking.reference}:{slot.starts_at:%Y%m%d%H%M}",
        )
    return booking


def booking_reschedule(
    *,
    resident: Resident,
    reference: str,
    starts_at: dt.datetime,
    client_ip: str | None = None,
    captcha_token: str = "",
    captcha_answer: str = "",
    now: dt.datetime | None = None,
) -> Booking:
    """Move a booking to another slot of its window until the cut-off, in one transaction: the
    new seat is taken (or "该时段已约满" and nothing changes) and the old one given back."""
    now = now or timezone.now()
    found = booking_of_resident(resident=resident, reference=reference)
    rules = rules_of(found.window)
    slot = _slot(found.window, rules, starts_at, now)
    _guard(
        resident=resident,
        client_ip=client_ip,
        captcha_token=captcha_token,
        captcha_answer=captcha_answer,
    )
    pending = _expired_holds(found.window, now).exists()
    if pending:
        booking_release_expired(window=found.window, now=now)
    attempt = functools.partial(
        _reschedule_once, resident=resident, reference=reference, slot=slot, rules=rules, now=now
    )
    try:
        booking = attempt()
    except (SlotFull, DayFull):
        if not pending:
            raise
        # As for a hold: wait for a release of expired holds in flight, then try once more.
        booking_release_expired(window=found.window, now=now, wait=True)
        booking = attempt()
    logger.info("booking-reschedule reference=%s", booking.reference)
    return booking


# --- The station's word --------------------------------------------------------------------------


def booking_attendance_apply(*, message: BookingAttendanceV1) -> Booking:
    """The window marked arrival or no-show. Raises Booking.DoesNotExist for an unknown
    reference; a redelivered or late mark that does not fit the status changes nothing."""
    booking = Booking.objects.select_for_update().get(reference=message.reference)
    allowed = {
        BookingStatus.BOOKED: (BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW),
        BookingStatus.NO_SHOW: (BookingStatus.CHECKED_IN,),
    }
    if message.status not in allowed.get(booking.status, ()):  # type: ignore[call-overload]
        logger.info(
            "booking-attendance ignored reference=%s status=%s", booking.reference, booking.status
        )
        return booking
    booking.status = message.status
    booking.attended_at = message.at
    booking.save(update_fields=["status", "attended_at"])
    _event(booking, message.status, "station")
    return booking


def booking_mark_refused(*, reference: str, now: dt.datetime | None = None) -> Booking | None:
    """The station could not take the booking at all (the police zone rejected its
    `booking.made`): the resident is told by SMS with a link to choose again and the seat is
    given back. Runs once per reject, inside the ferry's ack transaction; a booking already
    cancelled or ended is left alone."""
    now = now or timezone.now()
    with atomic_for(Booking):
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("window", "resident", "application")
            .filter(reference=reference)
            .first()
        )
        if booking is None or booking.status != BookingStatus.BOOKED:
            return None
        booking.status = BookingStatus.CANCELLED
        booking.cancel_reason = "staff"
        booking.cancelled_at = now
        booking.save(update_fields=["status", "cancel_reason", "cancelled_at"])
        _event(booking, "cancelled", "system:ferry", "refused by the station")
        rules = rules_of(booking.window)
        seats = _seats(booking.window, rules)
        _free_seat(booking, seats, rules, now)
        seats.apply()
        _sms(
            booking,
            "booking_cancelled_by_window",
            f"booking-refused:{booking.reference}",
            reason=_choose_again_link(booking),
        )
    logger.warning("booking-refused reference=%s", reference)
    return booking


# --- Window changes ------------------------------------------------------------------------------


@dataclass
class CalendarOutcome:
    kept: int = 0
    moved: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    released: int = 0


def _cause(rules: Rules | None, window: Window, booking: Booking) -> str:
    if rules is None or not window.active:
        return "window_closed"
    day = booking.day
    if day in rules.holidays:
        return "holiday"
    if rules.closures.get(day):
        return "window_closed"
    return "hours_changed"


def _nearest(
    candidates: list[Slot],
    booking: Booking,
    free: dict[dt.datetime, int],
    day_left: dict[dt.date, int],
) -> list[Slot]:
    """The slots with a seat left, nearest in time to the booking's first."""
    open_slots = [
        s for s in candidates if free.get(s.starts_at, 0) > 0 and day_left.get(s.day, 0) > 0
    ]
    return sorted(
        open_slots,
        key=lambda s: (abs((s.starts_at - booking.starts_at).total_seconds()), s.starts_at),
    )


def booking_calendar_changed(*, window: Window, now: dt.datetime | None = None) -> CalendarOutcome:
    """A new calendar (or an inactive window) arrived: every future booking that no longer fits
    (its slot gone, a holiday or closure on its day, more bookings than the new counters or
    quota) moves to the nearest free slot of the window, or is cancelled when none is left or
    the window closed; each resident is told by SMS with a link to choose again. Holds that
    no longer fit are let go. Runs in the ferry's apply transaction."""
    now = now or timezone.now()
    rules = rules_of(window) if window.active else None
    outcome = CalendarOutcome()
    with atomic_for(Booking):
        active = list(
            Booking.objects.select_for_update(of=("self",))
            .filter(window=window, status__in=ACTIVE_STATUSES, starts_at__gte=now)
            .select_related("window", "resident", "application")
            .order_by("booked_at", "created_at", "id")
        )
        per_slot: dict[dt.datetime, int] = {}
        per_day: dict[dt.date, int] = {}
        misfits: list[Booking] = []
        for booking in active:
            slot = rules.has_slot(booking.starts_at) if rules is not None else None
            fits = (
                slot is not None
                and slot.ends_at == booking.ends_at
                and rules is not None
                and per_slot.get(booking.starts_at, 0) < rules.counters_per_slot
                and per_day.get(booking.day, 0) < rules.online_quota_per_day
            )
            if fits:
                per_slot[booking.starts_at] = per_slot.get(booking.starts_at, 0) + 1
                per_day[booking.day] = per_day.get(booking.day, 0) + 1
                outcome.kept += 1
            else:
                misfits.append(booking)
        if not misfits:
            return outcome
        free: dict[dt.datetime, int] = {}
        day_left: dict[dt.date, int] = {}
        candidates: list[Slot] = []
        if rules is not None:
            start = now
            end = dt.datetime.combine(rules.last_day(now) + dt.timedelta(days=1), dt.time.min, TZ)
            taken, day_taken = seats_taken([window.pk], start, end, now)
            candidates = rules.bookable_slots(now)
            for slot in candidates:
                free[slot.starts_at] = rules.counters_per_slot - max(
                    0, taken[(window.pk, slot.starts_at)]
                )
                day_left[slot.day] = rules.online_quota_per_day - max(
                    0, day_taken[(window.pk, slot.day)]
                )
        for booking in misfits:
            seats = _seats(window, rules)
            cause = _cause(rules, window, booking)
            link = _choose_again_link(booking)
            if booking.status == BookingStatus.HELD:
                booking.status = BookingStatus.EXPIRED
                booking.save(update_fields=["status"])
                _event(booking, "released", "system:calendar", cause)
                _free_seat(booking, seats, rules, now, waitlist=False)
                seats.apply()
                outcome.released += 1
                continue
            moved = False
            for slot in _nearest(candidates, booking, free, day_left)[:20]:
                attempt = _seats(window, rules)
                try:
                    with transaction.atomic(using=db_for(Booking)):
                        old = (booking.starts_at, booking.ends_at, booking.day, booking.changed_at)
                        _move(
                            booking,
                            slot,
                            seats=attempt,
                            rules=rules,
                            now=now,
                            actor="system:calendar",
                            waitlist=False,
                        )
                        attempt.apply()
                except (SlotFull, DayFull):
                    booking.starts_at, booking.ends_at, booking.day, booking.changed_at = old
                    free[slot.starts_at] = 0
                    continue
                free[slot.starts_at] = free.get(slot.starts_at, 0) - 1
                day_left[slot.day] = day_left.get(slot.day, 0) - 1
                booking.reminded_for = None
                booking.save(update_fields=["reminded_for"])
                _sms(
                    booking,
                    "booking_moved",
                    f"booking-moved:{booking.reference}:{slot.starts_at:%Y%m%d%H%M}",
                    reason=sms_when(slot.starts_at, slot.ends_at)
                    + f"。如不合适，请重新选择：{link}",
                )
                outcome.moved.append(booking.reference)
                moved = True
                break
            if not moved:
                _cancel(
                    booking,
                    reason=cause,
                    actor="system:calendar",
                    now=now,
                    seats=seats,
                    rules=rules,
                    sms=("booking_cancelled_by_window", link),
                    waitlist=False,
                )
                seats.apply()
                outcome.cancelled.append(booking.reference)
    logger.info(
        "booking-calendar window=%s kept=%s moved=%s cancelled=%s released=%s",
        window.code,
        outcome.kept,
        len(outcome.moved),
        len(outcome.cancelled),
        outcome.released,
    )
    return outcome


# --- Waitlist ------------------------------------------------------------------------------------


def waitlist_join(
    *,
    resident: Resident,
    window_code: str,
    day: dt.date,
    service: str,
    application_reference: str = "",
    name: str = "",
    now: dt.datetime | None = None,
) -> WaitlistEntry:
    """Wait for a seat on a full day; the first seat freed that day is offered by SMS."""
    now = now or timezone.now()
    window = active_window(window_code)
    application = _application(resident, application_reference)
    if application is not None:
        service = SERVICE_OF_KIND.get(application.kind, service)
    if service not in (window.services or []):
        raise ServiceNotOffered()
    slots = window_day(window=window, day=day, now=now)
    if slots is None or not slots.open:
        raise SlotUnavailable()
    if not slots.full:
        raise WaitlistNotNeeded()
    person_key = _person_key(resident, application)
    if Booking.objects.filter(
        person_key=person_key, service=service, status=BookingStatus.BOOKED
    ).exists():
        raise AlreadyBooked()
    clean = name
    if application is not None and application.name:
        clean = application.name
    elif name.strip():
        try:
            clean = clean_person_name(name, field="name", label_zh="姓名", label_en="name")
        except TextError as exc:
            raise NameRequired(exc.message_zh, exc.message_en) from exc
    else:
        clean = _default_name(resident)
    try:
        with atomic_for(WaitlistEntry, durable=True):
            entry = WaitlistEntry.objects.create(
                window=window,
                day=day,
                service=service,
                resident=resident,
                application=application,
                person_key=person_key,
                name=clean,
                created_at=now,
            )
    except IntegrityError as exc:
        raise AlreadyWaiting() from exc
    logger.info("booking-waitlist joined entry=%s window=%s", entry.pk, window.code)
    return entry


def waitlist_leave(*, resident: Resident, entry_id: int) -> WaitlistEntry:
    with atomic_for(WaitlistEntry, durable=True):
        entry = (
            WaitlistEntry.objects.select_for_update().filter(pk=entry_id, resident=resident).first()
        )
        if entry is None:
            raise WaitlistNotFound()
        if entry.status == WaitlistStatus.WAITING:
            entry.status = WaitlistStatus.LEFT
            entry.save(update_fields=["status", "updated_at"])
    return entry


# --- Periodic work -------------------------------------------------------------------------------


def booking_reminders_send(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Queue the day-before reminder of each booking for tomorrow, once: the booking row
    records the start it was reminded for in the same transaction as the SMS row, and the
    SMS's `client_ref` names the booking and its start, so a worker that dies half-way and
    a second worker running beside it send nothing twice. From REMINDER_FROM_HOUR local time;
    a booking made or moved today already had its SMS and is only marked."""
    now = now or timezone.now()
    here = local(now)
    if here.hour < REMINDER_FROM_HOUR:
        return 0
    tomorrow = here.date() + dt.timedelta(days=1)
    due = Booking.objects.filter(status=BookingStatus.BOOKED, day=tomorrow).filter(
        Q(reminded_for__isnull=True) | ~Q(reminded_for=F("starts_at"))
    )
    if not due.exists():
        return 0
    sent = 0
    with atomic_for(Booking):
        for booking in (
            due.select_for_update(skip_locked=True, of=("self",))
            .select_related("window", "resident")
            .order_by("id")[:limit]
        ):
            last = booking.changed_at or booking.booked_at
            if last is None or local(last).date() < here.date():
                _sms(
                    booking,
                    "booking_reminder",
                    f"booking-reminder:{booking.reference}:{booking.starts_at:%Y%m%d%H%M}",
                )
                sent += 1
            booking.reminded_for = booking.starts_at
            booking.save(update_fields=["reminded_for"])
    if sent:
        logger.info("booking-reminder queued count=%s", sent)
    return sent


def booking_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """What runs every minute: let expired holds (and lapsed waitlist offers) go, queue the
    day-before reminders, forget used challenge nonces older than a day."""
    now = now or timezone.now()
    released = booking_release_expired(now=now)
    reminded = booking_reminders_send(now=now)
    CaptchaUse.objects.filter(used_at__lt=now - dt.timedelta(days=1)).delete()
    return {"released": released, "reminded": reminded}

"""Errors of booking a visit a resident can act on, Chinese first, English beside, each with a
stable code. "该时段已约满" is what every resident who lost the race for a seat reads."""

from __future__ import annotations

from typing import Any

from onetrip.common.errors import ApplicationError, Conflict, NotFound


class BookingError(ApplicationError):
    """A booking request the rules refuse (400)."""


class SlotFull(Conflict):
    def __init__(self) -> None:
        super().__init__("slot_full", "该时段已约满", "This slot is fully booked")


class DayFull(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "day_full",
            "当天网上预约名额已满，可选择其他日期或加入当天的候补",
            "The day's online bookings are taken; choose another day or join its waitlist",
        )


class SlotUnavailable(BookingError):
    def __init__(self) -> None:
        super().__init__(
            "slot_unavailable",
            "该时段不可预约（不在办公时间、已过可预约时间或超出可预约范围），请重新选择",
            "This time cannot be booked (outside the hours, too soon or too far ahead); "
            "choose another",
            field="starts_at",
        )


class ServiceNotOffered(BookingError):
    def __init__(self) -> None:
        super().__init__(
            "service_not_offered",
            "该窗口不办理此项业务，请选择其他窗口",
            "This window does not offer the service; choose another window",
            field="service",
        )


class AlreadyBooked(Conflict):
    """One active booking per person per service; `reference` names the one that stands."""

    def __init__(self, reference: str = "") -> None:
        zh = "您已有一个该业务的有效预约"
        en = "You already have a booking for this service"
        if reference:
            zh += f"（编号 {reference}）"
            en += f" (reference {reference})"
        super().__init__(
            "already_booked",
            zh + "，如需换时间请改约",
            en + "; reschedule it to change the time",
            extra={"reference": reference} if reference else None,
        )


class HoldExpired(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "hold_expired",
            "保留时间已过，该时段已释放，请重新选择时段",
            "The hold has expired and the seat was released; choose a slot again",
        )


class NotChangeable(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "not_changeable",
            "该预约已取消、已办结或尚未确认，不能更改",
            "This booking is cancelled, finished or not confirmed and cannot be changed",
        )


class ChangeTooLate(Conflict):
    def __init__(self, minutes: int) -> None:
        super().__init__(
            "change_cutoff",
            f"距预约时间不足{minutes}分钟，不能再取消或改约；如不能前往，请致电窗口",
            f"Less than {minutes} minutes before the visit it can no longer be cancelled or "
            "moved; call the window if you cannot come",
        )


class ApplicationNotReady(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "application_not_ready",
            "申请通过预审后才能预约到窗口办理",
            "Book the visit once the application has passed the pre-review",
            field="application",
        )


class NameRequired(BookingError):
    def __init__(self, message_zh: str = "", message_en: str = "") -> None:
        super().__init__(
            "name_required",
            message_zh or "请填写到窗口办理人的姓名",
            message_en or "Enter the name of the person who comes to the window",
            field="name",
        )


class CaptchaRequired(BookingError):
    """The resident or their network made many holds lately: answer the challenge first. The
    answer carries a new challenge (`captcha`: token and question)."""

    def __init__(self, challenge: dict[str, Any], *, wrong: bool = False) -> None:
        if wrong:
            code, zh, en = (
                "captcha_wrong",
                "验证题答案不正确或已过期，请回答新的题目",
                "The answer is wrong or expired; answer the new question",
            )
        else:
            code, zh, en = (
                "captcha_required",
                "操作较频繁，请先回答验证题",
                "Many bookings lately: answer the question first",
            )
        super().__init__(code, zh, en, field="captcha_answer", extra={"captcha": challenge})


class WaitlistNotNeeded(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "day_not_full",
            "当天仍有可预约时段，请直接预约",
            "The day still has free slots; book one directly",
        )


class AlreadyWaiting(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "already_waiting",
            "您已在该日期的候补名单中",
            "You are already on this day's waitlist",
        )


class BookingNotFound(NotFound):
    """Also for another resident's booking, so strangers learn nothing."""

    def __init__(self) -> None:
        super().__init__("not_found", "未找到该预约", "Booking not found")


class WindowNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("window_not_found", "未找到该办证窗口", "Window not found")


class WaitlistNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("not_found", "未找到该候补", "Waitlist entry not found")

"""The SMS texts of a booking, each saying what happened and what to do next (DESIGN §7).

They join the portal's one table of SMS templates (`notify/templates_sms.py`) when the app
loads; a clash with an existing name fails the start-up. Like every template of that table they
take only `reference`, `station` and `reason`: here `station` is the window and `reason` the
time with, where there is one, the link to choose again."""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from onetrip.portal.notify.templates_sms import SMS_TEMPLATES

from .dates import when_text

# The texts above are Chinese and so is every time put into them, whatever language the page
# that caused the SMS was in: the message goes to a mainland phone.
SMS_LANGUAGE = "zh-hans"

BOOKING_SMS_TEMPLATES: dict[str, str] = {
    "booking_made": (
        "【杭州公安】您已预约{station}办理居住证业务，时间{reason}，预约编号{reference}。"
        "请携带身份证和告知单所列材料按时到达；如需改约或取消，请登录杭州市居住证服务平台。"
    ),
    "booking_changed": (
        "【杭州公安】您的预约（编号{reference}）已改到{station}，时间{reason}。请按新的时间到达。"
    ),
    "booking_cancelled": (
        "【杭州公安】您的预约（编号{reference}）已取消。如需办理，请登录杭州市居住证服务平台"
        "重新预约{station}或其他窗口。"
    ),
    "booking_moved": (
        "【杭州公安】因{station}办公安排调整，您的预约（编号{reference}）已改为{reason}"
    ),
    "booking_cancelled_by_window": (
        "【杭州公安】因{station}办公安排调整，您的预约（编号{reference}）已取消，"
        "请重新选择时间：{reason}"
    ),
    "booking_reminder": (
        "【杭州公安】提醒：您明天在{station}办理居住证业务，时间{reason}，预约编号{reference}。"
        "请携带身份证和告知单所列材料按时到达。"
    ),
    "booking_waitlist_offer": (
        "【杭州公安】您候补的{station}有空位：{reason}（编号{reference}）。"
    ),
}


def sms_when(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    """A slot as an SMS says it: "12月3日（周四）09:30-09:50", even from an English page."""
    with translation.override(SMS_LANGUAGE):
        return when_text(starts_at, ends_at)


def register_booking_sms_templates() -> None:
    """Add the booking texts to the portal's table, once; a name already used for another
    text is a deployment error."""
    for name, text in BOOKING_SMS_TEMPLATES.items():
        existing = SMS_TEMPLATES.setdefault(name, text)
        if existing != text:
            raise ImportError(f"SMS template {name!r} is defined twice")

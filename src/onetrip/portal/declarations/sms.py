"""The SMS texts of a registration's changes and cancellation (ZJ-11, WF-1), each saying what
the station recorded and what follows.

They join the portal's one table of SMS templates (`notify/templates_sms.py`) when the app loads;
a clash with an existing name fails the start-up. No address travels by SMS: the resident reads
it on the declaration's page."""

from __future__ import annotations

from onetrip.portal.notify.templates_sms import SMS_TEMPLATES

DECLARATION_SMS_TEMPLATES: dict[str, str] = {
    "declaration_changed": (
        "【杭州公安】您的居住登记（编号{reference}）已由{station}记录{what}，变更日期{changed_on}"
        "{late}。可登录杭州市居住证服务平台查看。"
    ),
    "declaration_cancelled": (
        "【杭州公安】您的居住登记（编号{reference}）已于{cancelled_on}注销，原因：{reason}。"
        "{permit}"
    ),
    "declaration_request_rejected": (
        "【杭州公安】您的居住登记（编号{reference}）{what}申请未能办理，原因：{reason}。"
        "请登录杭州市居住证服务平台核对后重新申报。"
    ),
}


def register_declaration_sms_templates() -> None:
    """Add these texts to the portal's table, once; a name already used for another text is a
    deployment error."""
    for name, text in DECLARATION_SMS_TEMPLATES.items():
        existing = SMS_TEMPLATES.setdefault(name, text)
        if existing != text:
            raise ImportError(f"SMS template {name!r} is defined twice")

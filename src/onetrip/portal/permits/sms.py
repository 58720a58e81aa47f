"""The SMS texts of a permit application (WF-2: a message at every change the resident sees),
each saying what happened and what to do next (DESIGN §7).

They join the portal's one table of SMS templates (`notify/templates_sms.py`) when the app
loads, under names of their own; a clash with an existing name fails the start-up. The
placeholders are the ones every template of that table may be given: `reference`, `station`
and `reason` (here the plain-words detail: the items to fix, or why it was refused)."""

from __future__ import annotations

from onetrip.portal.notify.templates_sms import SMS_TEMPLATES

PERMIT_SMS_TEMPLATES: dict[str, str] = {
    "permit_submitted": (
        "【杭州公安】您的居住证申请（编号{reference}）已提交，正在送居住地派出所预审，"
        "结果将以短信通知您。可登录杭州市居住证服务平台查看进度。"
    ),
    "permit_prelim_review": (
        "【杭州公安】您的居住证申请（编号{reference}）已由{station}接收，正在预审，"
        "结果将以短信通知您。"
    ),
    "permit_materials_required": (
        "【杭州公安】您的居住证申请（编号{reference}）需补正：{reason}。"
        "请登录杭州市居住证服务平台，按一次性告知的全部事项补正后重新提交。"
    ),
    "permit_prereview_passed": (
        "【杭州公安】您的居住证申请（编号{reference}）已通过{station}预审。"
        "请登录杭州市居住证服务平台预约办理时间，携带告知单所列原件到窗口，一次办成。"
    ),
    "permit_accepted": (
        "【杭州公安】您的居住证申请（编号{reference}）已由{station}受理，"
        "请保存受理回执，可登录杭州市居住证服务平台查看进度。"
    ),
    "permit_rejected": (
        "【杭州公安】您的居住证申请（编号{reference}）不予受理，原因：{reason}。"
        "详情请登录杭州市居住证服务平台查看。"
    ),
    "permit_endorsement_approved": (
        "【杭州公安】您的居住证签注申请（编号{reference}）已办结，签注已电子记录，无需到窗口，"
        "原证件继续使用。"
    ),
    "permit_approved": ("【杭州公安】您的居住证申请（编号{reference}）已审批通过，即将制证。"),
    "permit_in_production": (
        "【杭州公安】您的居住证（申请编号{reference}）正在制作中，制作完成后将短信通知您。"
    ),
    "permit_collected": "【杭州公安】您的居住证（申请编号{reference}）已领取。",
    # "ready" and "delivered" have no status text: the delivery texts below tell them
    # (applications.py, DELIVERY_TOLD_STATUSES).
    # Where the card is (WF-2 after approval), from `permit.delivery_changed`: one SMS per
    # snapshot that needs one (delivery.py). `code` is the one-time pickup code, which the
    # portal keeps nowhere else; `courier` and `tracking_number` come with a posted card.
    "permit_delivery_ready": (
        "【杭州公安】您的居住证（申请编号{reference}）已制作完成，现在{station}待领取，"
        "取件码{code}。请凭身份证或取件码领取，取件码请勿告知他人。"
    ),
    "permit_delivery_shipped": (
        "【杭州公安】您的居住证（申请编号{reference}）已交{courier}寄出，运单号{tracking_number}，"
        "可登录杭州市居住证服务平台查看物流。"
    ),
    "permit_delivery_delivered": (
        "【杭州公安】您的居住证（申请编号{reference}）已签收。如非本人或家人签收，请联系{station}。"
    ),
    "permit_delivery_returned": (
        "【杭州公安】您邮寄的居住证（申请编号{reference}）未能投递，已退回{station}，"
        "新取件码{code}。请凭身份证或取件码到{station}领取。"
    ),
    "permit_delivery_production_failed": (
        "【杭州公安】您的居住证（申请编号{reference}）首次制作未成功，已安排重新制作，"
        "您无需任何操作，制作完成后将短信通知您。"
    ),
    "permit_delivery_pickup_reminder": (
        "【杭州公安】您的居住证（申请编号{reference}）仍在{station}等候领取，取件码{code}。"
        "请尽快凭身份证或取件码领取。"
    ),
    # The same news without a code, should a snapshot that needs one arrive without it: the
    # identity card alone is always enough at the window.
    "permit_delivery_pickup_without_code": (
        "【杭州公安】您的居住证（申请编号{reference}）在{station}待领取，请凭身份证领取。"
    ),
    "permit_delivery_address_change_refused": (
        "【杭州公安】您的居住证（申请编号{reference}）已交快递寄出，领取方式和邮寄地址未能变更。"
        "可登录杭州市居住证服务平台查看物流。"
    ),
    # The card after issue (WF-3, ZJ-17), from `permit.card_changed`: `tail` is the permit
    # number's last four digits; dates are written out.
    "permit_card_endorsement_due": (
        "【杭州公安】您尾号{tail}的居住证签注期为{start}至{end}。无需到窗口，"
        "请登录杭州市居住证服务平台“我的居住证”在线申请签注；逾期未签注，居住证使用功能将中止。"
    ),
    "permit_card_suspended": (
        "【杭州公安】您尾号{tail}的居住证已超过签注期未签注，使用功能已中止。"
        "请登录杭州市居住证服务平台申请签注，签注后恢复，居住年限自签注之日起重新计算。"
    ),
    "permit_card_endorsed": (
        "【杭州公安】您尾号{tail}的居住证已完成签注，有效期至{valid_until}，无需领取新证。"
    ),
    "permit_card_endorsed_late": (
        "【杭州公安】您尾号{tail}的居住证已逾期签注，使用功能已恢复，有效期至{valid_until}，"
        "居住年限自{since}起重新计算。"
    ),
}


def register_permit_sms_templates() -> None:
    """Add the permit texts to the portal's table, once; a name already used for another
    text is a deployment error."""
    for name, text in PERMIT_SMS_TEMPLATES.items():
        existing = SMS_TEMPLATES.setdefault(name, text)
        if existing != text:
            raise ImportError(f"SMS template {name!r} is defined twice")

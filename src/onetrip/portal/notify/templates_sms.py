"""The texts the portal sends by SMS, by template id. Placeholders are `str.format` fields.

Every text starts with the sender's signature, as the carriers require, and says what the resident
should do next, so no message needs a follow-up (DESIGN §7)."""

from __future__ import annotations

import string

SMS_TEMPLATES: dict[str, str] = {
    "login_code": "【杭州公安】您的登录验证码为{code}，{minutes}分钟内有效。请勿泄露给他人。",
    "declaration_received": (
        "【杭州公安】您的居住登记申报（编号{reference}）已受理，我们将尽快核查，"
        "结果将以短信通知您。可登录杭州市居住证服务平台查询办理进度。"
    ),
    "declaration_registered": (
        "【杭州公安】您的居住登记申报（编号{reference}）已由{station}核查通过，"
        "登记编号{registration_number}。"
    ),
    "declaration_returned": (
        "【杭州公安】您的居住登记申报（编号{reference}）被退回，原因：{reason}。"
        "请登录杭州市居住证服务平台修改后重新提交。"
    ),
    "declaration_rejected": (
        "【杭州公安】您的居住登记申报（编号{reference}）未能受理，原因：{reason}。"
        "请登录杭州市居住证服务平台核对后重新申报。"
    ),
    "report_done": (
        "【杭州公安】贵单位的报送数据（批次{reference}）已处理完毕：成功{valid}条，"
        "未通过{rejected}条。请登录杭州市居住证服务平台查看明细和错误报告。"
    ),
    "report_refused": (
        "【杭州公安】贵单位上传的报送文件（批次{reference}）无法读取，"
        "请登录杭州市居住证服务平台查看原因后重新上传。"
    ),
}


class SmsTemplateError(ValueError):
    pass


def template_fields(template: str) -> set[str]:
    """The placeholder names a template needs."""
    try:
        text = SMS_TEMPLATES[template]
    except KeyError:
        raise SmsTemplateError(f"unknown SMS template {template!r}") from None
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def render_sms(template: str, params: dict[str, object]) -> str:
    """The text of `template` with `params` filled in; every placeholder must be given."""
    missing = template_fields(template) - params.keys()
    if missing:
        raise SmsTemplateError(f"SMS template {template!r} misses {sorted(missing)}")
    return SMS_TEMPLATES[template].format_map(params)

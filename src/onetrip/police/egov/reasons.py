"""Why a department check came out as it did, in words a reviewer reads (codes in
`ProofCheck.reason`)."""

from django.utils.translation import gettext_lazy as _

REASON_LABELS = {
    "residence": _("居住地址（合法稳定住所）"),
    "no_source": _("本地未接入可替代该材料的部门数据"),
    "no_record": _("部门无相关记录"),
    "not_continuous": _("社保缴纳不满足连续缴纳要求（断缴或补缴）"),
    "no_registration": _("无就业登记记录"),
    "employer_differs": _("就业登记单位与申报单位不一致"),
    "lease_ended": _("租赁备案已到期"),
    "school_differs": _("就读学校与申报不一致"),
    "name_mismatch": _("姓名与公民身份号码不匹配"),
    "timeout": _("数据源响应超时"),
    "unreachable": _("数据源无法连接"),
    "circuit_open": _("数据源连续失败，暂停查询"),
    "not_configured": _("数据源未配置"),
    "internal_error": _("本系统处理出错，待重新核验"),
    "bad_key_configuration": _("数据源密钥配置错误"),
    "forged_signature": _("答复签名无效，不予采信"),
    "malformed": _("答复格式错误，不予采信"),
    "wrong_answer": _("答复与查询不对应，不予采信"),
    "answer_too_large": _("答复过大，不予采信"),
}

"""Seed FAQ (你问我答): questions residents ask at the windows, answered from the rules in
DOMAIN.md (each answer names its rule). Local settings say so."""

from __future__ import annotations

from typing import Any


def _faq(
    key: str, category: str, title: str, body: str, *applies: str, related: tuple[str, ...] = (),
    local: bool = False, sort: int = 0,
) -> dict[str, Any]:  # fmt: skip
    return {
        "key": f"faq-{key}",
        "kind": "faq",
        "category": category,
        "title": title,
        "body": body,
        "applies_to": list(applies),
        "related": list(related),
        "local_setting": local,
        "sort": sort,
    }


FAQ: list[dict[str, Any]] = [
    # -- 申领条件 eligibility -------------------------------------------------------------------
    _faq(
        "who-can-apply",
        "eligibility",
        "什么人可以申领居住证？",
        "离开户籍所在的县（市）或市区，到本市居住、**居住登记满半年**，并且有合法稳定就业、"
        "合法稳定住所、连续就读三者之一的，可以申领。半年自**申报居住登记之日**起算。",
        "permit",
        related=("policy-nat-2", "policy-zj-16"),
        sort=1,
    ),
    _faq(
        "six-months-from-when",
        "eligibility",
        "“居住半年以上”从哪天开始算？",
        "从您**申报居住登记**的那一天开始算，以公安机关的登记记录为准，不看租房合同上的日期。"
        "所以到本市后请尽早申报居住登记。",
        "permit",
        "declaration",
        related=("policy-zj-16",),
        sort=2,
    ),
    _faq(
        "talent-exemption",
        "eligibility",
        "人才引进、投资创业的人员也要住满半年吗？",
        "属于当地政府规定的投资创业、引进人才等情形的，**不受居住半年的限制**，"
        "办理时按政府有关部门的认定材料办理。",
        "permit",
        related=("policy-zj-16",),
        sort=3,
    ),
    _faq(
        "same-city-move",
        "eligibility",
        "我是杭州市区户口，搬到另一个区住，需要办居住证吗？",
        "不需要。在同一设区的市的市区内跨区居住的，不属于流动人口，不办理居住登记和居住证。",
        "declaration",
        "permit",
        related=("policy-zj-2",),
        sort=4,
    ),
    _faq(
        "how-to-apply",
        "eligibility",
        "居住证怎么办理？",
        "先在本平台**申报居住登记**，登记满半年后，在“居住证申领”中按提示选择申领条件、"
        "查看一次性告知的材料清单、上传照片和需要提交的材料，提交后派出所网上初审，"
        "初审通过后预约一次到窗口核验原件，或选择邮寄送证。详见《居住证申领办事指南》。",
        "permit",
        related=("guide-permit-application", "guide-self-declaration"),
        sort=5,
    ),
    _faq(
        "foreigners",
        "eligibility",
        "外国人、港澳台居民可以在这里申领浙江省居住证吗？",
        "不可以。外国人、无国籍人和港澳台居民按国家有关规定办理，不适用本平台的居住证申领。",
        "permit",
        sort=6,
    ),
    # -- 申领材料 materials ---------------------------------------------------------------------
    _faq(
        "materials-list",
        "materials",
        "申领居住证要准备哪些材料？",
        "基本材料是居民身份证、本人相片和申领表（在本平台在线填写），再加上与申领条件对应的"
        "就业、住所或就读证明。平台会按您的情况**一次性列出全部材料**，标注“系统自动获取”"
        "的不用您提交。",
        "permit",
        "materials",
        related=("policy-nat-9",),
        sort=10,
    ),
    _faq(
        "social-insurance-gap",
        "materials",
        "社保（社会保险）断缴、中断了，还能申领居住证吗？",
        "杭州市区以就业条件申领，要求社会保险在市区**连续缴纳满1年**。中断超过1个月或者"
        "补缴的，不算连续，需要重新累计；也可以改用合法稳定住所条件申领。（本地设置）",
        "permit",
        "endorsement",
        related=("policy-hz-social-insurance",),
        local=True,
        sort=11,
    ),
    _faq(
        "social-insurance-employer",
        "materials",
        "社保缴纳单位和劳动合同单位不一样怎么办？",
        "两者应当一致。不一致的，需要提供第三方出具的**社保代缴证明**。",
        "permit",
        "materials",
        related=("proof-b18",),
        local=True,
        sort=12,
    ),
    _faq(
        "rented-home",
        "materials",
        "租房住的，要提供哪些住所证明？",
        "提供房屋租赁合同、房屋产权证明和《居住房屋出租治安责任保证书》；国有土地上的房屋"
        "还需《杭州市居住房屋租赁登记备案证明》，集体土地上的房屋还需《杭州市居住房屋出租"
        "安全排查表》。承租人须是申领人本人，租住地址须与居住登记地址一致。",
        "permit",
        "materials",
        related=("proof-c23", "proof-c24", "proof-c25", "proof-c26"),
        local=True,
        sort=13,
    ),
    _faq(
        "photo",
        "materials",
        "照片有什么要求？",
        "近期正面免冠彩色白底证件照，358×441像素、JPEG格式，不穿制式服装，头部居中。"
        "有居民身份证的，多数情况下平台可从身份证系统获取相片。",
        "permit",
        "materials",
        related=("proof-a8",),
        sort=14,
    ),
    _faq(
        "auto-fetched",
        "materials",
        "标着“系统自动获取”的材料还要带吗？",
        "不用提交。平台会向人社、住建、教育等部门调取；只有数据不全时，平台会再告诉您"
        "需要补交什么。到窗口核验时请带上居民身份证原件。",
        "permit",
        "materials",
        sort=15,
    ),
    _faq(
        "relative-home",
        "materials",
        "住在亲属家里，能用亲属的房子申领吗？",
        "可以用**直系亲属**（配偶、父母、子女、祖父母、外祖父母、孙子女）的房屋，提供其房产"
        "证明和亲属关系证明。成年子女不能以父母的房屋申领。（本地做法）",
        "permit",
        "materials",
        related=("proof-c19", "proof-a4"),
        local=True,
        sort=16,
    ),
    # -- 未成年人 minors ------------------------------------------------------------------------
    _faq(
        "child-permit",
        "minors",
        "小孩（未成年子女）可以办居住证吗？",
        "可以。父母（或其他监护人）须持有有效的《浙江省居住证》，其中一方在市区连续缴纳"
        "社会保险满1年；孩子本人居住登记满半年，并符合住所或就读条件。（本地设置）",
        "permit",
        "minor",
        related=("policy-hz-minors",),
        local=True,
        sort=20,
    ),
    _faq(
        "child-who-applies",
        "minors",
        "未满16周岁的孩子由谁来申报、申领？",
        "由监护人代为申报居住登记、代为申领居住证，代办时须提供孩子和代办人的合法有效身份证件。",
        "permit",
        "declaration",
        "minor",
        related=("policy-nat-9", "policy-zj-7"),
        sort=21,
    ),
    _faq(
        "child-materials",
        "minors",
        "给孩子申领要准备什么材料？",
        "户口簿或出生医学证明（证明监护关系）、父母的居住证（平台自动获取）、孩子的相片，"
        "以及住所或就读证明；监护人不是父母的，还要监护关系证明。",
        "permit",
        "minor",
        "materials",
        related=("proof-a2", "proof-a3", "proof-a7"),
        sort=22,
    ),
    _faq(
        "child-photo",
        "minors",
        "孩子没有身份证，照片怎么办？",
        "没有二代身份证的孩子，请上传一张白底免冠彩色证件照，或者到窗口现场拍照。",
        "permit",
        "minor",
        related=("proof-a8",),
        sort=23,
    ),
    _faq(
        "child-school",
        "minors",
        "孩子在本市上学，能用就读条件申领吗？",
        "可以，提供《普通中小学基本信息表》或学校出具的连续就读证明。",
        "permit",
        "minor",
        related=("proof-d31",),
        sort=24,
    ),
    _faq(
        "child-data",
        "minors",
        "孩子的个人信息会怎样保护？",
        "不满14周岁未成年人的个人信息属于敏感个人信息，平台只收集办理所必需的信息，"
        "加密保存，工作人员查看都有记录。",
        "minor",
        sort=25,
    ),
    # -- 签注 endorsement ------------------------------------------------------------------------
    _faq(
        "when-endorse",
        "endorsement",
        "居住证什么时候签注？",
        "每年签注一次：在居住证签发之日起**每满一年之日前一个月内**办理。"
        "签注不收费，可以在本平台“我的居住证”中网上申请。",
        "endorsement",
        related=("policy-zj-19", "policy-nat-10b"),
        sort=30,
    ),
    _faq(
        "endorsement-late",
        "endorsement",
        "居住证签注过期（逾期未签注）了怎么办？",
        "逾期未签注的，居住证**使用功能中止**，但可以补办签注；补办后使用功能恢复，"
        "连续居住年限从补办签注之日起重新计算。请尽快在“我的居住证”中申请签注。",
        "endorsement",
        related=("policy-zj-19", "policy-nat-10b"),
        sort=31,
    ),
    _faq(
        "endorsement-refused",
        "endorsement",
        "什么情况下不予签注？",
        "就业、居住或者就读情况发生变化，不再符合申领条件的，不予签注。",
        "endorsement",
        related=("policy-zj-19",),
        sort=32,
    ),
    _faq(
        "endorsement-fee",
        "endorsement",
        "签注要交费吗？",
        "不收费。首次申领、居住登记、变更登记和签注都不收费。",
        "endorsement",
        related=("policy-nat-21",),
        sort=33,
    ),
    _faq(
        "endorsement-social-insurance",
        "endorsement",
        "签注时还要看社保吗？",
        "以就业条件办证的，签注时会核对社会保险缴纳情况（本地设置：连续12个月）。",
        "endorsement",
        related=("policy-hz-social-insurance",),
        local=True,
        sort=34,
    ),
    # -- 换领补领 reissue ------------------------------------------------------------------------
    _faq(
        "lost-card",
        "reissue",
        "居住证丢了怎么补领？",
        "到居住地派出所或受委托的服务机构申请**补领**，按规定缴纳证件工本费。",
        "reissue",
        related=("policy-nat-11", "policy-zj-22"),
        sort=40,
    ),
    _faq(
        "damaged-card",
        "reissue",
        "居住证坏了、看不清了怎么办？",
        "申请**换领**，换领新证时交回原证，按规定缴纳证件工本费。",
        "reissue",
        related=("policy-nat-11",),
        sort=41,
    ),
    _faq(
        "reissue-fee",
        "reissue",
        "补领、换领要交多少钱？",
        "换领、补领收取证件工本费，标准由省物价、财政部门规定（本地常见为20元，以窗口公示为准）。",
        "reissue",
        related=("policy-nat-21", "policy-zj-22"),
        local=True,
        sort=42,
    ),
    _faq(
        "old-temporary-permit",
        "reissue",
        "以前办的暂住证（临时居住证）还能用吗？",
        "原《浙江省临时居住证》（俗称暂住证）已由《浙江省居住证》取代。符合条件的，"
        "可以**免费换领**新的居住证。",
        "reissue",
        "permit",
        related=("policy-zj-39",),
        sort=43,
    ),
    _faq(
        "how-long",
        "reissue",
        "办好居住证要多久？怎么拿到？",
        "材料齐全受理后，**15日内**制作发放。可以到窗口领取，也可以选择邮寄送达。",
        "permit",
        "reissue",
        related=("policy-nat-10",),
        sort=44,
    ),
    # -- 居住登记 registration -------------------------------------------------------------------
    _faq(
        "declare-when",
        "registration",
        "到杭州后多久要申报居住登记？",
        "请在**到达居住地3日内**申报居住登记（本地设置）。与本市户籍近亲属同住不超过30日的，"
        "可以不申报。",
        "declaration",
        related=("policy-zj-7-deadline",),
        local=True,
        sort=50,
    ),
    _faq(
        "declare-online",
        "registration",
        "居住登记可以网上申报吗？",
        "可以。在本平台“居住登记申报”填写居住地址、居住事由等信息提交，辖区派出所民警核查"
        "后登记，结果以短信通知，不用跑窗口。",
        "declaration",
        related=("guide-self-declaration", "policy-zj-7"),
        sort=51,
    ),
    _faq(
        "declare-change",
        "registration",
        "搬家或者换了工作，居住登记要变更吗？",
        "要。居住地址或者服务处所变更的，自变更之日起**10日内**申报变更登记。",
        "declaration",
        related=("policy-zj-13",),
        sort=52,
    ),
    _faq(
        "declare-returned",
        "registration",
        "居住登记被退回了怎么办？",
        "退回时会写明原因，按原因修改后在“我的申报”中重新提交，沿用原来的申报编号。",
        "declaration",
        sort=53,
    ),
    _faq(
        "declare-penalty",
        "registration",
        "不申报居住登记会怎样？",
        "未按规定申报的，由公安机关责令限期改正；逾期不改正的，处50元以上200元以下罚款。"
        "而且居住时间从申报之日起算，晚申报会影响申领居住证。",
        "declaration",
        related=("policy-zj-33",),
        sort=54,
    ),
    _faq(
        "employer-reports",
        "registration",
        "单位或房东已经报送了我的信息，我还要自己申报吗？",
        "单位、房东的报送是他们的法定义务，您本人仍应申报居住登记；平台会提示已报送的信息，"
        "核查更快。",
        "declaration",
        related=("policy-zj-8",),
        sort=55,
    ),
]

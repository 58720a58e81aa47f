"""The guidance a deployment ships with (`load_demo_guidance`): the policies and FAQ of
`seed_policies.py` and `seed_faq.py`, the step-by-step guides, the proof catalogue of DOMAIN
DOC-2 with plain-language descriptions and drawn sample pictures, and staff guidance. Ids of the
proofs are the catalogue's (`common/permit_materials.py`), which the materials list and the
department-data adapters use too."""

from __future__ import annotations

from typing import Any

from onetrip.common.permit_materials import CATALOGUE

from .models import Picture
from .pictures import draw_proof_sample, draw_step
from .seed_faq import FAQ
from .seed_policies import POLICIES
from .services import SEED_ACTOR, picture_ref, picture_store

# What each proof is, in the words a resident uses, and when it is needed.
PROOF_TEXT: dict[str, tuple[str, str]] = {
    "A1": ("第二代居民身份证，证明您是谁。网上申领时平台从身份证系统核对；到窗口时请带原件。",
           "每次申领、签注、换领补领都需要"),
    "A2": ("家庭户口簿，证明孩子与父母的关系，或与直系亲属的关系。",
           "未成年人申领；以直系亲属房屋申领时"),
    "A3": ("孩子出生时医院开具的《出生医学证明》，证明父母子女关系。",
           "未成年人申领，无户口簿关系页时"),
    "A4": ("结婚证，或其他证明亲属关系的材料（如公证书、村居委会证明）。",
           "以配偶或直系亲属的房屋申领时"),
    "A5": ("监护人不是父母时，证明监护关系的材料，由村（居）委会或公证机构出具。",
           "未成年人的监护人不是父母时"),
    "A6": ("代办时，委托人（申领人）和代办人双方的身份证件。",
           "他人代办、未成年人由监护人代为申领时"),
    "A7": ("孩子父母持有的有效《浙江省居住证》，平台自动核对。", "未成年人申领"),
    "A8": ("近期白底免冠彩色证件照，358×441像素。有身份证的一般可自动获取。",
           "首次申领、换领补领"),
    "A9": ("《浙江省居住证申领（签注）表》，在本平台在线填写，无需打印。", "每次申领、签注"),
    "B10": ("社会保险缴纳记录，平台向人力社保部门调取，不用去开证明。",
            "以就业条件申领；未成年人的父母一方"),
    "B11": ("与用人单位签订的劳动（聘用）合同，期限一般1年以上。", "以就业条件申领（任选其一）"),
    "B12": ("农业承包合同或土地承租协议，从事农业生产的人员提供。", "以就业条件申领（任选其一）"),
    "B13": ("营业执照，并附年报和未列入经营异常名录的证明；申领人须是法定代表人、"
            "经营者或投资人。", "个体经营、开办企业的人员（任选其一）"),
    "B14": ("人力社保部门出具的《网上创业就业认定证明》，网店经营者等提供。",
            "网上创业就业人员（任选其一）"),
    "B15": ("民办非企业单位登记证书等证明。", "在民办非企业单位工作的（任选其一）"),
    "B16": ("道路运输从业资格证或出租汽车驾驶员服务资格证，以及服务监督卡。",
            "出租车、网约车驾驶员（任选其一）"),
    "B17": ("用人单位出具并盖章的劳动关系证明。", "以就业条件申领（任选其一）"),
    "B18": ("社保由第三方代缴时，代缴机构出具的代缴证明。", "社保缴纳单位与劳动合同单位不一致时"),
    "C19": ("不动产权证书，证明房屋归您或您的直系亲属所有。平台可向不动产登记部门调取。",
            "住自有房屋、租房（出租人的产权证明）时"),
    "C20": ("老式的房屋所有权证，与不动产权证书作用相同。", "同上（任选其一）"),
    "C21": ("集体土地使用证，农村集体土地上的房屋提供。", "住集体土地房屋时"),
    "C22": ("在住建部门备案的购房合同，或已交房的商品房预售合同。", "买了房还没有产权证时"),
    "C23": ("与房东签订的房屋租赁合同，承租人须是申领人本人。", "租房居住时"),
    "C24": ("房东签署的《居住房屋出租治安责任保证书》。", "租房居住时"),
    "C25": ("《杭州市居住房屋租赁登记备案证明》，国有土地上的出租房屋提供，平台可自动获取。",
            "租住国有土地上的房屋时"),
    "C26": ("街道（乡镇）出具的《杭州市居住房屋出租安全排查表》，平台可自动获取。",
            "租住集体土地上的房屋时"),
    "C27": ("公共租赁住房的租赁合同或资格证明。", "住公租房时"),
    "C28": ("单位宿舍的证明，及《杭州市企业员工宿舍安全承诺书》。", "住单位宿舍时"),
    "C29": ("房东、单位或学校出具的住宿证明。", "借住、住校等情况"),
    "C30": ("宅基地使用证、规划许可证，或集体土地房屋合法性排查情况说明。",
            "住农村自建房时"),
    "D31": ("学校出具的连续就读证明、中小学基本信息表或学生证，平台可向教育部门调取。",
            "以就读条件申领"),
}  # fmt: skip

GUIDES: list[dict[str, Any]] = [
    {
        "key": "guide-self-declaration",
        "title": "居住登记网上自主申报办事指南",
        "summary": "到达居住地3日内，在手机上申报居住登记，民警核查后登记，不用跑窗口。",
        "applies_to": ["declaration"],
        "related": ["faq-declare-online", "faq-declare-when", "policy-zj-7"],
        "body": "**谁要申报**：离开户籍地到本市居住的流动人口（未满16周岁的由监护人代报）。\n\n"
        "**费用**：免费。**时限**：到达后3日内（本地设置）。",
        "steps": [
            ("登录平台", "用手机号和短信验证码登录居住证服务平台。"),
            ("填写申报信息", "填写身份证号、居住地址（到门牌号）、居住事由和住房类型。"),
            ("提交并等待核查", "提交后辖区派出所民警核查，通常1至3个工作日。"),
            ("收到登记结果", "核查通过后短信通知，登记日期就是居住半年的起算日。"),
        ],
    },
    {
        "key": "guide-permit-application",
        "title": "居住证申领办事指南（怎么办理居住证）",
        "summary": "居住登记满半年后网上申领：材料一次告知，派出所初审，只跑一次窗口或邮寄到家。",
        "applies_to": ["permit", "materials", "booking"],
        "related": ["faq-how-to-apply", "faq-materials-list", "policy-nat-2", "policy-zj-16"],
        "body": "**条件**：居住登记满半年，并有合法稳定就业、住所或连续就读之一。\n\n"
        "**费用**：首次申领免费。**时限**：受理后15日内发证。",
        "steps": [
            ("查看申领条件", "在“居住证申领”中回答几个问题，平台告诉您是否符合条件。"),
            ("查看材料清单", "按您的情况一次性列出全部材料，自动获取的不用提交。"),
            ("填写并上传", "在线填写申领表，上传照片和需要提交的材料。"),
            ("派出所初审", "派出所网上初审，结果短信通知；材料不全会一次性告知。"),
            ("预约并核验", "预约一个窗口时段，带身份证原件到窗口核验，只跑一次。"),
            ("领取或邮寄", "受理后15日内制证，可到窗口领取或选择邮寄送达。"),
        ],
    },
    {
        "key": "guide-endorsement",
        "title": "居住证签注办事指南",
        "summary": "每满一年前一个月内网上申请签注，不收费；过期未签注的功能中止，可补办。",
        "applies_to": ["endorsement"],
        "related": ["faq-when-endorse", "faq-endorsement-late", "policy-zj-19"],
        "body": "签注不收费。逾期未签注的，居住证使用功能中止，补办签注后恢复。",
        "steps": [
            ("打开我的居住证", "登录后在“我的居住证”查看签注期限。"),
            ("申请签注", "在签注期内点“申请签注”，确认信息后提交。"),
            ("等待审核", "派出所审核通过后短信通知，签注完成。"),
        ],
    },
]

STAFF: list[dict[str, Any]] = [
    {
        "key": "staff-one-time-notice",
        "category": "casework",
        "title": "一次性告知：怎样写才不让群众跑第二趟",
        "body": "退回补正时，把**所有**缺少或不符合要求的材料在一张告知单里写全，写明原因和"
        "应补交的具体材料。以后的告知不得增加首次审查时就能发现的问题（DOC-1）。",
        "applies_to": ["permit", "materials"],
    },
    {
        "key": "staff-social-insurance-gap",
        "category": "permit",
        "title": "社保中断、补缴的认定口径",
        "body": "市区连续缴纳满12个月；中断超过1个月或补缴的不视为连续（HZ-2，本地设置）。"
        "缴纳单位与合同单位不一致的，收社保代缴证明。",
        "applies_to": ["permit", "endorsement"],
        "local_setting": True,
    },
    {
        "key": "staff-minor-cases",
        "category": "minors",
        "title": "未成年人办证的核对要点",
        "body": "核对监护关系（户口簿或出生医学证明）、父母居住证有效、一方社保满1年、"
        "孩子本人居住登记满半年；代办人和委托人身份证件都要核验。",
        "applies_to": ["permit", "minor"],
    },
    {
        "key": "staff-late-endorsement",
        "category": "endorsement",
        "title": "逾期签注怎样解释",
        "body": "逾期的卡功能中止；补办签注后恢复，连续居住年限自补办之日起重新计算。"
        "签注不收费，不得以逾期为由收费。",
        "applies_to": ["endorsement"],
    },
    {
        "key": "staff-declaration-check",
        "category": "declaration",
        "title": "居住登记核查：地址与出租登记",
        "body": "核对地址到门牌号、与出租登记或单位报送是否一致；同一地址重复申报的，"
        "以先申报的为准并提示群众。",
        "applies_to": ["declaration"],
    },
]

# Left in review when the demo starts, so the demo's editors can see the second-person step.
IN_REVIEW = "faq-declare-returned"


def _picture(raw: bytes) -> Picture:
    return picture_store(raw=raw, actor=SEED_ACTOR)


def seed_entries() -> list[dict[str, Any]]:
    """Every seed entry, its pictures drawn and stored first."""
    entries: list[dict[str, Any]] = []
    for policy in POLICIES:
        entries.append(dict(policy))
    for n, guide in enumerate(GUIDES):
        steps = []
        for number, (title, text) in enumerate(guide["steps"], 1):
            picture = _picture(draw_step(number=number, title=title, caption=text))
            steps.append(
                {
                    "title": title,
                    "body": text,
                    "picture": picture_ref(
                        picture, alt=f"第{number}步示意图：手机页面上的“{title}”"
                    ),
                }
            )
        entries.append({**guide, "kind": "guide", "steps": steps, "sort": n})
    for n, proof in enumerate(CATALOGUE):
        description, when = PROOF_TEXT[proof.id]
        picture = _picture(
            draw_proof_sample(
                proof_id=proof.id,
                name=proof.name_zh,
                issuer=proof.issuer_zh,
                category=proof.category.value,
            )
        )
        entries.append(
            {
                "key": f"proof-{proof.id.lower()}",
                "kind": "proof",
                "category": proof.category.value,
                "title": proof.name_zh,
                "summary": description,
                "body": description,
                "proof_id": proof.id,
                "issuer": proof.issuer_zh,
                "when_needed": when,
                "auto_fetched": proof.auto_fetched,
                "applies_to": ["permit", "materials"],
                "local_setting": proof.id in {"C25", "C26", "C28"},
                "picture": picture_ref(picture, alt=f"{proof.name_zh}样例图（示意，非真实证件）"),
                "sort": n,
            }
        )
    for item in FAQ:
        entry = dict(item)
        if entry["key"] == IN_REVIEW:
            entry["state"] = "review"
        entries.append(entry)
    for n, item in enumerate(STAFF):
        entries.append({**item, "kind": "staff", "sort": n})
    return entries

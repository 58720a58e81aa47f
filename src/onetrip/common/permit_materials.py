"""The one-time materials list (一次性告知单) for a residence-permit application (DOC-1…DOC-3).

The catalogue has stable ids (`A1` … `D31`, DOC-2's numbering) that guidance pages, samples and
the station's notices refer to. `materials_for` works from the case: route → the proofs that
route needs (one of several alternatives where the rules allow), plus identity items, plus what
a minor or a proxy needs; minus what the system fetches itself (HZ-7: marked "系统自动获取，如数据
不全则需提交"); minus what the applicant already provided. Everything is said at once (NAT-11).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .permit_eligibility import Route


class Category(StrEnum):
    IDENTITY = "A"
    EMPLOYMENT = "B"
    RESIDENCE = "C"
    STUDY = "D"


@dataclass(frozen=True)
class Proof:
    id: str
    category: Category
    name_zh: str
    name_en: str
    issuer_zh: str
    auto_fetched: bool = False  # HZ-7: the system fetches it from department data


CATALOGUE: tuple[Proof, ...] = (
    Proof("A1", Category.IDENTITY, "居民身份证", "Resident ID card", "公安机关", auto_fetched=True),
    Proof("A2", Category.IDENTITY, "户口簿", "Household register", "公安机关", auto_fetched=True),
    Proof("A3", Category.IDENTITY, "出生医学证明", "Birth medical certificate", "卫生健康部门"),
    Proof(
        "A4",
        Category.IDENTITY,
        "结婚证或其他关系证明",
        "Marriage or relationship proof",
        "民政部门",
    ),
    Proof(
        "A5", Category.IDENTITY, "监护关系证明", "Proof of guardianship", "村（居）委会或公证机构"
    ),
    Proof(
        "A6",
        Category.IDENTITY,
        "代办人和委托人的身份证件",
        "ID of the agent and the principal",
        "公安机关",
    ),
    Proof(
        "A7",
        Category.IDENTITY,
        "父母的浙江省居住证",
        "Parents' Zhejiang residence permits",
        "公安机关",
        auto_fetched=True,
    ),
    Proof(
        "A8",
        Category.IDENTITY,
        "本人近期白底免冠彩色照片",
        "Recent colour photo, white background",
        "本人",
        # Uploaded with the application and checked against GA 461 (DOC-4); taking it from the
        # ID-card system instead (DOC-5) waits for the department data.
        auto_fetched=False,
    ),
    Proof(
        "A9",
        Category.IDENTITY,
        "《浙江省居住证》申领（签注）表",
        "Application (endorsement) form",
        "本平台在线填写",
    ),
    Proof(
        "B10",
        Category.EMPLOYMENT,
        "社会保险缴纳记录",
        "Social-insurance record",
        "人力资源和社会保障部门",
        auto_fetched=True,
    ),
    Proof(
        "B11", Category.EMPLOYMENT, "劳动（聘用）合同", "Labour (employment) contract", "用人单位"
    ),
    Proof(
        "B12",
        Category.EMPLOYMENT,
        "农业承包合同或土地承租协议",
        "Agricultural contracting or land lease",
        "村（居）委会",
    ),
    Proof(
        "B13",
        Category.EMPLOYMENT,
        "营业执照及年报、未列入经营异常名录证明",
        "Business licence, annual report, not on the abnormal-operations list",
        "市场监督管理部门",
    ),
    Proof(
        "B14",
        Category.EMPLOYMENT,
        "网上创业就业认定证明",
        "Online entrepreneurship certificate",
        "人力资源和社会保障部门",
    ),
    Proof(
        "B15",
        Category.EMPLOYMENT,
        "民办非企业单位证明",
        "Private non-enterprise unit certificate",
        "民政部门",
    ),
    Proof(
        "B16",
        Category.EMPLOYMENT,
        "道路运输从业资格证或出租汽车驾驶员服务资格证及服务监督卡",
        "Road-transport or taxi-driver qualification and service card",
        "交通运输部门",
    ),
    Proof(
        "B17",
        Category.EMPLOYMENT,
        "用人单位出具的劳动关系证明",
        "Employer's proof of the labour relationship",
        "用人单位",
    ),
    Proof(
        "B18",
        Category.EMPLOYMENT,
        "社保代缴证明",
        "Third-party social-insurance payment proof",
        "代缴机构",
    ),
    Proof(
        "C19",
        Category.RESIDENCE,
        "不动产权证",
        "Real-estate title certificate",
        "自然资源（不动产登记）部门",
        auto_fetched=True,
    ),
    Proof(
        "C20",
        Category.RESIDENCE,
        "房屋所有权证",
        "House ownership certificate",
        "住房和城乡建设部门",
        auto_fetched=True,
    ),
    Proof(
        "C21",
        Category.RESIDENCE,
        "集体土地使用证",
        "Collective land-use certificate",
        "自然资源部门",
    ),
    Proof(
        "C22",
        Category.RESIDENCE,
        "已备案的购房合同或商品房预售合同",
        "Filed purchase or off-plan sale contract",
        "住房和城乡建设部门",
    ),
    Proof("C23", Category.RESIDENCE, "房屋租赁合同", "Lease contract", "出租人"),
    Proof(
        "C24",
        Category.RESIDENCE,
        "居住房屋出租治安责任保证书",
        "Landlord's public-order responsibility pledge",
        "出租人",
    ),
    Proof(
        "C25",
        Category.RESIDENCE,
        "杭州市居住房屋租赁登记备案证明",
        "Rental filing certificate",
        "住房和城乡建设部门",
        auto_fetched=True,
    ),
    Proof(
        "C26",
        Category.RESIDENCE,
        "杭州市居住房屋出租安全排查表",
        "Rental safety check form",
        "街道（乡镇）",
        auto_fetched=True,
    ),
    Proof(
        "C27",
        Category.RESIDENCE,
        "公共租赁住房合同或资格证明",
        "Public-rental-housing contract or licence",
        "住房保障部门",
    ),
    Proof(
        "C28",
        Category.RESIDENCE,
        "单位宿舍证明及员工宿舍安全承诺书",
        "Employer dormitory proof and safety pledge",
        "用人单位",
    ),
    Proof(
        "C29",
        Category.RESIDENCE,
        "房东、单位或学校出具的住宿证明",
        "Accommodation certificate from a landlord, employer or school",
        "出具单位",
    ),
    Proof(
        "C30",
        Category.RESIDENCE,
        "宅基地使用证、规划许可证或集体土地房屋合法性排查说明",
        "Homestead, planning permit or legality check of a collective-land house",
        "自然资源部门",
    ),
    Proof(
        "D31",
        Category.STUDY,
        "连续就读证明或学生证",
        "Proof of continuous enrolment or student card",
        "就读学校",
        auto_fetched=True,
    ),
)
BY_ID = {proof.id: proof for proof in CATALOGUE}


class Housing(StrEnum):
    OWNED = "owned"
    RENTED_STATE_LAND = "rented_state_land"
    RENTED_COLLECTIVE_LAND = "rented_collective_land"
    PUBLIC_RENTAL = "public_rental"
    DORMITORY = "dormitory"
    RELATIVE = "relative"


# Each inner tuple is one requirement that any one of its proofs satisfies.
ROUTE_NEEDS: dict[Route, tuple[tuple[str, ...], ...]] = {
    Route.EMPLOYMENT: (("B10",), ("B11", "B12", "B13", "B14", "B15", "B16", "B17")),
    Route.STUDY: (("D31",),),
}
HOUSING_NEEDS: dict[Housing, tuple[tuple[str, ...], ...]] = {
    Housing.OWNED: (("C19", "C20", "C21", "C22"),),
    Housing.RENTED_STATE_LAND: (("C23",), ("C19", "C20"), ("C24",), ("C25",)),
    Housing.RENTED_COLLECTIVE_LAND: (("C23",), ("C21", "C30"), ("C24",), ("C26",)),
    Housing.PUBLIC_RENTAL: (("C27",),),
    Housing.DORMITORY: (("B11", "B17"), ("C28",)),
    Housing.RELATIVE: (("C19", "C20", "C21"), ("A2", "A4")),
}


@dataclass(frozen=True)
class Item:
    """One line of the notice: any one of `alternatives` satisfies it."""

    alternatives: tuple[Proof, ...]
    auto_fetched: bool
    provided: bool

    @property
    def id(self) -> str:
        return "/".join(p.id for p in self.alternatives)


def materials_for(
    *,
    route: Route,
    housing: Housing | None = None,
    minor: bool = False,
    guardian_is_parent: bool = True,
    by_agent: bool = False,
    provided: Iterable[str] = (),
    fetched: Iterable[str] = (),
) -> list[Item]:
    """Every item the case needs, once, in catalogue order (DOC-3). `provided` holds proof ids
    already submitted; an item is met by any of its alternatives. `fetched` names proofs this
    deployment's department data stands in for (`ONETRIP_EGOV_PROOFS`), beside those the
    catalogue marks as fetched."""
    needs: list[tuple[str, ...]] = [("A1",), ("A8",), ("A9",)]
    if route == Route.RESIDENCE:
        if housing is None:
            raise ValueError("the residence route needs the kind of housing")
        needs.extend(HOUSING_NEEDS[housing])
    else:
        needs.extend(ROUTE_NEEDS[route])
    if minor:
        needs.extend([("A2", "A3"), ("A7",)])
        if not guardian_is_parent:
            needs.append(("A5",))
    if by_agent or minor:
        needs.append(("A6",))
    done = set(provided)
    from_source = set(fetched)
    items: list[Item] = []
    seen: set[tuple[str, ...]] = set()
    for need in needs:
        if need in seen:
            continue
        seen.add(need)
        proofs = tuple(BY_ID[i] for i in need)
        items.append(
            Item(
                alternatives=proofs,
                auto_fetched=any(p.auto_fetched or p.id in from_source for p in proofs),
                provided=any(i in done for i in need),
            )
        )
    return sorted(items, key=lambda item: _order(item.alternatives[0].id))


def _order(proof_id: str) -> int:
    return [p.id for p in CATALOGUE].index(proof_id)

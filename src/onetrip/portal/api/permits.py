"""Channel API for the residence permit (居住证): may I apply, and what to bring (NAT-1, ZJ-14,
HZ-1…HZ-7, DOC-1…DOC-3). The same services as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema

from onetrip.common.api import code_list, describe_codes, error_responses, examples
from onetrip.common.errors import ApplicationError
from onetrip.common.identifiers import IdentifierError
from onetrip.common.permit_eligibility import GuardianFacts, Route, RouteAnswers
from onetrip.common.permit_materials import Housing, materials_for
from onetrip.portal.declarations.services import GUARDIAN_RELATIONS
from onetrip.portal.permits.services import EligibilityQuestion, eligibility_check

router = Router(tags=["permit"])

ROUTE_CODES = {
    Route.EMPLOYMENT.value: gettext_lazy("合法稳定就业"),
    Route.RESIDENCE.value: gettext_lazy("合法稳定住所"),
    Route.STUDY.value: gettext_lazy("连续就读"),
}
HOUSING_CODES = {
    Housing.OWNED.value: gettext_lazy("自有房屋"),
    Housing.RENTED_STATE_LAND.value: gettext_lazy("租住房屋（国有土地）"),
    Housing.RENTED_COLLECTIVE_LAND.value: gettext_lazy("租住房屋（集体土地）"),
    Housing.PUBLIC_RENTAL.value: gettext_lazy("公共租赁住房"),
    Housing.DORMITORY.value: gettext_lazy("单位宿舍"),
    Housing.RELATIVE.value: gettext_lazy("直系亲属房屋"),
}


class GuardianIn(Schema):
    relation: code_list(GUARDIAN_RELATIONS) = Field(  # type: ignore[valid-type]
        "parent",
        description="监护人与申请人关系 / The guardian's relationship. 取值 / Codes: "
        + describe_codes(GUARDIAN_RELATIONS),
    )
    guardians_hold_permits: bool = Field(
        False, description="父母（或其他监护人）持有有效居住证 / Guardians hold valid permits"
    )
    social_insurance_months: int | None = Field(
        None, ge=0, le=600, description="一方监护人连续社保月数 / A guardian's insurance months"
    )


class EligibilityIn(Schema):
    id_number: str = Field(
        description="申请人公民身份号码 / The applicant's ID number",
        examples=["33010619900101123X"],
        max_length=64,
    )
    declared_on: dt.date | None = Field(
        None,
        description="本次居住登记的申报日期（以公安机关记录为准）/ Date the current "
        "registration was declared (the police record decides)",
    )
    social_insurance_months: int | None = Field(
        None,
        ge=0,
        le=600,
        description="在本市连续缴纳社会保险的月数，不清楚可省略 / Months of continuous social "
        "insurance in the city; omit when unknown",
    )
    has_employment_proof: bool = Field(
        False,
        description="有1年以上劳动合同、营业执照等就业证明 / Has a labour contract of a year or "
        "more, a business licence or similar",
    )
    has_residence_proof: bool = Field(
        False,
        description="住在自有、已备案租赁、单位宿舍或直系亲属房屋 / Lives in an owned, filed "
        "rented, dormitory or direct relative's home",
    )
    is_enrolled: bool = Field(
        False, description="在本市学校连续就读 / Continuously enrolled at a school in the city"
    )
    exempt_investor_or_talent: bool = Field(
        False,
        description="投资创业或人才引进对象，不受6个月限制 / Investor or introduced talent, "
        "exempt from the six months",
    )
    guardian: GuardianIn | None = Field(
        None, description="未满16周岁时的监护人情况 / The guardians, for an applicant under 16"
    )


class ReasonOut(Schema):
    code: str = Field(description="原因代码，稳定不变 / Stable reason code")
    message: str = Field(description="原因（中文）/ The reason in Chinese")
    message_en: str = Field(description="原因（英文）/ The reason in English")


class EligibilityOut(Schema):
    eligible: bool = Field(description="现在即可申领 / May apply now")
    through_guardian: bool = Field(description="未满16周岁由监护人代办 / Under 16: via a guardian")
    continuous_since: dt.date | None = Field(
        description="连续居住登记的起始日 / Start of the continuous registration"
    )
    registered_months: int = Field(description="已满的整月数 / Full months registered")
    eligible_from: dt.date | None = Field(
        description="可申领之日 / The date from which the applicant may apply"
    )
    routes_met: list[code_list(ROUTE_CODES)] = Field(  # type: ignore[valid-type]
        description="已满足的申领条件 / Routes met. 取值 / Codes: " + describe_codes(ROUTE_CODES)
    )
    reasons: list[ReasonOut] = Field(
        description="暂不能申领的全部原因 / Every reason the applicant may not apply yet"
    )
    from_police_record: bool = Field(
        description="依据公安机关的登记记录 / Counted from the police record"
    )


class MaterialOut(Schema):
    id: str = Field(description="材料编号，任选其一 / Catalogue ids; any one of them suffices")
    names: list[str] = Field(description="材料名称，任选其一 / Names, any one suffices")
    names_en: list[str] = Field(description="英文名称 / Names in English")
    issuers: list[str] = Field(description="出具部门 / Issued by")
    auto_fetched: bool = Field(
        description="系统自动获取，如数据不全则需提交 / Fetched by the system; bring it only "
        "if the data are incomplete"
    )


@router.post(
    "/eligibility",
    response={200: EligibilityOut, **error_responses(400, 413, 415, 422)},
    summary="居住证申领条件自测 / May I apply for a residence permit",
    description="按居住登记、就业、住所、就读情况判断能否申领居住证；不符合时一次列出全部原因和"
    "可申领之日。未登录时按填写的登记日期计算。"
    "\n\nWhether the applicant may apply, from the registration and the employment, residence "
    "or study route; every reason at once and the date they may apply from. Without sign-in "
    "the typed declaration date is used.",
    openapi_extra=examples(
        request={
            "id_number": "33010619900101123X",
            "declared_on": "2026-06-01",
            "social_insurance_months": 14,
            "has_employment_proof": True,
        },
        responses={
            200: {
                "eligible": False,
                "through_guardian": False,
                "continuous_since": "2026-06-01",
                "registered_months": 5,
                "eligible_from": "2026-12-01",
                "routes_met": ["employment"],
                "reasons": [
                    {
                        "code": "six_months_not_reached",
                        "message": "居住登记自2026-06-01起已连续5个月，需满6个月；"
                        "预计2026-12-01起可申领",
                        "message_en": "Registered continuously since 2026-06-01 (5 months); 6 "
                        "are needed, so you can apply from 2026-12-01",
                    }
                ],
                "from_police_record": False,
            }
        },
    ),
)
def eligibility(request: HttpRequest, body: EligibilityIn) -> EligibilityOut:
    guardian = None
    if body.guardian is not None:
        guardian = GuardianFacts(
            relation=body.guardian.relation,
            guardians_hold_permits=body.guardian.guardians_hold_permits,
            social_insurance_months=body.guardian.social_insurance_months,
        )
    question = EligibilityQuestion(
        id_number=body.id_number,
        declared_on=body.declared_on,
        answers=RouteAnswers(
            social_insurance_months=body.social_insurance_months,
            has_employment_proof=body.has_employment_proof,
            has_residence_proof=body.has_residence_proof,
            is_enrolled=body.is_enrolled,
            exempt_investor_or_talent=body.exempt_investor_or_talent,
            guardian=guardian,
        ),
    )
    try:
        result, from_record = eligibility_check(question=question, resident=None)
    except IdentifierError as exc:
        raise ApplicationError(exc.code, exc.message_zh, exc.message_en, field="id_number") from exc
    return EligibilityOut(
        eligible=result.eligible,
        through_guardian=result.through_guardian,
        continuous_since=result.continuous_since,
        registered_months=result.registered_months,
        eligible_from=result.eligible_from,
        routes_met=sorted(route.value for route in result.routes_met),
        reasons=[ReasonOut(code=r.code, message=r.zh, message_en=r.en) for r in result.reasons],
        from_police_record=from_record,
    )


@router.get(
    "/materials",
    response={200: list[MaterialOut], **error_responses(400, 422)},
    summary="申领材料一次性告知 / Everything to bring, told once",
    description="按申领条件、住所类型、是否未成年、是否代办列出全部所需材料，一次告知；"
    "系统自动获取的材料已标注。选择“合法稳定住所”（residence）时须给出住所类型。"
    "\n\nEvery item the case needs, at once, by route, housing, age and agent; items the "
    "system fetches are marked. The residence route needs `housing`.",
    openapi_extra=examples(
        responses={
            200: [
                {
                    "id": "B10",
                    "names": ["社会保险缴纳记录"],
                    "names_en": ["Social-insurance record"],
                    "issuers": ["人力资源和社会保障部门"],
                    "auto_fetched": True,
                }
            ]
        }
    ),
)
def materials(
    request: HttpRequest,
    route: Annotated[
        code_list(ROUTE_CODES),  # type: ignore[valid-type]
        Query(
            description="申领条件 / Route. 取值 / Codes: " + describe_codes(ROUTE_CODES),
            example="employment",
        ),
    ],
    housing: Annotated[
        Housing | None,
        Query(
            description="住所类型（residence 时必填）/ Housing, for the residence route. "
            "取值 / Codes: " + describe_codes(HOUSING_CODES),
            example="rented_state_land",
        ),
    ] = None,
    minor: Annotated[
        bool, Query(description="申请人未满16周岁 / The applicant is under 16", example="false")
    ] = False,
    guardian_is_parent: Annotated[
        bool, Query(description="监护人是父母 / The guardian is a parent", example=True)
    ] = True,
    by_agent: Annotated[
        bool,
        Query(
            description="由他人代办 / Someone applies on the applicant's behalf", example="false"
        ),
    ] = False,
) -> list[MaterialOut]:
    if route not in ROUTE_CODES:
        raise ApplicationError(
            "route_unknown",
            "申领条件须为 " + "、".join(ROUTE_CODES),
            "The route is one of " + ", ".join(ROUTE_CODES),
            field="route",
        )
    if route == Route.RESIDENCE and housing is None:
        raise ApplicationError(
            "housing_required",
            "选择住所条件时须给出住所类型",
            "The residence route needs housing",
            field="housing",
        )
    items = materials_for(
        route=Route(route),
        housing=housing if route == Route.RESIDENCE else None,
        minor=minor,
        guardian_is_parent=guardian_is_parent,
        by_agent=by_agent,
    )
    return [
        MaterialOut(
            id=item.id,
            names=[p.name_zh for p in item.alternatives],
            names_en=[p.name_en for p in item.alternatives],
            issuers=sorted({p.issuer_zh for p in item.alternatives}),
            auto_fetched=item.auto_fetched,
        )
        for item in items
    ]

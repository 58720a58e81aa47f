"""Who may apply for a residence permit (居住证), and from when: the rules as pure functions.

Both zones use it: the portal answers a resident's "may I apply?" before anything is sent, and
the police zone's pre-review checks the same facts again. Nothing here reads a database; the
callers bring the facts (registration periods from the register, social-insurance months from
the department data) and the deployment's local conditions (`LocalConditions`).

Rules (docs/rules.md):
- NAT-1, ZJ-14: six months of residence, counted from the residence-registration declaration
  date, plus one route — employment, residence or study; investors and introduced talent are
  exempt from the six months.
- HZ-1: the six months are continuous registration in the city, computed from the register's
  records, not from documents; a break starts the count again (HZ-10 lets a deployment tolerate
  short gaps: `LocalConditions.gap_tolerance_days`, default 0).
- HZ-2…HZ-4: the routes and their local conditions (months of social insurance, …).
- NAT-9, HZ-5: an applicant under 16 applies through a guardian; the child needs their own six
  months and the residence or study route, the guardians must hold permits, and one of them
  needs the months of social insurance.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class Route(StrEnum):
    EMPLOYMENT = "employment"  # 合法稳定就业 (HZ-2)
    RESIDENCE = "residence"  # 合法稳定住所 (HZ-3)
    STUDY = "study"  # 连续就读 (HZ-4)


@dataclass(frozen=True)
class LocalConditions:
    """A deployment's local conditions (HZ-2…HZ-5, HZ-10); defaults are Hangzhou's."""

    residence_months: int = 6
    social_insurance_months: int = 12
    gap_tolerance_days: int = 0
    guardian_applies_under: int = 16


@dataclass(frozen=True)
class RegistrationPeriod:
    """One residence registration: from its declaration date until it ended (None: current)."""

    declared_on: dt.date
    ended_on: dt.date | None = None
    in_city: bool = True


@dataclass(frozen=True)
class GuardianFacts:
    """HZ-5: what a minor's application needs of the guardians."""

    relation: str = "parent"
    guardians_hold_permits: bool = False
    social_insurance_months: int | None = None


@dataclass(frozen=True)
class RouteAnswers:
    """What the applicant (or, later, department data) says of the routes (HZ-2…HZ-5)."""

    # Employment (HZ-2): None when not known yet (the department data were not fetched).
    social_insurance_months: int | None = None
    has_employment_proof: bool = False
    has_residence_proof: bool = False
    is_enrolled: bool = False
    exempt_investor_or_talent: bool = False
    guardian: GuardianFacts | None = None


@dataclass(frozen=True)
class EligibilityFacts:
    today: dt.date
    birth_date: dt.date
    registrations: Sequence[RegistrationPeriod]
    answers: RouteAnswers = field(default_factory=RouteAnswers)


@dataclass(frozen=True)
class Reason:
    """Why, in words a resident reads; `code` is stable for tests and clients."""

    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    continuous_since: dt.date | None
    registered_months: int
    eligible_from: dt.date | None
    routes_met: frozenset[Route]
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
    through_guardian: bool = False


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus calendar months; the 31st becomes the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def whole_months_between(start: dt.date, end: dt.date) -> int:
    """Completed calendar months from `start` to `end` (5 months 29 days is 5)."""
    if end < start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    return months if add_months(start, months) <= end else months - 1


def age_on(birth_date: dt.date, day: dt.date) -> int:
    years = day.year - birth_date.year
    return years - 1 if (day.month, day.day) < (birth_date.month, birth_date.day) else years


def continuous_since(
    registrations: Sequence[RegistrationPeriod],
    today: dt.date,
    conditions: LocalConditions | None = None,
) -> dt.date | None:
    """Start of the unbroken run of in-city registration that reaches `today` (HZ-1), or None.

    A gap longer than `gap_tolerance_days` between one registration's end and the next one's
    declaration breaks the run; a registration outside the city does not count."""
    conditions = conditions or LocalConditions()
    periods = sorted(
        (p for p in registrations if p.in_city and p.declared_on <= today),
        key=lambda p: p.declared_on,
    )
    run_start: dt.date | None = None
    run_end: dt.date | None = None  # None while the run is open-ended
    tolerance = dt.timedelta(days=conditions.gap_tolerance_days + 1)
    for period in periods:
        joins = run_start is not None and (
            run_end is None or period.declared_on <= run_end + tolerance
        )
        if not joins:
            run_start = period.declared_on
            run_end = period.ended_on
        elif run_end is not None:
            run_end = None if period.ended_on is None else max(run_end, period.ended_on)
    if run_start is None or (run_end is not None and run_end < today):
        return None
    return run_start


def _route_reasons(facts: EligibilityFacts, conditions: LocalConditions) -> dict[Route, Reason]:
    """For each route the applicant does not (yet) meet, what is missing."""
    missing: dict[Route, Reason] = {}
    insurance = facts.answers.social_insurance_months
    if (
        insurance is None
        or insurance < conditions.social_insurance_months
        or not (facts.answers.has_employment_proof)
    ):
        have = "未查询到" if insurance is None else f"目前连续{insurance}个月"
        have_en = "not found" if insurance is None else f"{insurance} continuous months so far"
        missing[Route.EMPLOYMENT] = Reason(
            "employment_not_met",
            f"就业条件：需在本市连续缴纳社会保险满{conditions.social_insurance_months}个月"
            f"（{have}），并有1年以上劳动合同或营业执照等就业证明",
            f"Employment: {conditions.social_insurance_months} continuous months of social "
            f"insurance in the city ({have_en}) and a labour contract of a year or more, a "
            "business licence or similar",
        )
    if not facts.answers.has_residence_proof:
        missing[Route.RESIDENCE] = Reason(
            "residence_not_met",
            "住所条件：需有自有房屋产权证明，或已备案的租赁合同，或单位宿舍、直系亲属房屋证明，"
            "且住址与居住登记地址一致",
            "Residence: an owned home, a filed lease, an employer dormitory or a direct "
            "relative's home, at the registered address",
        )
    if not facts.answers.is_enrolled:
        missing[Route.STUDY] = Reason(
            "study_not_met",
            "就读条件：需在本市学校连续就读",
            "Study: continuous enrolment at a school in the city",
        )
    return missing


def assess(facts: EligibilityFacts, conditions: LocalConditions | None = None) -> Eligibility:
    """Whether the applicant may apply today, since when they could, and every reason why not
    (all at once: a resident should learn everything in one answer, NAT-11)."""
    conditions = conditions or LocalConditions()
    reasons: list[Reason] = []
    age = age_on(facts.birth_date, facts.today)
    minor = age < conditions.guardian_applies_under
    since = continuous_since(facts.registrations, facts.today, conditions)
    months = whole_months_between(since, facts.today) if since else 0
    eligible_from: dt.date | None = None

    if facts.answers.exempt_investor_or_talent and not minor:
        eligible_from = facts.today
    elif since is None:
        reasons.append(
            Reason(
                "not_registered",
                "本市没有您正在有效的居住登记：请先申报居住登记，登记满"
                f"{conditions.residence_months}个月后即可申领",
                "You have no current residence registration in the city: declare it first; "
                f"you can apply {conditions.residence_months} months after it",
            )
        )
    else:
        eligible_from = add_months(since, conditions.residence_months)
        if eligible_from > facts.today:
            wait = whole_months_between(facts.today, eligible_from)
            reasons.append(
                Reason(
                    "six_months_not_reached",
                    f"居住登记自{since.isoformat()}起已连续{months}个月，需满"
                    f"{conditions.residence_months}个月；预计{eligible_from.isoformat()}起可申领"
                    + (f"（约再等{wait}个月）" if wait else ""),
                    f"Registered continuously since {since.isoformat()} ({months} months); "
                    f"{conditions.residence_months} are needed, so you can apply from "
                    f"{eligible_from.isoformat()}",
                )
            )

    missing = _route_reasons(facts, conditions)
    allowed = {Route.RESIDENCE, Route.STUDY} if minor else set(Route)
    met = frozenset(route for route in allowed if route not in missing)
    if not met:
        reasons.extend(missing[route] for route in sorted(allowed, key=lambda r: r.value))

    if minor:
        guardian = facts.answers.guardian
        if guardian is None:
            reasons.append(
                Reason(
                    "guardian_required",
                    "未满16周岁的，由监护人代为申领：请由父母或其他监护人办理",
                    "Under 16: a parent or other guardian applies on your behalf",
                )
            )
        else:
            if not guardian.guardians_hold_permits:
                reasons.append(
                    Reason(
                        "guardian_permit_required",
                        "未成年人申领需父母（或其他监护人）持有有效的浙江省居住证",
                        "The parents (or other guardians) must hold a valid permit",
                    )
                )
            insured = guardian.social_insurance_months
            if insured is None or insured < conditions.social_insurance_months:
                reasons.append(
                    Reason(
                        "guardian_insurance_required",
                        f"未成年人申领需一方监护人在本市连续缴纳社会保险满"
                        f"{conditions.social_insurance_months}个月",
                        "One guardian needs "
                        f"{conditions.social_insurance_months} continuous months of social "
                        "insurance in the city",
                    )
                )

    return Eligibility(
        eligible=not reasons,
        continuous_since=since,
        registered_months=months,
        eligible_from=eligible_from,
        routes_met=met,
        reasons=tuple(reasons),
        through_guardian=minor,
    )

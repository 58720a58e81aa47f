"""Who may apply for a residence permit and from when (NAT-1, NAT-9, ZJ-14, HZ-1…HZ-5, HZ-10),
with the boundary cases: 5 months 29 days against 6 months, a break in registration, a minor of
15 and of 16, a guardian who is not a parent."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onetrip.common.permit_eligibility import (
    EligibilityFacts,
    GuardianFacts,
    LocalConditions,
    RegistrationPeriod,
    Route,
    RouteAnswers,
    add_months,
    assess,
    continuous_since,
    whole_months_between,
)

TODAY = dt.date(2026, 11, 30)
ADULT = dt.date(1990, 1, 1)


def facts(
    *periods: RegistrationPeriod, today=TODAY, birth_date=ADULT, **answers
) -> EligibilityFacts:
    given = {"social_insurance_months": 24, "has_employment_proof": True}
    given.update(answers)
    return EligibilityFacts(
        today=today, birth_date=birth_date, registrations=periods, answers=RouteAnswers(**given)
    )


def codes(result) -> set[str]:
    return {r.code for r in result.reasons}


def test_zj14_six_months_from_the_declaration_date_is_eligible():
    result = assess(facts(RegistrationPeriod(dt.date(2026, 5, 30))))
    assert result.eligible
    assert result.registered_months == 6
    assert result.eligible_from == dt.date(2026, 11, 30)
    assert Route.EMPLOYMENT in result.routes_met


def test_zj14_five_months_twenty_nine_days_is_not_yet_and_says_when():
    result = assess(facts(RegistrationPeriod(dt.date(2026, 6, 1))))
    assert not result.eligible
    assert result.registered_months == 5
    assert result.eligible_from == dt.date(2026, 12, 1)
    [reason] = result.reasons
    assert reason.code == "six_months_not_reached"
    assert "2026-12-01" in reason.zh


def test_hz1_a_break_in_registration_starts_the_count_again():
    result = assess(
        facts(
            RegistrationPeriod(dt.date(2025, 1, 10), ended_on=dt.date(2026, 8, 31)),
            RegistrationPeriod(dt.date(2026, 9, 20)),
        )
    )
    assert result.continuous_since == dt.date(2026, 9, 20)
    assert codes(result) == {"six_months_not_reached"}


def test_hz1_a_move_without_a_gap_keeps_the_run():
    result = assess(
        facts(
            RegistrationPeriod(dt.date(2025, 1, 10), ended_on=dt.date(2026, 8, 31)),
            RegistrationPeriod(dt.date(2026, 9, 1)),
        )
    )
    assert result.continuous_since == dt.date(2025, 1, 10)
    assert result.eligible


def test_hz10_a_deployment_may_tolerate_short_gaps():
    periods = (
        RegistrationPeriod(dt.date(2025, 1, 10), ended_on=dt.date(2026, 8, 31)),
        RegistrationPeriod(dt.date(2026, 9, 20)),
    )
    tolerant = LocalConditions(gap_tolerance_days=30)
    assert continuous_since(periods, TODAY, tolerant) == dt.date(2025, 1, 10)


def test_hz1_registration_outside_the_city_does_not_count():
    result = assess(facts(RegistrationPeriod(dt.date(2025, 1, 1), in_city=False)))
    assert codes(result) == {"not_registered"}


def test_hz1_an_ended_registration_is_no_current_residence():
    result = assess(facts(RegistrationPeriod(dt.date(2025, 1, 1), ended_on=dt.date(2026, 10, 1))))
    assert codes(result) == {"not_registered"}


def test_zj14_investors_and_talent_are_exempt_from_six_months():
    result = assess(facts(RegistrationPeriod(dt.date(2026, 11, 1)), exempt_investor_or_talent=True))
    assert result.eligible


def test_nat1_one_route_is_needed_and_every_missing_one_is_said_at_once():
    result = assess(facts(RegistrationPeriod(dt.date(2025, 1, 1)), social_insurance_months=8))
    assert not result.eligible
    assert codes(result) == {"employment_not_met", "residence_not_met", "study_not_met"}
    employment = next(r for r in result.reasons if r.code == "employment_not_met")
    assert "12个月" in employment.zh and "8个月" in employment.zh


def test_hz3_the_residence_route_alone_is_enough():
    result = assess(
        facts(
            RegistrationPeriod(dt.date(2025, 1, 1)),
            social_insurance_months=None,
            has_employment_proof=False,
            has_residence_proof=True,
        )
    )
    assert result.eligible
    assert result.routes_met == {Route.RESIDENCE}


def test_hz2_local_conditions_are_settings():
    strict = LocalConditions(social_insurance_months=36)
    result = assess(facts(RegistrationPeriod(dt.date(2025, 1, 1))), strict)
    assert "employment_not_met" in codes(result)


def _minor(birth: dt.date, guardian: GuardianFacts | None) -> EligibilityFacts:
    return facts(
        RegistrationPeriod(dt.date(2025, 1, 1)),
        birth_date=birth,
        social_insurance_months=None,
        has_employment_proof=False,
        is_enrolled=True,
        guardian=guardian,
    )


GOOD_GUARDIAN = GuardianFacts(guardians_hold_permits=True, social_insurance_months=18)


def test_nat9_hz5_a_minor_of_15_applies_through_a_guardian():
    result = assess(_minor(dt.date(2011, 12, 1), GOOD_GUARDIAN))
    assert result.through_guardian
    assert result.eligible
    assert codes(assess(_minor(dt.date(2011, 12, 1), None))) == {"guardian_required"}


def test_nat9_at_16_the_applicant_applies_in_person():
    result = assess(_minor(dt.date(2010, 11, 30), None))
    assert not result.through_guardian
    assert result.eligible  # enrolled: the study route


def test_hz5_guardians_need_permits_and_one_of_them_social_insurance():
    weak = GuardianFacts(guardians_hold_permits=False, social_insurance_months=6)
    result = assess(_minor(dt.date(2015, 3, 1), weak))
    assert codes(result) == {"guardian_permit_required", "guardian_insurance_required"}


def test_hz5_a_guardian_who_is_not_a_parent_is_held_to_the_same_conditions():
    grandparent = GuardianFacts(
        relation="grandparent", guardians_hold_permits=True, social_insurance_months=18
    )
    assert assess(_minor(dt.date(2015, 3, 1), grandparent)).eligible
    weak = GuardianFacts(relation="grandparent", guardians_hold_permits=True)
    assert codes(assess(_minor(dt.date(2015, 3, 1), weak))) == {"guardian_insurance_required"}


def test_hz5_a_minor_cannot_rely_on_the_employment_route():
    result = assess(
        facts(
            RegistrationPeriod(dt.date(2025, 1, 1)),
            birth_date=dt.date(2012, 1, 1),
            guardian=GOOD_GUARDIAN,
        )
    )
    assert codes(result) == {"residence_not_met", "study_not_met"}


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 8, 31), 6, dt.date(2027, 2, 28)),
        (dt.date(2024, 8, 31), 6, dt.date(2025, 2, 28)),
        (dt.date(2023, 8, 31), 6, dt.date(2024, 2, 29)),
        (dt.date(2026, 1, 15), 12, dt.date(2027, 1, 15)),
    ],
)
def test_add_months_clamps_to_the_end_of_a_short_month(day, months, expected):
    assert add_months(day, months) == expected


@settings(max_examples=300, deadline=None, database=None)
@given(
    start=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)),
    months=st.integers(min_value=0, max_value=120),
)
def test_whole_months_agrees_with_add_months(start, months):
    end = add_months(start, months)
    assert whole_months_between(start, end) == months
    assert whole_months_between(start, end - dt.timedelta(days=1)) == max(months - 1, 0) or (
        months == 0
    )

"""The one-time materials list (DOC-1…DOC-3, HZ-7, NAT-9): route → required proofs, minus what
the system fetches and what was provided; every item once, with stable catalogue ids."""

from __future__ import annotations

import pytest

from onetrip.common.permit_eligibility import Route
from onetrip.common.permit_materials import CATALOGUE, Housing, materials_for


def ids(items) -> list[str]:
    return [item.id for item in items]


def test_doc2_the_catalogue_has_31_stable_ids_in_four_categories():
    assert len(CATALOGUE) == 31
    assert [p.id for p in CATALOGUE][:3] == ["A1", "A2", "A3"]
    assert CATALOGUE[-1].id == "D31"
    assert {p.category.value for p in CATALOGUE} == {"A", "B", "C", "D"}


def test_doc3_employment_route_needs_insurance_and_one_employment_proof():
    items = materials_for(route=Route.EMPLOYMENT)
    assert ids(items) == ["A1", "A8", "A9", "B10", "B11/B12/B13/B14/B15/B16/B17"]


def test_hz7_fetched_items_are_marked():
    items = {item.id: item for item in materials_for(route=Route.EMPLOYMENT)}
    assert items["B10"].auto_fetched
    assert not items["A8"].auto_fetched  # the photo is uploaded and checked (DOC-4)
    assert not items["B11/B12/B13/B14/B15/B16/B17"].auto_fetched


def test_hz3_a_rented_home_on_state_land_needs_the_lease_the_title_the_pledge_and_the_filing():
    items = materials_for(route=Route.RESIDENCE, housing=Housing.RENTED_STATE_LAND)
    assert ids(items) == ["A1", "A8", "A9", "C19/C20", "C23", "C24", "C25"]


def test_hz3_collective_land_takes_the_safety_check_instead_of_the_filing():
    items = materials_for(route=Route.RESIDENCE, housing=Housing.RENTED_COLLECTIVE_LAND)
    assert "C26" in ids(items) and "C25" not in ids(items)


def test_nat9_hz5_a_minor_adds_household_parents_permits_and_the_agent():
    items = materials_for(route=Route.STUDY, minor=True)
    assert ids(items) == ["A1", "A2/A3", "A6", "A7", "A8", "A9", "D31"]


def test_hz5_a_guardian_who_is_not_a_parent_adds_proof_of_guardianship():
    with_parent = ids(materials_for(route=Route.STUDY, minor=True))
    with_other = ids(materials_for(route=Route.STUDY, minor=True, guardian_is_parent=False))
    assert set(with_other) - set(with_parent) == {"A5"}


def test_doc3_provided_items_are_marked_by_any_alternative():
    items = {i.id: i for i in materials_for(route=Route.EMPLOYMENT, provided=["B13"])}
    assert items["B11/B12/B13/B14/B15/B16/B17"].provided
    assert not items["B10"].provided


def test_every_item_appears_once_even_when_two_rules_ask_for_it():
    items = materials_for(route=Route.RESIDENCE, housing=Housing.DORMITORY, by_agent=True)
    assert len(ids(items)) == len(set(ids(items)))


def test_the_residence_route_needs_the_housing():
    with pytest.raises(ValueError):
        materials_for(route=Route.RESIDENCE)

"""The workbench API's change (ZJ-11) and cancel (WF-1) endpoints answer as documented, with the
one error body, for the station now responsible only."""

from __future__ import annotations

import pytest

from onetrip.common import divisions
from onetrip.police.register.models import ResidenceDeclaration
from onetrip.police.register.services import declaration_verify
from tests.api_document import connections_kept_open
from tests.fixtures import HUBIN_STREET
from tests.police.workbench.test_api_schema import REFERENCES, _call, clerk_session, received

__all__ = ["clerk_session", "connections_kept_open", "received"]

pytestmark = [
    pytest.mark.django_db(databases=["default", "police"]),
    pytest.mark.usefixtures(connections_kept_open.__name__),
]

CHANGE = "/api/v1/declarations/{reference}/change"
CANCEL = "/api/v1/declarations/{reference}/cancel"


def test_zj_11_api_change_moves_the_registration_then_the_old_station_cannot_cancel(
    clerk, clerk_session, hubin
):
    reference = REFERENCES[0]
    declaration = declaration_verify(user=clerk, reference=reference)
    body = {
        "changed_on": declaration.registered_on.isoformat(),
        "community_code": divisions.communities_of(HUBIN_STREET)[0].code,
        "address_detail": "湖滨路 1 号",
        "housing_type": "dormitory",
    }
    changed = _call(
        "POST", CHANGE, clerk_session, path_parameters={"reference": reference}, body=body
    )
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["status"], changed.json()["station_code"]) == ("changed", hubin.code)
    refused = _call(
        "POST",
        CANCEL,
        clerk_session,
        path_parameters={"reference": reference},
        body={"reason": "duplicate"},
    )
    assert refused.status_code == 404
    assert ResidenceDeclaration.objects.get(reference=reference).status == "changed"


def test_wf1_api_cancel_and_the_errors_of_a_bad_request(clerk, clerk_session):
    reference = REFERENCES[1]
    not_yet = _call(
        "POST",
        CANCEL,
        clerk_session,
        path_parameters={"reference": reference},
        body={"reason": "died"},
    )
    assert (not_yet.status_code, not_yet.json()["code"]) == (409, "not_registered")
    declaration_verify(user=clerk, reference=reference)
    nothing = _call(
        "POST",
        CHANGE,
        clerk_session,
        path_parameters={"reference": reference},
        body={"changed_on": "2999-01-01"},
    )
    assert (nothing.status_code, nothing.json()["code"]) == (400, "invalid_change")
    other = _call(
        "POST",
        CANCEL,
        clerk_session,
        path_parameters={"reference": reference},
        body={"reason": "other"},
    )
    assert (other.status_code, other.json()["code"]) == (400, "cancel_note_required")
    cancelled = _call(
        "POST",
        CANCEL,
        clerk_session,
        path_parameters={"reference": reference},
        body={"reason": "died"},
    )
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["permit_effect"]) == (
        "cancelled",
        "holder_deceased",
    )

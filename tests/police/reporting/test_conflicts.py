"""The station resolves the conflicts reports raise in its jurisdiction (WF-6: audited)."""

from __future__ import annotations

import pytest

from onetrip.police.audit.models import AuditEvent
from onetrip.police.reporting.errors import ConflictNotFound, ReportingError
from onetrip.police.reporting.models import ReportConflict
from onetrip.police.reporting.selectors import conflicts_for_staff
from onetrip.police.reporting.services import conflict_can_resolve, conflict_resolve
from tests.fixtures import staff

from .helpers import city_admin, district_admin, make_conflict

pytestmark = pytest.mark.django_db(databases=["default", "police"])

NOTE = "经上门核实，该人员实际居住于曙光路99号"


def test_station_staff_resolve_a_conflict_of_their_station_once(beishan):
    conflict_id = make_conflict()
    officer = staff("field_beishan", "field_officer", beishan)
    conflict = conflict_resolve(user=officer, conflict_id=conflict_id, note=NOTE)
    assert conflict.resolved_by == officer
    assert conflict.resolution == NOTE.rstrip("。")
    event = AuditEvent.objects.get(action="report_conflict.resolve")
    assert (event.object_id, event.detail) == (str(conflict_id), {"kind": "two_places_same_day"})
    assert NOTE not in str(event.detail)
    with pytest.raises(ReportingError) as again:
        conflict_resolve(user=officer, conflict_id=conflict_id, note=NOTE)
    assert again.value.status == 409
    assert conflicts_for_staff(user=officer) == []
    assert [c.pk for c in conflicts_for_staff(user=officer, resolved=True)] == [conflict_id]


def test_a_resolution_says_what_was_found(beishan):
    conflict_id = make_conflict()
    with pytest.raises(ReportingError) as short:
        conflict_resolve(
            user=staff("c1", "window_clerk", beishan), conflict_id=conflict_id, note="好"
        )
    assert short.value.field == "note"


def test_administrators_see_conflicts_but_the_station_resolves_them(beishan):
    conflict_id = make_conflict()
    conflict = ReportConflict.objects.get(pk=conflict_id)
    for user in (district_admin(), city_admin()):
        assert [c.pk for c in conflicts_for_staff(user=user)] == [conflict_id]
        assert not conflict_can_resolve(user=user, conflict=conflict)
        with pytest.raises(ReportingError) as refused:
            conflict_resolve(user=user, conflict_id=conflict_id, note=NOTE)
        assert refused.value.status == 403
    assert ReportConflict.objects.get(pk=conflict_id).resolved_at is None


def test_another_station_does_not_find_the_conflict(beishan, hubin):
    conflict_id = make_conflict()
    other = staff("clerk_hubin", "window_clerk", hubin)
    assert conflicts_for_staff(user=other) == []
    with pytest.raises(ConflictNotFound):
        conflict_resolve(user=other, conflict_id=conflict_id, note=NOTE)
    assert AuditEvent.objects.filter(
        success=False, object_type="report_conflict", object_id=str(conflict_id)
    ).exists()
    auditor = staff("audit", "audit_admin", None)
    with pytest.raises(ReportingError) as refused:
        conflicts_for_staff(user=auditor)
    assert refused.value.status == 403

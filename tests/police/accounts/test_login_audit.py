"""MLPS-5: staff log-ins, failed and successful, are in the audit log."""

import pytest

from onetrip.police.audit.models import AuditEvent
from tests.fixtures import (
    reference_data,  # noqa: F401  (fixture)
    staff,
)

pytestmark = [
    pytest.mark.django_db(databases=["default", "police"]),
    pytest.mark.usefixtures("reference_data"),
]


def test_mlps5_failed_and_successful_logins_are_audited(police_client):
    from onetrip.police.stations.models import Station

    staff("clerk_audit", "window_clerk", Station.objects.first())
    police_client.post("/login/", {"username": "clerk_audit", "password": "wrong-password"})
    police_client.post("/login/", {"username": "clerk_audit", "password": "x-Strong-pass-9"})
    actions = list(
        AuditEvent.objects.filter(object_id="clerk_audit")
        .order_by("sequence")
        .values_list("action", "success")
    )
    assert actions == [("login.failure", False), ("login.success", True)]

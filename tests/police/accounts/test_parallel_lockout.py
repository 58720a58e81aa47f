"""The staff log-in lockout holds under parallel attempts (MLPS-3 b): 20 wrong passwords at once
lock the account after exactly the allowed failures, and no attempt fails with a server error."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from onetrip.police.accounts.errors import LoginLocked, LoginRefused
from onetrip.police.accounts.models import LoginThrottle, Role
from onetrip.police.accounts.services import staff_create, staff_login
from onetrip.police.audit.models import AuditEvent

pytestmark = pytest.mark.django_db(databases=["default", "police"], transaction=True)

PASSWORD = "a-Long-pass-2024"


def test_mlps3_parallel_wrong_passwords_lock_after_exactly_the_limit(beishan):
    staff_create(
        username="clerk_beishan",
        password=PASSWORD,
        full_name="陈晓明",
        role=Role.WINDOW_CLERK,
        station=beishan,
    )

    def attempt(_: int) -> str:
        try:
            staff_login(request=None, username="clerk_beishan", password="wrong")
        except LoginLocked:
            return "locked"
        except LoginRefused:
            return "refused"
        finally:
            connections.close_all()
        return "in"

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(attempt, range(20)))
    assert outcomes.count("in") == 0
    assert outcomes.count("refused") == 4
    assert outcomes.count("locked") == 16
    assert AuditEvent.objects.filter(action="login.failure").count() == 4
    assert AuditEvent.objects.filter(action="login.locked").count() == 1
    assert LoginThrottle.objects.get(username="clerk_beishan").locked_until is not None

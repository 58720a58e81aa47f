"""The staff log-in lockout holds under parallel attempts (MLPS-3 b): 20 wrong passwords at once
lock the account, and no attempt fails with a server error.

Attempts for one username run one at a time (`lockout.attempts_of_one_username`), so django-axes
never records one failure twice (two rows made the next attempt fail on PostgreSQL) and no
attempt is checked once the limit is reached; the bound asserted below is the looser one that
holds even without that lock."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from onetrip.police.accounts.errors import LoginLocked, LoginRefused
from onetrip.police.accounts.models import Role
from onetrip.police.accounts.selectors import login_locked_until
from onetrip.police.accounts.services import staff_create, staff_login
from onetrip.police.audit.models import AuditEvent

pytestmark = pytest.mark.django_db(databases=["default", "police"], transaction=True)

PASSWORD = "a-Long-pass-2024"


WORKERS = 10
LIMIT = 5


def test_mlps3_parallel_wrong_passwords_lock_the_account(beishan):
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

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = list(pool.map(attempt, range(20)))
    assert outcomes.count("in") == 0
    refused = outcomes.count("refused")
    assert LIMIT - 1 <= refused <= LIMIT - 1 + WORKERS - 1
    assert outcomes.count("locked") == 20 - refused
    checked = AuditEvent.objects.filter(action__in=["login.failure", "login.locked"]).count()
    assert checked <= LIMIT + WORKERS - 1
    assert AuditEvent.objects.filter(action="login.failure").count() == refused
    assert login_locked_until(username="clerk_beishan") is not None
    with pytest.raises(LoginLocked):
        staff_login(request=None, username="clerk_beishan", password=PASSWORD)

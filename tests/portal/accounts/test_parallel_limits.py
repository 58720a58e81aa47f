"""Sign-in limits hold under parallel requests on SQLite and PostgreSQL alike: no 5xx, no
"database is locked", and never more tries than the limit (hostile testing: 40 parallel wrong
codes gave 3 × 500)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from onetrip.portal.accounts.models import SmsLoginCode
from onetrip.portal.accounts.services import MAX_ATTEMPTS

pytestmark = pytest.mark.django_db(databases=["default", "police"], transaction=True)

PHONE = "13800138000"


def _post(path: str, body: dict) -> int:
    try:
        return (
            Client(HTTP_HOST="portal.testserver")
            .post(path, body, content_type="application/json")
            .status_code
        )
    finally:
        connections.close_all()


def test_forty_parallel_wrong_codes_count_exactly_and_never_fail(sms_simulator):
    assert _post("/api/v1/auth/sms-code", {"phone": PHONE}) == 202
    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(
            pool.map(
                lambda n: _post("/api/v1/auth/token", {"phone": PHONE, "code": f"{n:06d}"}),
                range(40),
            )
        )
    assert all(code == 400 for code in codes), codes
    assert SmsLoginCode.objects.get().attempts == MAX_ATTEMPTS


def test_parallel_code_requests_for_one_number_send_one_code(sms_simulator):
    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(
            pool.map(lambda _: _post("/api/v1/auth/sms-code", {"phone": PHONE}), range(10))
        )
    assert sorted(codes) == [202] + [429] * 9, codes
    assert SmsLoginCode.objects.count() == 1

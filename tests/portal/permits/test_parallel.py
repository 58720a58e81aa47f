"""The application's limits hold under parallel requests (real threads and connections): never
more drafts than the limit, never two applications in progress for one person, never more
uploads than the limit; no 5xx and no "database is locked"."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from onetrip.portal.api.auth import token_for
from onetrip.portal.permits.applications import MAX_OPEN_DRAFTS, permit_application_submit
from onetrip.portal.permits.errors import ApplicationDuplicate
from onetrip.portal.permits.models import PermitApplication

from .permit_helpers import draft, known_to_the_register

pytestmark = [
    pytest.mark.django_db(databases=["default", "police"], transaction=True),
    pytest.mark.usefixtures("files_dir"),
]


def test_parallel_starts_never_make_more_drafts_than_the_limit(resident):
    token = token_for(resident)

    def start(_: int) -> int:
        try:
            return (
                Client(HTTP_HOST="portal.testserver")
                .post(
                    "/api/v1/permit/applications",
                    {"kind": "first"},
                    content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {token}",
                )
                .status_code
            )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(start, range(10)))
    assert sorted(codes) == [201] * MAX_OPEN_DRAFTS + [409] * (10 - MAX_OPEN_DRAFTS), codes
    assert PermitApplication.objects.count() == MAX_OPEN_DRAFTS


def test_two_parallel_submissions_of_one_person_let_one_through(resident):
    known_to_the_register(resident)
    drafts = [draft(resident), draft(resident)]

    def submit(application: PermitApplication) -> str:
        try:
            permit_application_submit(
                resident=resident, reference=application.reference, consent=True
            )
            return "submitted"
        except ApplicationDuplicate:
            return "duplicate"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(submit, drafts))
    assert outcomes == ["duplicate", "submitted"]
    assert PermitApplication.objects.filter(status="submitted").count() == 1

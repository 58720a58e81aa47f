"""Card production on the workbench: the clerk gathers, exports and downloads the day's batch
and uploads the bureau's return; a bad return is shown row by row and applies nothing; other
stations and other roles get 404 or 403."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onetrip.police.audit.models import AuditEvent
from onetrip.police.permits.models import PermitCase, ProductionBatch
from onetrip.police.permits.production import production_file_verify
from tests.fixtures import staff

from . import production_helpers
from .conftest import client_of
from .production_helpers import Team, approve, permit_of, return_csv

pytestmark = pytest.mark.django_db(databases=["default", "police"])
production_key = production_helpers.production_key
delivery_calls = production_helpers.delivery_calls


@pytest.fixture
def team(beishan):
    return Team(beishan, "bs")


@pytest.fixture
def cards(team, production_key, delivery_calls):
    return [approve(team, 1), approve(team, 2)]


def _upload(content: bytes, name: str = "return.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_a_clerks_batch_from_the_queue_to_the_bureau_and_back(cards, team, production_key):
    clerk = client_of(team.clerk)
    queue = clerk.get("/station/", {"task": "produce"}).content.decode()
    assert 'id="production-link"' in queue
    page = clerk.get("/production/").content.decode()
    assert all(c.reference in page for c in cards) and 'id="assemble"' in page
    response = clerk.post("/production/assemble/")
    batch = ProductionBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/production/batches/{batch.number}/"
    page = clerk.get(response["Location"]).content.decode()
    assert 'id="export"' in page and "组批中" in page
    response = clerk.post(f"/production/batches/{batch.number}/export/")
    assert response.status_code == 302
    page = clerk.get(response["Location"]).content.decode()
    batch.refresh_from_db()
    assert batch.file_sha256 in page and 'id="download"' in page
    download = clerk.get(f"/production/batches/{batch.number}/download/")
    assert download["Content-Type"] == "application/zip"
    assert download["Cache-Control"] == "private, no-store"
    assert production_file_verify(download.content, production_key)["count"] == 2

    failed = permit_of(cards[0]).permit_number
    content = return_csv(
        (failed, "failed", "相片不合格"), (permit_of(cards[1]).permit_number, "printed", "")
    )
    response = clerk.post("/production/import/", {"file": _upload(content)})
    assert response.status_code == 302
    page = clerk.get("/production/").content.decode()
    assert "已制成1张，制证失败1张" in page
    assert cards[0].reference in page and "相片不合格" in page  # waiting again, with the reason
    again = clerk.post("/production/import/", {"file": _upload(content)}, follow=True)
    assert "此前已导入" in again.content.decode()


def test_a_bad_return_is_shown_row_by_row_and_applies_nothing(cards, team):
    clerk = client_of(team.clerk)
    clerk.post("/production/assemble/")
    batch = ProductionBatch.objects.get()
    clerk.post(f"/production/batches/{batch.number}/export/")
    content = return_csv(
        (permit_of(cards[0]).permit_number, "printed", ""),
        (permit_of(cards[1]).permit_number, "done", ""),
    )
    response = clerk.post("/production/import/", {"file": _upload(content)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "整个文件未导入" in page
    assert "第3行“结果”列（值“done”）" in page
    assert set(PermitCase.objects.values_list("status", flat=True)) == {"in_production"}


def test_a_clerk_of_another_station_gets_404_for_the_batch(cards, team, hubin):
    clerk = client_of(team.clerk)
    clerk.post("/production/assemble/")
    number = ProductionBatch.objects.get().number
    other = client_of(staff("clerk_hubin", "window_clerk", hubin))
    assert other.get(f"/production/batches/{number}/").status_code == 404
    assert other.post(f"/production/batches/{number}/export/").status_code == 404
    assert other.get(f"/production/batches/{number}/download/").status_code == 404
    page = other.get("/production/").content.decode()
    assert cards[0].reference not in page
    assert ProductionBatch.objects.get().status == "open"


@pytest.mark.parametrize("role", ["reviewer", "approver", "field_officer"])
def test_roles_without_the_cards_get_403(cards, beishan, role):
    user = client_of(staff(f"x_{role}", role, beishan))
    assert user.get("/production/").status_code == 403
    assert user.post("/production/assemble/").status_code == 403
    assert user.post("/production/import/", {"file": _upload(b"x")}).status_code == 403
    assert not ProductionBatch.objects.exists()


def test_the_station_admin_stands_in_for_the_clerk(cards, beishan):
    admin = client_of(staff("admin_bs", "station_admin", beishan))
    assert admin.post("/production/assemble/").status_code == 302
    assert ProductionBatch.objects.get().card_count == 2


def test_the_waiting_list_is_audited_as_a_read_of_masked_names(cards, team):
    client_of(team.clerk).get("/production/")
    read = AuditEvent.objects.filter(
        action="production_batch.view_personal_data", object_id="waiting"
    ).get()
    assert read.detail == {"fields": ["name:masked"]}

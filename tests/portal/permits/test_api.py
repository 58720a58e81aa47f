"""The channel API for a permit application (WF-2, DOC-1…DOC-4, HZ-7, PI-2): the same services
as the pages, every problem at once in the one error body, and another resident's application
answers 404 on every operation."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from onetrip.portal.api.auth import token_for
from onetrip.portal.permits.applications import permit_application_apply_status
from onetrip.portal.permits.models import PermitApplication

from .permit_helpers import (
    FORM,
    PDF,
    RENTED,
    draft,
    jpeg,
    known_to_the_register,
    status,
    stored_files,
    upload,
)

pytestmark = [
    pytest.mark.django_db(databases=["default", "police"]),
    pytest.mark.usefixtures("files_dir"),
]

HOST = "portal.testserver"
BASE = "/api/v1/permit/applications"


class Api:
    """A channel client signed in as one resident."""

    def __init__(self, client: Client, resident) -> None:
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(resident)}", "HTTP_HOST": HOST}

    def get(self, path: str):
        return self.client.get(path, **self.headers)

    def json(self, method: str, path: str, body=None):
        call = getattr(self.client, method)
        return call(path, body or {}, content_type="application/json", **self.headers)

    def upload(self, path: str, item: str, content: bytes, name: str = "f.jpg"):
        return self.client.post(
            path,
            {"item": item, "file": SimpleUploadedFile(name, content, "image/jpeg")},
            **self.headers,
        )


@pytest.fixture
def api(resident):
    return Api(Client(), resident)


@pytest.fixture
def stranger(db):
    from onetrip.portal.accounts.models import Resident
    from onetrip.portal.accounts.services import phone_hash_of

    other = Resident.objects.create(phone="13900139000", phone_hash=phone_hash_of("13900139000"))
    return Api(Client(), other)


def test_wf2_a_whole_application_through_the_api(resident, api):
    known_to_the_register(resident)
    created = api.json("post", BASE, {"kind": "first"})
    assert created.status_code == 201, created.json()
    body = created.json()
    reference = body["reference"]
    assert (body["status"], body["form"]["name"], body["revision"]) == ("draft", "张三", 0)
    assert "个人信息" in body["consent_text"]

    bad = api.json("patch", f"{BASE}/{reference}", {"phone": "1234", "route": "lottery"})
    assert bad.status_code == 400
    assert {e["field"]: e["code"] for e in bad.json()["errors"]} == {
        "phone": "phone_format",
        "route": "choice",
    }
    saved = api.json("patch", f"{BASE}/{reference}", {**RENTED, "postal_address": None})
    assert saved.status_code == 200, saved.json()
    keys = [line["key"] for line in saved.json()["materials"] if line["required_upload"]]
    assert keys == ["photo", "C23", "C24"]

    refused = api.json("post", f"{BASE}/{reference}/submit", {"consent": False})
    assert refused.status_code == 400
    codes = {e["field"]: e["code"] for e in refused.json()["errors"]}
    assert codes == {
        "consent": "consent_required",
        "photo": "photo_missing",
        "C23": "document_missing",
        "C24": "document_missing",
    }

    photo = api.upload(f"{BASE}/{reference}/documents", "photo", jpeg(size=(100, 100)))
    assert photo.status_code == 400 and photo.json()["code"] == "photo_size"
    for item, content in (("photo", jpeg()), ("C23", PDF), ("C24", PDF)):
        answer = api.upload(f"{BASE}/{reference}/documents", item, content)
        assert answer.status_code == 201, answer.json()
        assert answer.json()["item"] == item

    submitted = api.json("post", f"{BASE}/{reference}/submit", {"consent": True})
    assert submitted.status_code == 200, submitted.json()
    assert (submitted.json()["status"], submitted.json()["revision"]) == ("submitted", 1)
    listed = api.get(BASE).json()
    assert [a["reference"] for a in listed] == [reference]

    materials = api.get(f"{BASE}/{reference}/materials")
    assert all(line["provided"] for line in materials.json() if line["required_upload"])
    pdf = api.get(f"{BASE}/{reference}/materials.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Type"] == "application/pdf"


def test_doc1_the_api_resubmits_only_the_listed_items(resident, api):
    known_to_the_register(resident)
    application = draft(resident)
    api.json("post", f"{BASE}/{application.reference}/submit", {"consent": True})
    application.refresh_from_db()
    permit_application_apply_status(
        message=status(application, "materials_required", problems=[("photo", "照片背景不是白色")])
    )
    read = api.get(f"{BASE}/{application.reference}").json()
    assert read["status"] == "materials_required"
    assert read["problems"] == [{"item": "photo", "item_label": "照片", "text": "照片背景不是白色"}]
    assert read["history"][-1]["problems"] == read["problems"]

    outside = api.json("post", f"{BASE}/{application.reference}/resubmit", {"name": "李四"})
    assert outside.status_code == 400
    assert [(e["field"], e["code"]) for e in outside.json()["errors"]] == [("name", "not_listed")]
    lease = api.upload(f"{BASE}/{application.reference}/documents", "C19", PDF)
    assert lease.status_code == 400 and lease.json()["code"] == "item_not_listed"
    not_yet = api.json("post", f"{BASE}/{application.reference}/resubmit", {})
    assert not_yet.json()["errors"][0]["code"] == "document_not_replaced"

    assert (
        api.upload(f"{BASE}/{application.reference}/documents", "photo", jpeg()).status_code == 201
    )
    again = api.json("post", f"{BASE}/{application.reference}/resubmit", {"name": "张三"})
    assert again.status_code == 200, again.json()
    assert (again.json()["status"], again.json()["revision"]) == ("submitted", 2)
    twice = api.json("post", f"{BASE}/{application.reference}/resubmit", {})
    assert twice.status_code == 409 and twice.json()["code"] == "not_materials_required"


def test_a_multipart_upload_reaches_the_api_through_the_request_limits(resident, api, files_dir):
    application = draft(resident, photo=False)
    answer = api.upload(f"{BASE}/{application.reference}/documents", "photo", jpeg())
    assert answer.status_code == 201, answer.json()
    assert len(stored_files(files_dir)) == 1


def test_a_multipart_body_elsewhere_in_the_api_is_still_refused(resident, api):
    application = draft(resident, photo=False)
    answer = api.upload(f"{BASE}/{application.reference}/submit", "photo", jpeg())
    assert answer.status_code == 415
    assert answer.json()["code"] == "unsupported_media_type"


def test_every_operation_on_another_residents_application_is_not_found(
    resident, api, stranger, files_dir
):
    application = draft(resident, form=RENTED)
    upload(resident, application, "C23", PDF)
    path = f"{BASE}/{application.reference}"
    answers = {
        "read": stranger.get(path),
        "materials": stranger.get(f"{path}/materials"),
        "pdf": stranger.get(f"{path}/materials.pdf"),
        "save": stranger.json("patch", path, {"name": "李四"}),
        "upload": stranger.upload(f"{path}/documents", "photo", jpeg()),
        "submit": stranger.json("post", f"{path}/submit", {"consent": True}),
        "resubmit": stranger.json("post", f"{path}/resubmit", {}),
    }
    for name, answer in answers.items():
        assert answer.status_code == 404, name
        assert answer.json()["code"] == "not_found", name
    assert stranger.get(BASE).json() == []
    application.refresh_from_db()
    assert (application.status, application.name) == ("draft", "张三")
    assert application.documents.count() == 2
    assert len(stored_files(files_dir)) == 2
    assert api.get(path).status_code == 200


def test_the_api_needs_a_token(client, resident):
    application = draft(resident, photo=False)
    answer = client.get(f"{BASE}/{application.reference}", HTTP_HOST=HOST)
    assert answer.status_code == 401 and answer.json()["code"] == "unauthorized"


def test_a_draft_limit_and_an_unknown_kind_are_refused(api):
    unknown = api.json("post", BASE, {"kind": "lottery"})
    assert unknown.status_code == 400
    assert [(e["field"], e["code"]) for e in unknown.json()["errors"]] == [("kind", "choice")]
    for _ in range(5):
        assert api.json("post", BASE, {"kind": "first"}).status_code == 201
    answer = api.json("post", BASE, {"kind": "first"})
    assert answer.status_code == 409 and answer.json()["code"] == "too_many_drafts"
    assert PermitApplication.objects.count() == 5


def test_null_clears_a_field_and_omitted_keeps_it(resident, api):
    application = draft(resident, photo=False)
    path = f"{BASE}/{application.reference}"
    answer = api.json("patch", path, {"address_detail": None, "social_insurance_months": 14})
    form = answer.json()["form"]
    assert (form["address_detail"], form["social_insurance_months"], form["name"]) == (
        "",
        14,
        FORM["name"],
    )
    form = api.json("patch", path, {"social_insurance_months": None}).json()["form"]
    assert form["social_insurance_months"] is None

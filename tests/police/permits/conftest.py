"""Fixtures for the station's pre-review of permit applications: the ferry messages as the
police zone receives them, and the staff who pre-review."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import secrets
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from onetrip.contracts.permits import (
    DocumentRefV1,
    PermitApplicationResubmittedV1,
    PermitApplicationSubmittedV1,
    PermitDocumentV1,
)
from onetrip.police.permits.models import PermitCase
from onetrip.police.permits.services import (
    permit_document_receive,
    permit_receive,
    permit_receive_resubmission,
)
from tests.ferry.helpers import ferry_env  # noqa: F401
from tests.fixtures import *  # noqa: F403
from tests.fixtures import BEISHAN_COMMUNITY, staff

REF = "PA26112700000001"
HUBIN_COMMUNITY = "330102003001"
ID_NUMBER = "33010619900101123X"
PHONE = "13800138000"
PDF_BYTES = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"


def jpeg_bytes(shade: int = 250) -> bytes:
    """A white-background photo of the GA 461 size (DOC-4)."""
    out = io.BytesIO()
    Image.new("RGB", (358, 441), (shade, shade, shade)).save(out, "JPEG", quality=70)
    return out.getvalue()


def document(
    item: str = "photo",
    content: bytes | None = None,
    *,
    reference: str = REF,
    media_type: str | None = None,
    **overrides: Any,
) -> PermitDocumentV1:
    """The `permit.document` message of one file; `overrides` may falsify hash or size."""
    if content is None:
        content = jpeg_bytes() if item == "photo" else PDF_BYTES + secrets.token_bytes(8)
    media = media_type or ("image/jpeg" if content.startswith(b"\xff\xd8") else "application/pdf")
    fields: dict[str, Any] = {
        "reference": reference,
        "document_id": secrets.token_hex(16),
        "item": item,
        "media_type": media,
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": len(content),
        "content_base64": base64.b64encode(content).decode(),
    }
    fields.update(overrides)
    return PermitDocumentV1(**fields)


def ref_of(message: PermitDocumentV1, name: str = "") -> DocumentRefV1:
    return DocumentRefV1(
        document_id=message.document_id,
        item=message.item,
        sha256=message.sha256,
        media_type=message.media_type,
        name=name,
    )


def application(
    documents: list[PermitDocumentV1],
    *,
    reference: str = REF,
    revision: int = 1,
    community: str = BEISHAN_COMMUNITY,
    submitted_at: dt.datetime | None = None,
    resubmitted: bool = False,
    **overrides: Any,
) -> PermitApplicationSubmittedV1:
    """The application message listing `documents`, employment route, for the resident."""
    now = timezone.now()
    fields: dict[str, Any] = {
        "reference": reference,
        "revision": revision,
        "kind": "first",
        "name": "张三",
        "id_number": ID_NUMBER,
        "phone": PHONE,
        "community_code": community,
        "address_detail": "曙光路 12 号 3 幢 201 室",
        "route": "employment",
        "employer_name": "杭州示例科技有限公司",
        "social_insurance_months": 14,
        "delivery": "pickup",
        "documents": [ref_of(d, f"{d.item}.bin") for d in documents],
        # As the portal lists them: one line per requirement, alternatives joined by "/".
        "materials": ["A1", "A8", "A9", "B10", "B11/B12/B13/B14/B15/B16/B17"],
        "consented_at": now - dt.timedelta(hours=3),
        "submitted_at": submitted_at or now - dt.timedelta(hours=2),
    }
    fields.update(overrides)
    cls = PermitApplicationResubmittedV1 if resubmitted else PermitApplicationSubmittedV1
    return cls(**fields)


def receive(*documents: PermitDocumentV1, **overrides: Any) -> PermitCase:
    """Files first, then the application that lists them, as the ferry delivers them."""
    for message in documents:
        permit_document_receive(message=message)
    return permit_receive(message=application(list(documents), **overrides))


def resubmit(
    documents: list[PermitDocumentV1], *, new: list[PermitDocumentV1] = (), **overrides: Any
) -> PermitCase:
    """A resubmission: only `new` files travel again; the application lists all of them."""
    for message in new:
        permit_document_receive(message=message)
    overrides.setdefault("revision", 2)
    return permit_receive_resubmission(
        message=application([*documents, *new], resubmitted=True, **overrides)
    )


@pytest.fixture(autouse=True)
def _own_files_dir(settings, tmp_path):
    """Each test's stored files apart, so a test can count what was written."""
    settings.ONETRIP_FILES_DIR = tmp_path / "files"


@pytest.fixture
def photo():
    return document("photo")


@pytest.fixture
def contract():
    return document("B11")


@pytest.fixture
def case(beishan, photo, contract):
    return receive(photo, contract)


@pytest.fixture
def reviewer(beishan):
    return staff("reviewer_beishan", "reviewer", beishan)


@pytest.fixture
def second_reviewer(beishan):
    return staff("reviewer2_beishan", "reviewer", beishan)


@pytest.fixture
def other_reviewer(hubin):
    return staff("reviewer_hubin", "reviewer", hubin)


def client_of(user) -> Client:
    c = Client(HTTP_HOST="police.testserver")
    c.force_login(user)
    return c


@pytest.fixture
def reviewer_client(reviewer):
    return client_of(reviewer)


@pytest.fixture
def other_reviewer_client(other_reviewer):
    return client_of(other_reviewer)


@pytest.fixture
def field_officer(beishan):
    """A station role with no task on a permit case (least privilege: sees none)."""
    return staff("field_beishan", "field_officer", beishan)


@pytest.fixture
def field_client(field_officer):
    return client_of(field_officer)

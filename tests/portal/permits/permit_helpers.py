"""Building blocks of the permit-application tests: an applicant the register knows, a form
that passes, files that pass and files that do not."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zlib
from pathlib import Path
from typing import Any

from django.utils import timezone
from PIL import Image

from onetrip.common.permit_eligibility import add_months
from onetrip.contracts.permits import (
    PermitApplicationStatusV1,
    ProblemV1,
    RegistrationRecordV1,
    ResidenceHistoryV1,
)
from onetrip.portal.declarations.services import DeclarationInput, declaration_submit
from onetrip.portal.permits.applications import (
    permit_application_save,
    permit_application_start,
    permit_document_upload,
)
from onetrip.portal.permits.models import PermitApplication
from onetrip.portal.permits.services import residence_history_apply
from tests.fixtures import BEISHAN_COMMUNITY, RESIDENT_PHONE, valid_declaration

ID = "33010619900101123X"
GUARDIAN_ID = "330106198001011235"
CHILD_ID = "330106201503010018"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Owned housing: the photo is the only upload the list requires (HZ-7).
FORM: dict[str, str] = {
    "name": "张三",
    "id_number": ID,
    "phone": RESIDENT_PHONE,
    "community_code": BEISHAN_COMMUNITY,
    "address_detail": "曙光路 12 号 3 幢 201 室",
    "route": "residence",
    "housing": "owned",
    "delivery": "pickup",
}
# Rented on state land: a lease (C23) and the landlord's pledge (C24) must be uploaded too.
RENTED = {**FORM, "housing": "rented_state_land"}


def jpeg(
    size: tuple[int, int] = (358, 441), colour: tuple[int, int, int] = (255, 255, 255)
) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, colour)
    for x in range(size[0] // 3, 2 * size[0] // 3):
        for y in range(size[1] // 3, size[1]):
            image.putpixel((x, y), (80, 60, 50))
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    """A tiny PNG whose header declares 900 megapixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress((b"\x00" + b"\x00" * width) * 16, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

# (name, item, file name, content, code): each refused upload and the code it must get.
BAD_UPLOADS: list[tuple[str, str, str, bytes, str]] = [
    ("pdf_renamed_jpg", "photo", "photo.jpg", PDF, "photo_not_image"),
    ("30_mb_file", "C23", "lease.pdf", b"%PDF-" + b"\x00" * (30 * 1024 * 1024), "file_too_large"),
    ("100x100_photo", "photo", "small.jpg", b"", "photo_size"),  # content filled in below
    ("decompression_bomb", "C23", "bomb.png", b"", "image_too_many_pixels"),
    ("truncated_jpeg", "C23", "cut.jpg", b"", "image_damaged"),
    ("svg_with_script", "C23", "x.svg", SVG_WITH_SCRIPT, "image_damaged"),
    ("empty_file", "photo", "empty.jpg", b"", "file_empty"),
]


def bad_uploads() -> list[tuple[str, str, str, bytes, str]]:
    built = {
        "100x100_photo": jpeg(size=(100, 100)),
        "decompression_bomb": bomb_png(),
        "truncated_jpeg": jpeg()[:2000],
    }
    return [(n, item, f, built.get(n, c), code) for n, item, f, c, code in BAD_UPLOADS]


def known_to_the_register(
    resident: Any, *, id_number: str = ID, months: int = 8, **decl: str
) -> None:
    """The resident declared with `id_number`, and the police zone's record of that person
    shows continuous registration for `months` (HZ-1)."""
    data = valid_declaration(id_number=id_number, **decl)
    fields = {k: v for k, v in data.items() if k not in ("district", "street")}
    declaration_submit(resident=resident, data=DeclarationInput(**fields))
    declared_on = add_months(timezone.localdate(), -months)
    residence_history_apply(
        message=ResidenceHistoryV1(
            id_number=id_number,
            registrations=[
                RegistrationRecordV1(
                    registration_number="330106500020260000001",
                    declared_on=declared_on,
                    registered_on=declared_on,
                    community_code=BEISHAN_COMMUNITY,
                    address_detail="曙光路 12 号",
                )
            ],
            as_of=timezone.now(),
        )
    )


def draft(
    resident: Any, *, kind: str = "first", form: dict[str, str] | None = None, photo: bool = True
) -> PermitApplication:
    """A draft with `form` saved and, unless told otherwise, the photo uploaded."""
    application = permit_application_start(resident=resident, kind=kind)
    permit_application_save(
        resident=resident, reference=application.reference, data=form if form is not None else FORM
    )
    if photo:
        upload(resident, application, "photo", jpeg())
    application.refresh_from_db()
    return application


def upload(
    resident: Any, application: PermitApplication, item: str, content: bytes, name: str = "f.jpg"
):
    return permit_document_upload(
        resident=resident,
        reference=application.reference,
        item=item,
        content=content,
        file_name=name,
    )


def status(
    application: PermitApplication,
    code: str,
    *,
    at: dt.datetime | None = None,
    revision: int | None = None,
    problems: list[tuple[str, str]] = (),  # type: ignore[assignment]
    **extra: Any,
) -> PermitApplicationStatusV1:
    return PermitApplicationStatusV1(
        reference=application.reference,
        revision=application.revision if revision is None else revision,
        status=code,
        station_code="330106500",
        station_name="北山派出所",
        problems=[ProblemV1(item=item, text=text) for item, text in problems],
        changed_at=at or timezone.now(),
        **extra,
    )


def stored_files(root: Path) -> list[Path]:
    portal = Path(root) / "portal"
    return sorted(p for p in portal.rglob("*") if p.is_file()) if portal.exists() else []

"""Bad uploads get clear messages (DOC-4): a PDF renamed .jpg, a 30 MB file, a 100×100 photo, a
decompression-bomb PNG, a truncated JPEG, an SVG with script, an empty file. Good ones are
re-encoded, so nothing is stored as the resident sent it."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from onetrip.portal.permits.uploads import UploadError, check_photo, check_proof


def _jpeg(size=(358, 441), colour=(255, 255, 255)) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, colour)
    for x in range(size[0] // 3, 2 * size[0] // 3):
        for y in range(size[1] // 3, size[1]):
            image.putpixel((x, y), (80, 60, 50))
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _bomb_png(width=30000, height=30000) -> bytes:
    """A tiny PNG whose header declares 900 megapixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * width
    data = zlib.compress(row * 16, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_doc4_a_standard_photo_passes_and_is_re_encoded():
    original = _jpeg()
    checked = check_photo(original)
    assert (checked.width, checked.height) == (358, 441)
    assert checked.media_type == "image/jpeg"
    assert checked.content != original
    assert checked.warnings == ()


def test_doc4_a_100_by_100_photo_is_refused_with_the_size_it_needs():
    with pytest.raises(UploadError) as info:
        check_photo(_jpeg(size=(100, 100)))
    assert info.value.code == "photo_size"
    assert "358" in info.value.message_zh and "100×100" in info.value.message_zh


def test_doc4_a_dark_background_is_a_warning_not_a_refusal():
    assert check_photo(_jpeg(colour=(40, 90, 200))).warnings == ("photo_background",)


@pytest.mark.parametrize(
    ("check", "data", "code"),
    [
        (check_photo, PDF, "photo_not_image"),
        (check_proof, b"", "file_empty"),
        (check_photo, b"", "file_empty"),
        (check_proof, b"\x00" * (30 * 1024 * 1024), "file_too_large"),
        (check_proof, _jpeg()[:2000], "image_damaged"),
        (
            check_proof,
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "image_damaged",
        ),
        (check_proof, PDF[:30], "pdf_damaged"),
        (check_proof, b"PK\x03\x04 a zip or an Office file", "image_damaged"),
    ],
)
def test_bad_files_are_refused_with_their_own_code(check, data, code):
    with pytest.raises(UploadError) as info:
        check(data)
    assert info.value.code == code
    assert info.value.message_zh and info.value.message_en


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    with pytest.raises(UploadError) as info:
        check_proof(_bomb_png())
    assert info.value.code == "image_too_many_pixels"


def test_a_pdf_renamed_jpg_is_read_as_what_it_is():
    checked = check_proof(PDF)
    assert checked.media_type == "application/pdf"


def test_a_gif_is_not_accepted():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    with pytest.raises(UploadError) as info:
        check_proof(out.getvalue())
    assert info.value.code == "unsupported_type"

"""Checks on what a resident uploads for a permit application: the photo (DOC-4, GA 461) and the
proofs. The type is read from the content, never from the file name; images are decoded under a
pixel limit (decompression bombs) and re-encoded, so nothing the resident sent is stored as sent;
anything else is refused with a message that says what to do. Each refusal is an
`ApplicationError` with its own code; nothing is written before a file passes.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageStat, UnidentifiedImageError

from onetrip.common.errors import ApplicationError

MAX_PHOTO_BYTES = 2 * 1024 * 1024
MAX_PROOF_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel phone photo; beyond that a decoder bomb is likelier
PHOTO_SIZE = (358, 441)  # GA 461-2004: 26 mm × 32 mm at 350 dpi
PDF_MAGIC = b"%PDF-"
JPEG_QUALITY = 85


class UploadError(ApplicationError):
    """A file that cannot be taken as it is; the message says what to upload instead."""


@dataclass(frozen=True)
class CheckedFile:
    content: bytes  # re-encoded for images; the original bytes for a PDF
    media_type: str
    width: int = 0
    height: int = 0
    warnings: tuple[str, ...] = ()


def _size_error(label: str, limit: int, got: int) -> UploadError:
    return UploadError(
        "file_too_large",
        f"{label}文件过大：上限{limit // 1024 // 1024} MB，此文件{got / 1024 / 1024:.1f} MB",
        f"The {label} file is too large: {limit // 1024 // 1024} MB at most, this one "
        f"{got / 1024 / 1024:.1f} MB",
    )


def _open_image(data: bytes) -> Image.Image:
    """Decode the whole image under the pixel limit, or refuse it."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ("JPEG", "PNG"):
                raise UploadError(
                    "unsupported_type",
                    "只接受 JPEG、PNG 图片或 PDF 文件",
                    "Only JPEG or PNG pictures and PDF files are accepted",
                )
            image.load()
    except UploadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadError(
            "image_too_many_pixels",
            "图片像素过多，请拍摄或导出为普通尺寸的图片后再上传",
            "The picture has too many pixels; export it at an ordinary size",
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UploadError(
            "image_damaged",
            "图片无法读取（文件可能不完整或已损坏），请重新拍摄或导出后上传",
            "The picture cannot be read (incomplete or damaged); take or export it again",
        ) from exc
    return image


def _reencode(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def check_photo(data: bytes) -> CheckedFile:
    """The applicant's photo (DOC-4): a JPEG or PNG of exactly 358 × 441 pixels; a background
    that is not near-white is a warning, not a refusal (the station decides)."""
    if not data:
        raise UploadError("file_empty", "照片文件是空的，请重新选择", "The photo file is empty")
    if len(data) > MAX_PHOTO_BYTES:
        raise _size_error("照片", MAX_PHOTO_BYTES, len(data))
    if data.startswith(PDF_MAGIC):
        raise UploadError(
            "photo_not_image",
            "照片须为 JPEG 或 PNG 图片，不能是 PDF",
            "The photo must be a JPEG or PNG picture, not a PDF",
        )
    image = _open_image(data)
    if image.size != PHOTO_SIZE:
        raise UploadError(
            "photo_size",
            f"照片须为宽{PHOTO_SIZE[0]}像素、高{PHOTO_SIZE[1]}像素（二代身份证照片规格），"
            f"此照片为{image.size[0]}×{image.size[1]}像素",
            f"The photo must be {PHOTO_SIZE[0]} × {PHOTO_SIZE[1]} pixels (ID-card standard); "
            f"this one is {image.size[0]} × {image.size[1]}",
        )
    notes = []
    if not _white_background(image):
        notes.append("photo_background")
    return CheckedFile(
        content=_reencode(image),
        media_type="image/jpeg",
        width=image.size[0],
        height=image.size[1],
        warnings=tuple(notes),
    )


def _white_background(image: Image.Image) -> bool:
    """The two top corners, where the background is, are near-white."""
    rgb = image.convert("RGB")
    width = rgb.size[0]
    box = max(8, width // 12)
    for left in (0, width - box):
        mean = ImageStat.Stat(rgb.crop((left, 0, left + box, box))).mean
        if min(mean) < 225:
            return False
    return True


def check_proof(data: bytes) -> CheckedFile:
    """A proof document: a PDF (kept as sent, after a structural check) or a JPEG/PNG picture
    (re-encoded). Anything else — SVG, HTML, Office files, archives — is refused."""
    if not data:
        raise UploadError("file_empty", "文件是空的，请重新选择", "The file is empty")
    if len(data) > MAX_PROOF_BYTES:
        raise _size_error("证明材料", MAX_PROOF_BYTES, len(data))
    if data.startswith(PDF_MAGIC):
        if b"%%EOF" not in data[-1024:]:
            raise UploadError(
                "pdf_damaged",
                "PDF 文件不完整，请重新导出后上传",
                "The PDF file is incomplete; export it again",
            )
        return CheckedFile(content=data, media_type="application/pdf")
    image = _open_image(data)
    return CheckedFile(
        content=_reencode(image),
        media_type="image/jpeg",
        width=image.size[0],
        height=image.size[1],
    )

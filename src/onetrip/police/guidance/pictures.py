"""Pictures of guidance: an upload is opened by Pillow, refused unless it is a real PNG, JPEG,
GIF or WebP image of sane size, made at most `MAX_SIDE` pixels on its longer side and saved
again (which drops metadata such as a phone's location); and the sample pictures of the demo,
drawn here rather than taken from anywhere (`draw_proof_sample`, `draw_step`)."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from onetrip.common.errors import ApplicationError

MAX_SIDE = 800
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
ALLOWED_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}
# Debian's Noto CJK (fonts-noto-cjk, which the browser tests need as well); without it the
# drawings keep their shapes and leave the Chinese out rather than draw boxes.
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


class PictureInvalid(ApplicationError):
    def __init__(self) -> None:
        super().__init__(
            "picture_invalid",
            "图片无法识别，请上传 PNG、JPEG、GIF 或 WebP 格式、不超过 8 MB 的图片",
            "The picture cannot be read: upload a PNG, JPEG, GIF or WebP image of at most 8 MB",
            field="picture",
        )


@dataclass(frozen=True)
class Prepared:
    data: bytes
    media_type: str
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def picture_prepare(raw: bytes) -> Prepared:
    """`raw` resized to fit `MAX_SIDE` and re-encoded: PNG when it has transparency or few
    colours (drawings), else JPEG."""
    if not raw or len(raw) > MAX_UPLOAD_BYTES:
        raise PictureInvalid()
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.format not in ALLOWED_FORMATS:
                raise PictureInvalid()
            if probe.width * probe.height > MAX_PIXELS:
                raise PictureInvalid()
            probe.verify()
        image = Image.open(io.BytesIO(raw))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise PictureInvalid() from exc
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    drawing = image.mode in ("P", "1", "L", "LA", "RGBA", "PA") or image.format == "PNG"
    if drawing:
        image.convert("RGBA" if "A" in image.mode else "RGB").save(out, "PNG", optimize=True)
        media_type = "image/png"
    else:
        image.convert("RGB").save(out, "JPEG", quality=80, optimize=True)
        media_type = "image/jpeg"
    return Prepared(out.getvalue(), media_type, image.width, image.height)


# -- drawn samples --------------------------------------------------------------------------------


@cache
def _font_path() -> str | None:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return None


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _font_path()
    if path is None:
        return ImageFont.load_default()
    return ImageFont.truetype(path, size)


def _text(draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, size: int, fill: str) -> None:
    if _font_path() is None and not text.isascii():
        return
    draw.text(xy, text, font=_font(size), fill=fill)


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


CATEGORY_COLOURS = {"A": "#1f5fa8", "B": "#2f7d32", "C": "#9a5b00", "D": "#6a3d9a"}


@cache
def draw_proof_sample(*, proof_id: str, name: str, issuer: str, category: str) -> bytes:
    """A 480×320 PNG of a blank document of that kind: header band, title, issuer, seal and a
    large 样例 mark, so nobody takes it for the real thing."""
    colour = CATEGORY_COLOURS.get(category, "#444444")
    image = Image.new("RGB", (480, 320), "#f3f5f8")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((20, 16, 460, 304), radius=10, fill="white", outline="#9aa4b2", width=2)
    draw.rectangle((22, 18, 458, 62), fill=colour)
    _text(draw, (36, 24), f"{proof_id}", 22, "white")
    lines = _wrap(name, 14)[:2]
    for n, line in enumerate(lines):
        _text(draw, (40, 76 + n * 34), line, 26, "#111111")
    for n in range(4):
        y = 156 + n * 24
        draw.line((40, y, 300 if n % 2 else 360, y), fill="#c8ced8", width=6)
    draw.ellipse((340, 190, 430, 280), outline="#c0392b", width=4)
    _text(draw, (352, 222), "印章", 22, "#c0392b")
    _text(draw, (40, 262), f"出具：{issuer}"[:20], 18, "#333333")
    _text(draw, (300, 80), "样例", 64, "#d9534f")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@cache
def draw_step(*, number: int, title: str, caption: str) -> bytes:
    """A 360×480 PNG of a phone screen at step `number`: the step's title and a button."""
    image = Image.new("RGB", (360, 480), "#eef1f5")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((60, 10, 300, 470), radius=28, fill="#222222")
    draw.rectangle((72, 50, 288, 420), fill="white")
    draw.rectangle((72, 50, 288, 92), fill="#0b4f9c")
    _text(draw, (84, 58), "居住证服务平台", 18, "white")
    draw.ellipse((84, 108, 132, 156), fill="#0b4f9c")
    _text(draw, (100 if number < 10 else 92, 114), str(number), 28, "white")
    for n, line in enumerate(_wrap(title, 9)[:2]):
        _text(draw, (84, 170 + n * 28), line, 20, "#111111")
    for n, line in enumerate(_wrap(caption, 11)[:4]):
        _text(draw, (84, 236 + n * 22), line, 15, "#444444")
    draw.rounded_rectangle((92, 360, 268, 400), radius=8, fill="#0b4f9c")
    _text(draw, (150, 368), "下一步", 18, "white")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()

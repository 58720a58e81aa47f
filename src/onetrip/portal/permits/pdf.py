"""The printable one-time materials list (一次性告知单, DOC-1) and the reference's QR code.

The printout is what a resident carries to the one visit, so it says everything the page says:
every item at once (DOC-1), which of several proofs will do (任选其一), who issues each, what the
system fetches itself (HZ-7) and what was already handed in. The application reference is on
every page and in a QR code, so the window can open the case from any page of the paper.

The PDF uses ReportLab's built-in CID font STSong-Light: a PDF viewer supplies the glyphs, so
no font file ships with the code and the file stays small. The QR code is drawn as vector
squares rather than an embedded picture, so it stays sharp at any print size.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import io
from collections.abc import Callable
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

import segno
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from onetrip.common.errors import in_language
from onetrip.common.permit_materials import Item, Proof

FONT = "STSong-Light"
LATIN_FONT = "Helvetica"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
QR_SIDE = 32 * mm
QR_QUIET_ZONE = 4  # modules of white around the symbol, as ISO/IEC 18004 asks
# Column widths of the items table: number, name, issuer, remark (174 mm in all).
COLUMNS = (12 * mm, 68 * mm, 42 * mm, 52 * mm)
INK = colors.HexColor("#1b1f24")
SOFT = colors.HexColor("#4a525c")
LINE = colors.HexColor("#9aa3ad")
SHADE = colors.HexColor("#eef1f5")
BRAND = colors.HexColor("#0b4f9c")


class QrSquares(NamedTuple):
    """The dark modules of the reference's QR symbol: (column, row), row 0 at the top, without
    the quiet zone; `size` modules a side."""

    size: int
    dark: tuple[tuple[int, int], ...]


def _qr(reference: str) -> segno.QRCode:
    # A full QR symbol, never a Micro QR: segno picks Micro QR for a short reference, and the
    # phone scanners a window or a resident has do not read it.
    return segno.make(reference, error="m", micro=False)


def qr_squares(reference: str) -> QrSquares:
    """The reference's QR symbol as squares to draw, one source for the PDF and its tests."""
    matrix = _qr(reference).matrix
    dark = tuple(
        (col, row) for row, line in enumerate(matrix) for col, value in enumerate(line) if value
    )
    return QrSquares(size=len(matrix), dark=dark)


def reference_qr_svg(reference: str) -> str:
    """An inline SVG QR code of the reference for a page; a screen reader reads the reference
    from its label instead of meeting an unnamed picture. Marked safe: the reference is
    escaped here."""
    svg: str = _qr(reference).svg_inline(
        scale=4,
        border=QR_QUIET_ZONE,
        dark="#000",
        light="#fff",
        svgclass="reference-qr",
        lineclass=None,
    )
    label = html.escape(_("申请编号二维码：%(reference)s") % {"reference": reference}, quote=True)
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))  # noqa: S308


class _QrCode(Flowable):  # type: ignore[misc]
    """The QR symbol as filled vector squares on a white ground, quiet zone included."""

    def __init__(self, reference: str, side: float) -> None:
        super().__init__()
        self.squares = qr_squares(reference)
        self.width = self.height = side

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canvas: Canvas = self.canv
        module = self.width / (self.squares.size + 2 * QR_QUIET_ZONE)
        canvas.setFillColor(colors.white)
        canvas.rect(0, 0, self.width, self.height, stroke=0, fill=1)
        path = canvas.beginPath()
        for col, row in self.squares.dark:
            x = (col + QR_QUIET_ZONE) * module
            y = self.height - (row + QR_QUIET_ZONE + 1) * module
            path.rect(x, y, module, module)
        canvas.setFillColor(colors.black)
        canvas.drawPath(path, stroke=0, fill=1)


def _font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _style(name: str, size: float, **extra: Any) -> ParagraphStyle:
    options: dict[str, Any] = {
        "fontName": FONT,
        "fontSize": size,
        "leading": size * 1.45,
        "textColor": INK,
        "wordWrap": "CJK",  # Chinese breaks between any two characters
    }
    options.update(extra)
    return ParagraphStyle(name, **options)


class _Styles:
    def __init__(self, *, english_names: bool) -> None:
        self.english_names = english_names
        self.title = _style("title", 18, alignment=1, spaceAfter=3 * mm, textColor=BRAND)
        self.body = _style("body", 10.5)
        self.cell = _style("cell", 10)
        self.head = _style("head", 10, textColor=colors.white)
        self.small = _style("small", 8.5, textColor=SOFT)
        self.mark = _style("mark", 8.5, textColor=BRAND)
        self.done = _style("done", 8.5, textColor=colors.HexColor("#1e6b35"))
        self.note = _style("note", 9.5, textColor=SOFT)


def _latin(text: str) -> str:
    """Latin text (the reference, English names) in a Latin font: STSong-Light's Latin glyphs
    are spaced for Chinese text, and a reference read aloud at the window must be clear."""
    return f'<font name="{LATIN_FONT}">{escape(text)}</font>'


def _date(day: dt.date) -> str:
    return in_language(f"{day.year}年{day.month}月{day.day}日", day.isoformat())


def _proof_name(proof: Proof, styles: _Styles) -> Paragraph:
    text = f'{escape(proof.name_zh)} <font size="8" color="#4a525c">{_latin(proof.id)}</font>'
    if styles.english_names:
        text += f'<br/><font size="8.5" color="#4a525c">{_latin(proof.name_en)}</font>'
    return Paragraph(text, styles.cell)


def _item_row(number: int, item: Item, styles: _Styles) -> tuple[list[Any], bool]:
    """One table row; True when the name and issuer columns are merged for alternatives."""
    remark: list[Paragraph] = []
    if item.provided:
        remark.append(Paragraph(escape(_("已提交")), styles.done))
    if item.auto_fetched:
        remark.append(Paragraph(escape(_("系统自动获取，如数据不全则需提交")), styles.mark))
    if not remark:
        remark.append(Paragraph(escape(_("需提交")), styles.cell))
    first = Paragraph(str(number), styles.cell)
    if len(item.alternatives) == 1:
        proof = item.alternatives[0]
        return [
            first,
            _proof_name(proof, styles),
            Paragraph(escape(proof.issuer_zh), styles.cell),
            remark,
        ], False
    # Several proofs will do: each with its own issuer, side by side in a table of their own
    # inside the merged name and issuer cell, so a long name never pushes its issuer out of line.
    inner = Table(
        [
            [_proof_name(p, styles), Paragraph(escape(p.issuer_zh), styles.cell)]
            for p in item.alternatives
        ],
        colWidths=(COLUMNS[1] - 4, COLUMNS[2] - 8),
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
                ("LEFTPADDING", (1, 0), (1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("LINEBELOW", (0, 0), (-1, -2), 0.25, LINE, None, (1, 2)),
            ]
        ),
    )
    heading = Paragraph(
        escape(_("以下%(count)d种材料任选其一：") % {"count": len(item.alternatives)}), styles.small
    )
    return [first, [heading, inner], "", remark], True


def _items_table(items: list[Item], styles: _Styles) -> Table:
    header = [
        Paragraph(escape(_("序号")), styles.head),
        Paragraph(escape(_("材料名称")), styles.head),
        Paragraph(escape(_("出具单位")), styles.head),
        Paragraph(escape(_("备注")), styles.head),
    ]
    rows: list[list[Any]] = [header]
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), BRAND),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.5, LINE),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    for number, item in enumerate(items, start=1):
        row, merged = _item_row(number, item, styles)
        rows.append(row)
        if merged:
            commands.append(("SPAN", (1, number), (2, number)))
        if number % 2 == 0:
            commands.append(("BACKGROUND", (0, number), (-1, number), SHADE))
    return Table(rows, colWidths=COLUMNS, repeatRows=1, style=TableStyle(commands))


def _story(
    *,
    reference: str,
    items: list[Item],
    applicant: str,
    kind_label: str,
    generated_on: dt.date,
    styles: _Styles,
) -> list[Flowable]:
    facts = [
        (_("申请编号"), _latin(reference)),
        (_("申请人"), escape(applicant)),
        (_("申领类型"), escape(kind_label)),
        (_("告知日期"), escape(_date(generated_on))),
    ]
    fact_lines = [Paragraph(f"{escape(label)}：{value}", styles.body) for label, value in facts]
    qr_caption = Paragraph(
        escape(_("办理时请出示本码")), _style("qrcap", 8, alignment=1, textColor=SOFT)
    )
    heading = Table(
        [[fact_lines, [_QrCode(reference, QR_SIDE), qr_caption]]],
        colWidths=(sum(COLUMNS) - QR_SIDE - 6 * mm, QR_SIDE + 6 * mm),
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (0, 0), "MIDDLE"),
                ("VALIGN", (1, 0), (1, 0), "TOP"),
                ("ALIGN", (1, 0), (1, 0), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )
    intro = _("根据您的申请情况，办理居住证共需以下%(count)d项材料，现一次性告知：") % {
        "count": len(items)
    }
    notes = [
        _(
            "本告知单一次性列明办理所需的全部材料；除发现材料虚假等情形外，不会再要求提交本单未列明的材料。"
        ),
        _("请于办理时携带上述材料的原件，一次到场办理。"),
        _(
            "标注“系统自动获取”的材料由平台向有关部门调取，如数据不全则需提交；“任选其一”的材料提交其中一种即可。"
        ),
    ]
    return [
        Paragraph(escape(_("居住证申领材料一次性告知单")), styles.title),
        heading,
        Spacer(1, 4 * mm),
        Paragraph(escape(intro), styles.body),
        Spacer(1, 2 * mm),
        _items_table(items, styles),
        Spacer(1, 5 * mm),
        KeepTogether(
            [Paragraph(escape(_("说明")), _style("notehead", 10.5, textColor=INK))]
            + [Paragraph(f"{n}. {escape(text)}", styles.note) for n, text in enumerate(notes, 1)]
        ),
    ]


def _page_decorations(reference: str, total: int | None, seen: list[int]) -> Any:
    """Header and footer of every page: the title and the reference at the top, the reference
    and "第 n 页 / 共 m 页" at the bottom, so a loose page still names its application."""

    def decorate(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        page = canvas.getPageNumber()
        seen.append(page)
        canvas.saveState()
        top = PAGE_HEIGHT - 12 * mm
        canvas.setFillColor(SOFT)
        canvas.setFont(FONT, 8.5)
        canvas.drawString(MARGIN, top, _("居住证申领材料一次性告知单"))
        label = _("申请编号") + "："
        label_width = canvas.stringWidth(label, FONT, 8.5)
        ref_width = canvas.stringWidth(reference, LATIN_FONT, 8.5)
        right = PAGE_WIDTH - MARGIN
        canvas.drawString(right - ref_width - label_width, top, label)
        canvas.setFont(LATIN_FONT, 8.5)
        canvas.drawString(right - ref_width, top, reference)
        canvas.setStrokeColor(LINE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, top - 2 * mm, PAGE_WIDTH - MARGIN, top - 2 * mm)
        canvas.line(MARGIN, 14 * mm, PAGE_WIDTH - MARGIN, 14 * mm)
        footer = _("第 %(page)d 页 / 共 %(pages)d 页") % {"page": page, "pages": total or page}
        canvas.setFont(FONT, 8.5)
        canvas.drawString(MARGIN, 9 * mm, label)
        canvas.setFont(LATIN_FONT, 8.5)
        canvas.drawString(MARGIN + label_width, 9 * mm, reference)
        canvas.setFont(FONT, 8.5)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, 9 * mm, footer)
        canvas.restoreState()

    return decorate


def materials_pdf(
    *,
    reference: str,
    items: list[Item],
    applicant: str,
    kind_label: str,
    generated_on: dt.date,
) -> bytes:
    """The one-time materials list as an A4 PDF. `applicant` comes masked from the caller: the
    paper leaves the system's care once printed.

    Laid out twice: the first pass counts the pages, so that every footer can say "共 m 页".
    """
    _font()
    # The paper is read at the window, so it is in Chinese whatever the page's language; a
    # resident reading English gets each proof's English name beside the Chinese one.
    styles = _Styles(english_names=in_language("zh", "en") == "en")
    with translation.override("zh-hans"):
        story = functools.partial(
            _story,
            reference=reference,
            items=items,
            applicant=applicant,
            kind_label=kind_label,
            generated_on=generated_on,
            styles=styles,
        )
        pages = _render(story, reference=reference, total=None)[1]
        return _render(story, reference=reference, total=pages)[0]


def _render(
    story: Callable[[], list[Flowable]], *, reference: str, total: int | None
) -> tuple[bytes, int]:
    """The PDF and its number of pages."""
    seen: list[int] = []
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=22 * mm,
        bottomMargin=20 * mm,
        title=_("居住证申领材料一次性告知单"),
        subject=reference,
        author=_("杭州市居住证服务平台"),
        creator="OneTrip",
        invariant=True,  # no timestamp or random id: the same notice gives the same bytes
    )
    decorate = _page_decorations(reference, total, seen)
    doc.build(story(), onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue(), max(seen)

"""The acceptance receipt (受理回执, ZJ-16): what the resident takes home from the one visit.

It names the receipt number, the application, what was accepted and when, which originals were
seen, the fee if any (WF-5), and the day by which the permit will be issued (NAT-12); a QR code
carries the application reference, so any window can open the case from the paper. The PDF uses
ReportLab's built-in CID font, so no font file ships with the code.
"""

from __future__ import annotations

import io

import segno
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from onetrip.common.masking import mask_id_number
from onetrip.common.permit_materials import BY_ID
from onetrip.contracts.permits import APPLICATION_KIND_LABELS, DELIVERY_METHOD_LABELS

from .models import PermitCase

FONT = "STSong-Light"
WIDTH, HEIGHT = A4
MARGIN = 20 * mm


def _font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _proof_names(line: str) -> str:
    return "／".join(BY_ID[p].name_zh if p in BY_ID else p for p in line.split("/"))


def _qr(canvas: Canvas, text: str, *, x: float, y: float, side: float) -> None:
    """The QR symbol as vector squares, sharp at any print size."""
    matrix = segno.make_qr(text, error="m").matrix
    quiet = 4
    cell = side / (len(matrix) + 2 * quiet)
    for row, values in enumerate(matrix):
        for col, dark in enumerate(values):
            if dark:
                canvas.rect(
                    x + (col + quiet) * cell,
                    y + side - (row + quiet + 1) * cell,
                    cell,
                    cell,
                    stroke=0,
                    fill=1,
                )


def receipt_pdf(case: PermitCase) -> bytes:
    """The receipt of an accepted case as an A4 PDF (Chinese: it is a legal document)."""
    _font()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"受理回执 {case.receipt_number}")
    top = HEIGHT - MARGIN
    canvas.setFont(FONT, 18)
    canvas.drawCentredString(WIDTH / 2, top - 8 * mm, "浙江省居住证申领受理回执")
    canvas.setFont(FONT, 11)
    canvas.drawCentredString(WIDTH / 2, top - 16 * mm, f"回执编号：{case.receipt_number}")
    _qr(canvas, case.reference, x=WIDTH - MARGIN - 30 * mm, y=top - 52 * mm, side=30 * mm)
    accepted = timezone.localtime(case.accepted_at) if case.accepted_at else None
    lines = [
        ("申请编号", case.reference),
        ("申领类型", str(APPLICATION_KIND_LABELS.get(case.kind, case.kind))),
        ("申请人", case.name),
        ("公民身份号码", mask_id_number(case.id_number)),
        ("受理单位", case.station.name),
        ("签发机关", case.station.branch_name),
        ("受理时间", f"{accepted:%Y年%m月%d日 %H:%M}" if accepted else ""),
        ("承诺办结日期", f"{case.due_on:%Y年%m月%d日}前" if case.due_on else ""),
        ("领证方式", str(DELIVERY_METHOD_LABELS.get(case.delivery, case.delivery))),
        ("收费", f"证件工本费 {case.fee_fen / 100:.2f} 元" if case.fee_fen else "免费"),
        ("联系电话", case.station.phone or ""),
    ]
    y = top - 30 * mm
    for label, value in lines:
        canvas.setFont(FONT, 11)
        canvas.drawString(MARGIN, y, f"{label}：")
        canvas.drawString(MARGIN + 30 * mm, y, value)
        y -= 8 * mm
    y -= 2 * mm
    canvas.drawString(MARGIN, y, "已核验原件：")
    y -= 7 * mm
    canvas.setFont(FONT, 10)
    for number, line in enumerate(case.originals_seen, start=1):
        canvas.drawString(MARGIN + 6 * mm, y, f"{number}. {_proof_names(line)}"[:70])
        y -= 6 * mm
    y -= 6 * mm
    canvas.setFont(FONT, 10)
    for text in (
        "您的申请已受理。符合条件的，公安机关将在承诺办结日期前签发居住证，",
        "办理进展将以短信通知，也可登录杭州市居住证服务平台凭申请编号查询。",
        "请妥善保管本回执。",
    ):
        canvas.drawString(MARGIN, y, text)
        y -= 6 * mm
    canvas.drawRightString(WIDTH - MARGIN, MARGIN, f"{case.station.name}（盖章）")
    canvas.showPage()
    canvas.save()
    return out.getvalue()

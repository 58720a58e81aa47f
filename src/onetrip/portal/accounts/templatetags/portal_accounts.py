"""Template helpers about the signed-in resident."""

from __future__ import annotations

from typing import Any

from django import template

from onetrip.common.masking import mask_phone

from ..auth import current_resident as _current_resident
from ..models import Resident

register = template.Library()


@register.simple_tag(takes_context=True)
def current_resident(context: dict[str, Any]) -> Resident | None:
    """`{% current_resident as resident %}` — the signed-in resident, or None."""
    request = context.get("request")
    return _current_resident(request) if request is not None else None


@register.filter
def masked_phone(resident: Resident | None) -> str:
    return mask_phone(resident.phone) if resident is not None else ""

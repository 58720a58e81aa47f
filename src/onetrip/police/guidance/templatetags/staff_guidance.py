"""Staff guidance beside a case (`{% load staff_guidance %}{% staff_guidance "permit" %}`): the
published internal answers that apply to that kind of case, for whoever works on it, so every
window explains the same rule the same way."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import mark_safe

from onetrip.common.markup import render_markdown
from onetrip.police.guidance.selectors import staff_guidance_for

register = template.Library()


@register.inclusion_tag("guidance/_staff_aside.html", takes_context=True)
def staff_guidance(context: Any, applies_to: str) -> dict[str, Any]:
    request = context.get("request")
    versions = staff_guidance_for(user=getattr(request, "user", None), applies_to=applies_to)
    return {
        "items": [
            (v, mark_safe(render_markdown(v.body)))  # noqa: S308  (sanitised by render_markdown)
            for v in versions
        ]
    }

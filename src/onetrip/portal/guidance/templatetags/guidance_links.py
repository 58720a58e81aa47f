"""Links from a form's step to the guidance that applies (`{% load guidance_links %}`):
`{% guidance_help "declaration" %}` shows the guides and FAQ entries for that step, and
`{{ "C23"|proof_sample_url }}` is the page of one proof sample."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from onetrip.portal.guidance.selectors import entries_for_step

register = template.Library()


@register.inclusion_tag("guidance/_help.html")
def guidance_help(applies_to: str, limit: int = 4) -> dict[str, Any]:
    entries = entries_for_step(applies_to=applies_to)
    return {"entries": entries[:limit], "more": len(entries) > limit, "applies_to": applies_to}


@register.filter
def proof_sample_url(proof_id: str) -> str:
    return reverse("guidance:proof", kwargs={"proof_id": proof_id})

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
def guidance_help(applies_to: str, kinds: str = "guide,faq", limit: int = 4) -> dict[str, Any]:
    """The first `limit` entries of `kinds` (comma-separated) that apply to a form's step."""
    wanted = tuple(k for k in kinds.split(",") if k in ("policy", "guide", "faq"))
    entries = entries_for_step(applies_to=applies_to, kinds=wanted or ("guide", "faq"))
    return {"entries": entries[:limit], "policies": wanted == ("policy",)}


@register.filter
def proof_sample_url(proof_id: str) -> str:
    return reverse("guidance:proof", kwargs={"proof_id": proof_id})

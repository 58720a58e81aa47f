"""Reading guidance in the police zone: the editors' list, one entry with its versions, staff
guidance for those who work on cases, and search over what staff may read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from onetrip.common.zh_search import document_weights, highlight, query_groups, score
from onetrip.contracts.guidance import ENTRY_KEY_PATTERN

from .errors import GuidanceNotFound
from .models import Entry, Kind, Version
from .services import guidance_check_can_edit, guidance_may_edit, guidance_may_read_staff


def guidance_list_for_editor(*, user: Any, kind: str | None = None) -> QuerySet[Entry]:
    guidance_check_can_edit(user=user)
    entries = Entry.objects.select_related("published", "working")
    if kind:
        # A kind no entry can have (a NUL byte, which PostgreSQL refuses in text) finds nothing.
        entries = entries.filter(kind=kind) if kind in Kind.values else entries.none()
    return entries.order_by("kind", "key")


def guidance_get_for_editor(*, user: Any, key: str) -> tuple[Entry, list[Version]]:
    guidance_check_can_edit(user=user)
    if not re.match(ENTRY_KEY_PATTERN, key):  # nothing to find, and no NUL byte for PostgreSQL
        raise GuidanceNotFound()
    entry = Entry.objects.select_related("published", "working").filter(key=key).first()
    if entry is None:
        raise GuidanceNotFound()
    return entry, list(entry.versions.order_by("-revision"))


def staff_guidance_for(*, user: Any, applies_to: str | None = None) -> list[Version]:
    """Published staff guidance (内部工作指引) for those who work on cases, optionally only
    what applies to one kind of case."""
    if not guidance_may_read_staff(user):
        return []
    entries = Entry.objects.filter(kind=Kind.STAFF, published__isnull=False)
    out = [e.published for e in entries.select_related("published") if e.published is not None]
    out.sort(key=lambda v: (v.sort, v.entry_id))
    if applies_to:
        out = [v for v in out if applies_to in (v.applies_to or [])]
    return out


@dataclass(frozen=True)
class StaffHit:
    key: str
    kind: str
    title_html: str
    snippet_html: str
    score: float


def guidance_search_for_staff(*, user: Any, query: str, limit: int = 20) -> list[StaffHit]:
    """Search the published entries staff may read (public ones, and staff guidance for those
    who work on cases; editors also search drafts). Ranked as the portal ranks."""
    query = " ".join(query.split())[:50]
    groups = query_groups(query)
    terms = {word for group in groups for word in group}
    if not terms:
        return []
    kinds = [Kind.POLICY, Kind.GUIDE, Kind.FAQ, Kind.PROOF]
    if guidance_may_read_staff(user):
        kinds.append(Kind.STAFF)
    editor = guidance_may_edit(user)
    versions: dict[str, Version] = {}
    for entry in Entry.objects.filter(kind__in=kinds).select_related("published", "working"):
        version = (entry.working if editor and entry.working else None) or entry.published
        if version is not None:
            versions[entry.key] = version
    postings = {
        key: document_weights(
            {"title": v.title, "summary": v.summary, "tags": v.article, "body": v.body}
        )
        for key, v in versions.items()
    }
    ranked = sorted(score(postings, groups, len(postings)).items(), key=lambda kv: (-kv[1], kv[0]))
    marks = sorted(terms, key=len, reverse=True)
    return [
        StaffHit(
            key=key,
            kind=versions[key].entry.kind,
            title_html=highlight(versions[key].title, marks),
            snippet_html=highlight(versions[key].summary or versions[key].body, marks, limit=80),
            score=round(value, 3),
        )
        for key, value in ranked[:limit]
    ]

"""Reading the published guidance: lists by kind and category, one entry, the entries that apply
to a step of a form, and search (segmented words, synonyms, ranking, highlighting)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Max, QuerySet

from onetrip.common.zh_search import highlight, query_groups, score
from onetrip.contracts.guidance import ENTRY_KEY_PATTERN

from .models import Entry, SearchToken

# What a request may name, checked before any query: a value no entry can have (a NUL byte,
# which PostgreSQL refuses in text, or any other) finds nothing instead of failing.
_KEY = re.compile(ENTRY_KEY_PATTERN)
_CODE = re.compile(r"[A-Za-z0-9_-]{1,20}")
_PROOF_ID = re.compile(r"[A-Za-z0-9-]{1,8}")

QUERY_MAX = 50
RESULTS_MAX = 50


def entries_published(*, kind: str | None = None, category: str | None = None) -> QuerySet[Entry]:
    entries = Entry.objects.filter(active=True).defer("body_text")
    if (kind and not _CODE.fullmatch(kind)) or (category and not _CODE.fullmatch(category)):
        return entries.none()
    if kind:
        entries = entries.filter(kind=kind)
    if category:
        entries = entries.filter(category=category)
    return entries.order_by("kind", "sort", "key")


def entry_get(*, key: str) -> Entry | None:
    if not _KEY.fullmatch(key):
        return None
    return Entry.objects.filter(key=key, active=True).first()


def proof_get(*, proof_id: str) -> Entry | None:
    if not _PROOF_ID.fullmatch(proof_id):
        return None
    return Entry.objects.filter(kind="proof", proof_id=proof_id, active=True).first()


def entries_by_keys(keys: Iterable[str]) -> list[Entry]:
    wanted = [k for k in keys if _KEY.fullmatch(k)]
    found = {e.key: e for e in Entry.objects.filter(key__in=wanted, active=True)}
    return [found[k] for k in wanted if k in found]


def entries_for_step(*, applies_to: str, kinds: tuple[str, ...] = ("guide", "faq")) -> list[Entry]:
    """The guides and FAQ entries that apply to one step of a form, guides first.
    (`applies_to` is a JSON list, filtered here so it works the same on both databases.)"""
    candidates = Entry.objects.filter(active=True, kind__in=kinds).only(
        "key", "kind", "title", "article", "applies_to", "sort"
    )
    chosen = [e for e in candidates if applies_to in (e.applies_to or [])]
    return sorted(chosen, key=lambda e: (kinds.index(e.kind), e.sort, e.key))


def guidance_version() -> str:
    """A tag that changes whenever the published guidance does (for ETags)."""
    row = Entry.objects.aggregate(latest=Max("received_at"), revisions=Max("revision"))
    count = Entry.objects.count()
    raw = f"{row['latest']}|{row['revisions']}|{count}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float
    title_html: str
    snippet_html: str


def guidance_search(*, query: str, kind: str | None = None, limit: int = 20) -> list[Hit]:
    """Entries matching `query`, best first. Words are segmented (jieba) and widened by
    synonyms; an entry's score sums, over the words it holds, the word's weight in the query ×
    its weight in the entry × how rare it is; ties go to the title order."""
    query = " ".join("".join(c if c.isprintable() else " " for c in query).split())[:QUERY_MAX]
    groups = query_groups(query)
    terms = {word for group in groups for word in group}
    if not terms:
        return []
    rows = SearchToken.objects.filter(token__in=list(terms), entry__active=True)
    if kind:
        rows = rows.filter(entry__kind=kind)
    postings: dict[str, dict[str, float]] = {}
    for entry_id, token, weight in rows.values_list("entry_id", "token", "weight"):
        postings.setdefault(str(entry_id), {})[token] = weight
    total = Entry.objects.filter(active=True).count()
    scores = score(postings, groups, total)
    best = sorted(scores.items(), key=lambda kv: (-kv[1], int(kv[0])))[: min(limit, RESULTS_MAX)]
    entries = Entry.objects.in_bulk([int(k) for k, _ in best])
    marks = sorted(terms, key=len, reverse=True)
    hits = []
    for key, value in best:
        entry = entries[int(key)]
        text = entry.summary or entry.body_text
        hits.append(
            Hit(
                entry=entry,
                score=round(value, 3),
                title_html=highlight(entry.title, marks),
                snippet_html=highlight(text, marks, limit=90),
            )
        )
    return hits

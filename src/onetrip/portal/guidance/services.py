"""Keep the portal's copy of the published guidance and its search index (police → portal)."""

from __future__ import annotations

import logging
from typing import Any

from onetrip.common.db import atomic_for
from onetrip.common.markup import plain_text, render_markdown
from onetrip.common.zh_search import document_weights
from onetrip.contracts.guidance import GuidanceEntryPublishedV1, GuidancePictureV1

from .models import Entry, Picture, SearchToken

logger = logging.getLogger(__name__)
TOKEN_MAX = 40


def picture_apply(*, message: GuidancePictureV1) -> Picture:
    """Keep the picture's bytes (the contract checked them against their hash)."""
    with atomic_for(Picture):
        picture, _ = Picture.objects.get_or_create(
            sha256=message.sha256,
            defaults={
                "media_type": message.media_type,
                "data": message.raw(),
                "width": message.width,
                "height": message.height,
            },
        )
    return picture


def _fields(message: GuidanceEntryPublishedV1) -> dict[str, Any]:
    steps = [
        {
            "title": step.title,
            "body_html": render_markdown(step.body),
            "body_text": plain_text(step.body),
            "picture": step.picture.model_dump() if step.picture else None,
        }
        for step in message.steps
    ]
    return {
        "kind": message.kind,
        "revision": message.revision,
        "active": message.active,
        "title": message.title,
        "summary": message.summary,
        "body_html": render_markdown(message.body),
        "body_text": plain_text(message.body),
        "category": message.category,
        "applies_to": list(message.applies_to),
        "related": list(message.related),
        "local_setting": message.local_setting,
        "source": message.source,
        "article": message.article,
        "steps": steps,
        "proof_id": message.proof_id,
        "issuer": message.issuer,
        "when_needed": message.when_needed,
        "auto_fetched": message.auto_fetched,
        "picture": message.picture.model_dump() if message.picture else None,
        "sort": message.sort,
        "published_at": message.published_at,
    }


def index_entry(entry: Entry) -> None:
    """Replace the entry's words in the search index."""
    SearchToken.objects.filter(entry=entry).delete()
    if not entry.active:
        return
    tags = " ".join(
        [entry.article, entry.issuer, entry.when_needed, entry.proof_id]
        + [s["title"] for s in entry.steps]
    )
    body = " ".join([entry.body_text, *(s.get("body_text", "") for s in entry.steps)])
    weights = document_weights(
        {"title": entry.title, "summary": entry.summary, "tags": tags, "body": body}
    )
    SearchToken.objects.bulk_create(
        [
            SearchToken(entry=entry, token=token, weight=weight)
            for token, weight in weights.items()
            if len(token) <= TOKEN_MAX
        ]
    )


def entry_published_apply(*, message: GuidanceEntryPublishedV1) -> Entry | None:
    """Take a newer published revision of an entry; an older one arriving late changes
    nothing. Runs inside the ferry's apply transaction."""
    fields = _fields(message)
    with atomic_for(Entry):
        entry = Entry.objects.select_for_update().filter(key=message.key).first()
        if entry is None:
            entry = Entry.objects.create(key=message.key, **fields)
        elif entry.revision >= message.revision:
            return None
        else:
            for name, value in fields.items():
                setattr(entry, name, value)
            entry.save()
        index_entry(entry)
    logger.info("guidance entry applied key=%s revision=%s", entry.key, entry.revision)
    return entry

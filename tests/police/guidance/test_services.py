"""Guidance is written as a draft, reviewed and published by a second editor; every version is
kept with who and when; only published public entries are queued for the portal."""

from __future__ import annotations

import pytest

from onetrip.common.errors import ApplicationError
from onetrip.ferry.registry import get_store
from onetrip.police.guidance.errors import GuidanceConflict, GuidanceForbidden, GuidanceInvalid
from onetrip.police.guidance.models import Entry, Status, Version
from onetrip.police.guidance.services import (
    guidance_draft_save,
    guidance_publish,
    guidance_return,
    guidance_submit,
)
from tests.fixtures import staff

from .conftest import FAQ_DRAFT

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def _guidance_outbox() -> list:
    rows = get_store("police").outbox.objects.filter(message_type__startswith="guidance.")
    return list(rows.order_by("id"))


def test_a_draft_is_published_only_by_a_second_editor(editor, second_editor):
    guidance_draft_save(user=editor, key="faq-renew-online", kind="faq", data=FAQ_DRAFT)
    assert _guidance_outbox() == []
    guidance_submit(user=editor, key="faq-renew-online")
    with pytest.raises(GuidanceConflict) as refused:
        guidance_publish(user=editor, key="faq-renew-online")
    assert refused.value.code == "guidance_four_eyes"
    assert _guidance_outbox() == []
    version = guidance_publish(user=second_editor, key="faq-renew-online")
    assert version.status == Status.PUBLISHED
    assert (version.author, version.submitted_by, version.reviewed_by) == (
        "editor_one",
        "editor_one",
        "editor_two",
    )
    assert version.published_at is not None
    [row] = _guidance_outbox()
    assert row.message_type == "guidance.entry_published"
    assert row.payload["title"] == FAQ_DRAFT["title"]


def test_every_version_is_kept_and_the_old_one_superseded(editor, second_editor):
    key = "faq-renew-online"
    guidance_draft_save(user=editor, key=key, kind="faq", data=FAQ_DRAFT)
    guidance_submit(user=editor, key=key)
    guidance_publish(user=second_editor, key=key)
    guidance_draft_save(user=second_editor, key=key, data={**FAQ_DRAFT, "title": "能网上签注吗？"})
    entry = Entry.objects.get(key=key)
    assert entry.published.title == FAQ_DRAFT["title"]  # the draft is not public yet
    guidance_submit(user=second_editor, key=key)
    guidance_publish(user=editor, key=key)
    versions = list(Version.objects.filter(entry__key=key).order_by("revision"))
    assert [(v.revision, v.status) for v in versions] == [
        (1, Status.SUPERSEDED),
        (2, Status.PUBLISHED),
    ]
    assert len(_guidance_outbox()) == 2


def test_a_returned_version_goes_back_to_draft_with_the_note(editor, second_editor):
    key = "faq-renew-online"
    guidance_draft_save(user=editor, key=key, kind="faq", data=FAQ_DRAFT)
    guidance_submit(user=editor, key=key)
    version = guidance_return(user=second_editor, key=key, note="请注明签注期限")
    assert version.status == Status.DRAFT and version.review_note == "请注明签注期限"
    with pytest.raises(GuidanceConflict):
        guidance_publish(user=second_editor, key=key)


def test_staff_guidance_is_never_queued_for_the_portal(editor, second_editor):
    data = {"title": "内部口径", "body": "仅限民警", "category": "casework"}
    guidance_draft_save(user=editor, key="staff-internal", kind="staff", data=data)
    guidance_submit(user=editor, key="staff-internal")
    guidance_publish(user=second_editor, key="staff-internal")
    assert _guidance_outbox() == []


def test_only_the_content_role_edits(beishan, editor):
    clerk = staff("clerk_x", "window_clerk", beishan)
    with pytest.raises(GuidanceForbidden):
        guidance_draft_save(user=clerk, key="faq-x", kind="faq", data=FAQ_DRAFT)


def test_problems_are_reported_together(editor):
    with pytest.raises(GuidanceInvalid) as invalid:
        guidance_draft_save(
            user=editor,
            key="proof-zz",
            kind="proof",
            data={"title": "", "category": "Z", "proof_id": "Z99"},
        )
    assert {e.field for e in invalid.value.errors} == {"title", "category", "proof_id"}


def test_a_bad_key_is_refused(editor):
    with pytest.raises(ApplicationError):
        guidance_draft_save(user=editor, key="Bad Key!", kind="faq", data=FAQ_DRAFT)


def test_seed_publishes_every_entry_once_and_again_nothing(seeded):
    from onetrip.police.guidance.seed import seed_entries
    from onetrip.police.guidance.services import guidance_seed_load

    assert seeded["created"] >= 95
    queued = len(_guidance_outbox())
    assert guidance_seed_load(entries=seed_entries()) == {
        "created": 0,
        "updated": 0,
        "unchanged": seeded["created"],
    }
    assert len(_guidance_outbox()) == queued

"""Writing guidance: drafts, review and publication by a second person, pictures, and the seed
content a deployment starts with. Publishing a public entry queues its whole published version
(and first the pictures it shows) for the portal, in the transaction of the publication; drafts
and staff guidance are never queued (`contracts/guidance.py`)."""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any, get_args

from django.utils import timezone

from onetrip.common.db import atomic_for
from onetrip.common.errors import FieldError
from onetrip.common.permit_materials import BY_ID
from onetrip.contracts.guidance import (
    ENTRY_KEY_PATTERN,
    FAQ_CATEGORY_LABELS,
    POLICY_LEVEL_LABELS,
    AppliesTo,
    GuidanceEntryPublishedV1,
    GuidancePictureV1,
    GuidePicture,
    GuideStep,
)
from onetrip.ferry.agent.outbox import emit
from onetrip.police.accounts.models import Role
from onetrip.police.accounts.selectors import staff_profile
from onetrip.police.audit.services import audit_record

from .errors import GuidanceConflict, GuidanceForbidden, GuidanceInvalid, GuidanceNotFound
from .models import PUBLIC_KINDS, Entry, Kind, Picture, Status, Version
from .pictures import picture_prepare

logger = logging.getLogger(__name__)

PURPOSE = "guidance"
OBJECT_TYPE = "guidance_entry"
#: The content role: the city's administrators write, review and publish guidance.
CONTENT_ROLES = frozenset({Role.CITY_ADMIN})
#: Who reads staff guidance (内部工作指引): everyone who works on cases.
STAFF_GUIDANCE_ROLES = frozenset(
    {
        Role.WINDOW_CLERK,
        Role.REVIEWER,
        Role.APPROVER,
        Role.STATION_ADMIN,
        Role.FIELD_OFFICER,
        Role.DISTRICT_ADMIN,
        Role.CITY_ADMIN,
    }
)
CONTENT_FIELDS = (
    "title", "summary", "body", "category", "applies_to", "related", "local_setting", "source",
    "article", "steps", "proof_id", "issuer", "when_needed", "auto_fetched", "picture", "sort",
)  # fmt: skip
SEED_ACTOR = "seed"
PROOF_CATEGORIES = ("A", "B", "C", "D")
STAFF_CATEGORIES = ("casework", "declaration", "permit", "endorsement", "minors")

# -- who may ----------------------------------------------------------------------------------


def guidance_may_edit(user: Any) -> bool:
    profile = staff_profile(user)
    return profile is not None and profile.role in CONTENT_ROLES


def guidance_check_can_edit(*, user: Any) -> None:
    if not guidance_may_edit(user):
        raise GuidanceForbidden()


def guidance_may_read_staff(user: Any) -> bool:
    profile = staff_profile(user)
    return profile is not None and profile.role in STAFF_GUIDANCE_ROLES


def guidance_can_publish(*, user: Any, version: Version) -> bool:
    """The four-eyes rule: whoever wrote or sent the version may not publish it."""
    return (
        guidance_may_edit(user)
        and version.status == Status.REVIEW
        and user.get_username() not in {version.author, version.submitted_by}
    )


# -- cleaning input ---------------------------------------------------------------------------


def _problem(field: str, code: str, zh: str, en: str) -> FieldError:
    return FieldError(field, code, zh, en)


def _text(data: Mapping[str, Any], name: str, limit: int) -> str:
    value = data.get(name)
    return str(value).replace("\x00", "").strip()[:limit] if value is not None else ""


def _picture(value: Any, problems: list[FieldError], field: str) -> dict[str, Any] | None:
    if not value:
        return None
    try:
        picture = GuidePicture.model_validate(value)
    except ValueError:
        problems.append(_problem(field, "picture_invalid", "图片信息有误", "Bad picture"))
        return None
    if not Picture.objects.filter(sha256=picture.sha256).exists():
        problems.append(_problem(field, "picture_missing", "图片不存在", "Unknown picture"))
    return picture.model_dump()


def guidance_clean(*, kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The content fields of a version of `kind` from `data`, or `GuidanceInvalid` with every
    problem at once."""
    problems: list[FieldError] = []
    values: dict[str, Any] = {
        "title": _text(data, "title", 200),
        "summary": _text(data, "summary", 500),
        "body": _text(data, "body", 20000),
        "category": _text(data, "category", 20),
        "local_setting": bool(data.get("local_setting")),
        "source": _text(data, "source", 300),
        "article": _text(data, "article", 40),
        "proof_id": _text(data, "proof_id", 8),
        "issuer": _text(data, "issuer", 100),
        "when_needed": _text(data, "when_needed", 500),
        "auto_fetched": bool(data.get("auto_fetched")),
    }
    try:
        values["sort"] = max(0, min(100000, int(data.get("sort") or 0)))
    except (TypeError, ValueError):
        values["sort"] = 0
    if not values["title"]:
        problems.append(_problem("title", "required", "请填写标题", "The title is required"))
    applies = data.get("applies_to") or []
    if isinstance(applies, str):
        applies = [a.strip() for a in re.split(r"[,，\s]+", applies) if a.strip()]
    allowed = set(get_args(AppliesTo))
    unknown = [a for a in applies if a not in allowed]
    if unknown:
        problems.append(
            _problem("applies_to", "unknown", "适用事项不在可选范围内", "Unknown applies-to code")
        )
    values["applies_to"] = [a for a in dict.fromkeys(applies) if a in allowed]
    related = data.get("related") or []
    if isinstance(related, str):
        related = [r.strip() for r in re.split(r"[,，\s]+", related) if r.strip()]
    values["related"] = [r for r in dict.fromkeys(related) if re.match(ENTRY_KEY_PATTERN, r)][:20]
    category_choices: tuple[str, ...] = {
        Kind.FAQ: tuple(FAQ_CATEGORY_LABELS),
        Kind.POLICY: tuple(POLICY_LEVEL_LABELS),
        Kind.PROOF: PROOF_CATEGORIES,
        Kind.STAFF: STAFF_CATEGORIES,
    }.get(Kind(kind), ())
    if category_choices and values["category"] not in category_choices:
        problems.append(_problem("category", "unknown", "请选择分类", "Choose a category"))
    if kind == Kind.PROOF and values["proof_id"] not in BY_ID:
        problems.append(
            _problem("proof_id", "unknown", "材料编号不在材料目录中", "Not a catalogue proof id")
        )
    if kind == Kind.POLICY and not values["source"]:
        problems.append(_problem("source", "required", "请填写出处", "The source is required"))
    steps = []
    for n, raw in enumerate(data.get("steps") or []):
        step = {
            "title": str(raw.get("title", "")).strip()[:100],
            "body": str(raw.get("body", "")).strip()[:4000],
            "picture": _picture(raw.get("picture"), problems, f"steps.{n}"),
        }
        if step["title"]:
            steps.append(step)
    values["steps"] = steps[:20]
    values["picture"] = _picture(data.get("picture"), problems, "picture")
    if problems:
        raise GuidanceInvalid(problems)
    return values


# -- pictures ---------------------------------------------------------------------------------


def picture_store(*, raw: bytes, actor: str) -> Picture:
    """Resize and keep a picture; the same bytes twice are kept once."""
    prepared = picture_prepare(raw)
    with atomic_for(Picture):
        picture, _ = Picture.objects.get_or_create(
            sha256=prepared.sha256,
            defaults={
                "media_type": prepared.media_type,
                "data": prepared.data,
                "width": prepared.width,
                "height": prepared.height,
                "uploaded_by": actor,
            },
        )
    return picture


def picture_ref(picture: Picture, *, alt: str) -> dict[str, Any]:
    return {"sha256": picture.sha256, "alt": alt, "width": picture.width, "height": picture.height}


# -- the workflow -----------------------------------------------------------------------------


def _content(version: Version) -> dict[str, Any]:
    return {name: getattr(version, name) for name in CONTENT_FIELDS}


def _audit(user: Any, entry: Entry, action: str, version: Version) -> None:
    profile = staff_profile(user)
    audit_record(
        actor=user.get_username(),
        actor_role=profile.role if profile else "",
        action=action,
        object_type=OBJECT_TYPE,
        object_id=entry.key,
        purpose=PURPOSE,
        detail={"revision": version.revision},
    )


def _locked(key: str) -> Entry:
    if not re.match(ENTRY_KEY_PATTERN, key):  # nothing to find, and no NUL byte for PostgreSQL
        raise GuidanceNotFound()
    entry = Entry.objects.select_for_update().filter(key=key).first()
    if entry is None:
        raise GuidanceNotFound()
    return entry


def guidance_draft_save(
    *, user: Any, key: str, data: Mapping[str, Any], kind: str | None = None
) -> Version:
    """Save `data` as the entry's draft: a new entry when `kind` is given and the key is new;
    otherwise the working draft, or a new draft copied from the published version. A version
    in review is not edited (it goes back to draft first)."""
    guidance_check_can_edit(user=user)
    if kind is None and not re.match(ENTRY_KEY_PATTERN, key):
        raise GuidanceNotFound()
    with atomic_for(Entry, durable=True):
        entry = (
            Entry.objects.select_for_update().filter(key=key).first()
            if re.match(ENTRY_KEY_PATTERN, key)
            else None
        )
        if entry is None:
            if kind is None or kind not in Kind.values:
                raise GuidanceNotFound()
            if not re.match(ENTRY_KEY_PATTERN, key):
                raise GuidanceInvalid(
                    [_problem("key", "invalid", "编号只能由小写字母、数字和连字符组成",
                              "Use lower-case letters, digits and hyphens")]
                )  # fmt: skip
            entry = Entry.objects.create(key=key, kind=kind)
        elif kind is not None:
            raise GuidanceConflict(
                "guidance_key_taken", "该编号已被使用，请换一个", "That key is taken"
            )
        values = guidance_clean(kind=entry.kind, data=data)
        version = entry.working
        if version is not None and version.status == Status.REVIEW:
            raise GuidanceConflict(
                "guidance_in_review",
                "该条目正在审核中，请先退回再修改",
                "The entry is in review; return it to draft before editing",
            )
        if version is None:
            last = entry.versions.order_by("-revision").first()
            version = Version(
                entry=entry,
                revision=(last.revision + 1) if last else 1,
                status=Status.DRAFT,
                author=user.get_username(),
            )
        for name, value in values.items():
            setattr(version, name, value)
        version.author = user.get_username()
        version.save()
        if entry.working_id != version.pk:
            entry.working = version
            entry.save(update_fields=["working"])
        _audit(user, entry, "guidance.draft_save", version)
        return version


def guidance_submit(*, user: Any, key: str) -> Version:
    """Send the draft to review by a second editor."""
    guidance_check_can_edit(user=user)
    with atomic_for(Entry, durable=True):
        entry = _locked(key)
        version = entry.working
        if version is None or version.status != Status.DRAFT:
            raise GuidanceConflict(
                "guidance_no_draft", "该条目没有待送审的草稿", "The entry has no draft to send"
            )
        version.status = Status.REVIEW
        version.submitted_by = user.get_username()
        version.submitted_at = timezone.now()
        version.review_note = ""
        version.save()
        _audit(user, entry, "guidance.submit", version)
        return version


def guidance_return(*, user: Any, key: str, note: str) -> Version:
    """The reviewer sends the version back to draft with a note."""
    guidance_check_can_edit(user=user)
    with atomic_for(Entry, durable=True):
        entry = _locked(key)
        version = entry.working
        if version is None or version.status != Status.REVIEW:
            raise GuidanceConflict(
                "guidance_not_in_review", "该条目不在审核中", "The entry is not in review"
            )
        version.status = Status.DRAFT
        version.review_note = note.strip()[:500]
        version.save()
        _audit(user, entry, "guidance.return", version)
        return version


def guidance_publish(*, user: Any, key: str) -> Version:
    """Publish the version in review: only by an editor who neither wrote nor sent it. The
    previous published version is kept as superseded; a public entry is queued for the portal
    in this transaction."""
    guidance_check_can_edit(user=user)
    with atomic_for(Entry, durable=True):
        entry = _locked(key)
        version = entry.working
        if version is None or version.status != Status.REVIEW:
            raise GuidanceConflict(
                "guidance_not_in_review", "该条目不在审核中", "The entry is not in review"
            )
        if not guidance_can_publish(user=user, version=version):
            raise GuidanceConflict(
                "guidance_four_eyes",
                "撰写或送审该版本的人不能审核发布，须由另一名内容编辑发布",
                "Whoever wrote or sent this version may not publish it; another editor must",
            )
        _publish(entry, version, reviewer=user.get_username())
        _audit(user, entry, "guidance.publish", version)
        return version


def _publish(entry: Entry, version: Version, *, reviewer: str) -> None:
    now = timezone.now()
    if entry.published_id and entry.published_id != version.pk:
        Version.objects.filter(pk=entry.published_id).update(status=Status.SUPERSEDED)
    version.status = Status.PUBLISHED
    version.reviewed_by = reviewer
    version.published_at = now
    version.save()
    entry.published = version
    entry.working = None
    entry.save(update_fields=["published", "working"])
    if entry.kind in PUBLIC_KINDS:
        guidance_emit(entry=entry, version=version, actor=f"staff:{reviewer}")
    logger.info("guidance published key=%s revision=%s", entry.key, version.revision)


def _pictures_of(version: Version) -> list[str]:
    shas = [version.picture["sha256"]] if version.picture else []
    shas += [s["picture"]["sha256"] for s in version.steps if s.get("picture")]
    return list(dict.fromkeys(shas))


def guidance_message(*, entry: Entry, version: Version) -> GuidanceEntryPublishedV1:
    assert entry.kind in PUBLIC_KINDS and version.published_at is not None
    return GuidanceEntryPublishedV1(
        key=entry.key,
        kind=entry.kind,  # type: ignore[arg-type]
        revision=version.revision,
        title=version.title,
        summary=version.summary,
        body=version.body,
        category=version.category,
        applies_to=version.applies_to,
        related=version.related,
        local_setting=version.local_setting,
        source=version.source,
        article=version.article,
        steps=[GuideStep.model_validate(s) for s in version.steps],
        proof_id=version.proof_id,
        issuer=version.issuer,
        when_needed=version.when_needed,
        auto_fetched=version.auto_fetched,
        picture=GuidePicture.model_validate(version.picture) if version.picture else None,
        sort=version.sort,
        published_at=version.published_at,
    )


def guidance_emit(*, entry: Entry, version: Version, actor: str) -> None:
    """Queue the pictures of `version`, then the version itself; inside the publishing
    transaction."""
    for picture in Picture.objects.filter(sha256__in=_pictures_of(version)):
        emit(
            zone="police",
            message=GuidancePictureV1(
                sha256=picture.sha256,
                media_type=picture.media_type,  # type: ignore[arg-type]
                data=base64.b64encode(bytes(picture.data)).decode("ascii"),
                width=picture.width,
                height=picture.height,
            ),
            aggregate_id=picture.sha256,
            correlation_id=entry.key,
            actor=actor,
            purpose=PURPOSE,
        )
    emit(
        zone="police",
        message=guidance_message(entry=entry, version=version),
        aggregate_id=entry.key,
        correlation_id=entry.key,
        actor=actor,
        purpose=PURPOSE,
    )


# -- seed content -----------------------------------------------------------------------------


def guidance_seed_load(*, entries: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Bring the packaged content in as published versions (the bureau's reviewed text that
    ships with a deployment). An entry whose published content already equals the seed is left
    alone; a changed one gets a new published version; loading twice publishes nothing.
    Entries marked `"state": "review"` are left waiting in review, for the demo's editors."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with atomic_for(Entry, durable=True):
        for item in entries:
            key, kind = item["key"], item["kind"]
            values = guidance_clean(kind=kind, data=item)
            entry, created = Entry.objects.select_for_update().get_or_create(
                key=key, defaults={"kind": kind}
            )
            current = entry.working or entry.published
            if current is not None and _content(current) == values:
                counts["unchanged"] += 1
                continue
            last = entry.versions.order_by("-revision").first()
            version = Version.objects.create(
                entry=entry,
                revision=(last.revision + 1) if last else 1,
                status=Status.REVIEW,
                author=SEED_ACTOR,
                submitted_by=SEED_ACTOR,
                submitted_at=timezone.now(),
                **values,
            )
            if item.get("state") == "review":
                entry.working = version
                entry.save(update_fields=["working"])
            else:
                _publish(entry, version, reviewer=SEED_ACTOR)
            counts["created" if created else "updated"] += 1
        if counts["created"] or counts["updated"]:
            audit_record(
                actor=SEED_ACTOR,
                action="guidance.seed_load",
                object_type=OBJECT_TYPE,
                object_id="*",
                purpose=PURPOSE,
                detail={k: v for k, v in counts.items()},
            )
    return counts


def guidance_republish_all(*, actor: str) -> int:
    """Queue every published public entry again (a portal rebuilt from nothing)."""
    count = 0
    with atomic_for(Entry, durable=True):
        for entry in Entry.objects.filter(
            kind__in=PUBLIC_KINDS, published__isnull=False
        ).select_related("published"):
            assert entry.published is not None
            guidance_emit(entry=entry, version=entry.published, actor=actor)
            count += 1
    return count

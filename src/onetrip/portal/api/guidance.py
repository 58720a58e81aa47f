"""Channel API for guidance (政策法规、办事指南、你问我答、材料样例): lists, one entry and search,
for the WeChat account, the police app and the provincial portal. Answers are cacheable: each
carries an `ETag` that changes when the published guidance does, and a request with that tag in
`If-None-Match` is answered 304 without a body. The same selectors as the pages."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Header, Path, Query, Router, Schema, Status

from onetrip.common.api import code_list, describe_codes, error_responses, examples
from onetrip.common.errors import NotFound
from onetrip.contracts.guidance import (
    APPLIES_TO_LABELS,
    FAQ_CATEGORY_LABELS,
    PUBLIC_KIND_LABELS,
)
from onetrip.portal.guidance.models import Entry
from onetrip.portal.guidance.selectors import (
    QUERY_MAX,
    entries_published,
    entry_get,
    guidance_search,
    guidance_version,
)

router = Router(tags=["guidance"])
CACHE_SECONDS = 300
ETAG_DESCRIPTION = (
    "内容版本标签；下次请求放在 If-None-Match 中，内容未变时答 304 / Tag of the content's "
    "version; send it in If-None-Match and an unchanged answer is 304"
)
CACHEABLE = {
    "ETag": {"description": ETAG_DESCRIPTION, "schema": {"type": "string"}},
    "Cache-Control": {
        "description": f"可缓存 {CACHE_SECONDS} 秒 / Cacheable for {CACHE_SECONDS} s",
        "schema": {"type": "string"},
    },
}
NOT_MODIFIED = {"description": "内容未变 / Not modified since the tag in If-None-Match"}

EXAMPLE_ITEM: dict[str, Any] = {
    "key": "faq-endorsement-late",
    "kind": "faq",
    "title": "居住证签注过期（逾期未签注）了怎么办？",
    "summary": "",
    "category": "endorsement",
    "applies_to": ["endorsement"],
    "local_setting": False,
    "article": "",
    "proof_id": "",
    "revision": 1,
    "published_at": "2026-12-01T09:00:00+08:00",
    "url": "/guide/faq-endorsement-late/",
}
EXAMPLE_DETAIL: dict[str, Any] = {
    **EXAMPLE_ITEM,
    "body_html": "<p>逾期未签注的，居住证<strong>使用功能中止</strong>……</p>",
    "source": "",
    "issuer": "",
    "when_needed": "",
    "auto_fetched": False,
    "picture": None,
    "steps": [],
    "related": ["policy-zj-19"],
}
EXAMPLE_HIT: dict[str, Any] = {
    "key": "faq-endorsement-late",
    "kind": "faq",
    "title": "居住证签注过期（逾期未签注）了怎么办？",
    "title_html": "居住证<mark>签注</mark><mark>过期</mark>（<mark>逾期</mark>未签注）了怎么办？",
    "snippet_html": "<mark>逾期</mark>未签注的，居住证使用功能<mark>中止</mark>……",
    "score": 71.25,
    "url": "/guide/faq-endorsement-late/",
}

KIND_DESCRIPTION = "类型 / Kind. 取值 / Codes: " + describe_codes(PUBLIC_KIND_LABELS)
Kind = code_list(PUBLIC_KIND_LABELS)
AppliesTo = code_list(APPLIES_TO_LABELS)


class PictureOut(Schema):
    url: str = Field(description="图片地址 / Picture URL", examples=["/guide/pictures/ab12…"])
    alt: str = Field(description="图片说明（替代文字）/ Alternative text", examples=["样例图"])
    width: int = Field(description="宽（像素）/ Width in pixels", examples=[480])
    height: int = Field(description="高（像素）/ Height in pixels", examples=[320])


class StepOut(Schema):
    title: str = Field(description="步骤标题 / Step title", examples=["查看申领条件"])
    body_html: str = Field(description="步骤说明（已净化的HTML）/ Step text (sanitised HTML)")
    picture: PictureOut | None = Field(description="步骤示意图 / Step picture")


class EntryOut(Schema):
    key: str = Field(
        description="条目编号（稳定）/ Stable entry key", examples=[EXAMPLE_ITEM["key"]]
    )
    kind: Kind = Field(description=KIND_DESCRIPTION, examples=["faq"])  # type: ignore[valid-type]
    title: str = Field(description="标题（问答为问题）/ Title (the question of an FAQ)")
    summary: str = Field(description="摘要 / Summary")
    category: str = Field(
        description="分类：问答为 "
        + describe_codes(FAQ_CATEGORY_LABELS)
        + "；政策为 national/zhejiang/hangzhou；材料为 A/B/C/D / Category: FAQ codes above, "
        "policy level, or proof category",
        examples=["endorsement"],
    )
    applies_to: list[AppliesTo] = Field(  # type: ignore[valid-type]
        description="适用事项 / Applies to. 取值 / Codes: " + describe_codes(APPLIES_TO_LABELS)
    )
    local_setting: bool = Field(
        description="本地规定（本省、本市的设置，可能调整）/ A local setting that may change"
    )
    article: str = Field(description="政策条款 / Article of a policy", examples=["第十条"])
    proof_id: str = Field(description="材料编号（A1…D31）/ Proof catalogue id", examples=["C23"])
    revision: int = Field(description="发布版本 / Published revision", examples=[1])
    published_at: dt.datetime = Field(description="发布时间 / Published at")
    url: str = Field(description="网页地址 / Page URL", examples=[EXAMPLE_ITEM["url"]])


class EntryListOut(Schema):
    count: int = Field(description="条目数 / Number of entries", examples=[1])
    items: list[EntryOut] = Field(description="条目 / Entries")


class EntryDetailOut(EntryOut):
    body_html: str = Field(description="正文（已净化的HTML）/ Body (sanitised HTML)")
    source: str = Field(description="政策出处 / Source of a policy")
    issuer: str = Field(description="材料出具部门 / Issuing department of a proof")
    when_needed: str = Field(description="何时需要该材料 / When the proof is needed")
    auto_fetched: bool = Field(
        description="系统自动获取，如数据不全则需提交 / Fetched from department data"
    )
    picture: PictureOut | None = Field(description="样例图 / Sample picture")
    steps: list[StepOut] = Field(description="办事步骤 / Steps of a guide")
    related: list[str] = Field(description="相关条目编号 / Keys of related entries")


class HitOut(Schema):
    key: str = Field(description="条目编号 / Entry key", examples=[EXAMPLE_HIT["key"]])
    kind: Kind = Field(description=KIND_DESCRIPTION, examples=["faq"])  # type: ignore[valid-type]
    title: str = Field(description="标题 / Title")
    title_html: str = Field(description="标题，匹配处以 <mark> 标出 / Title with <mark>")
    snippet_html: str = Field(description="摘录，匹配处以 <mark> 标出 / Snippet with <mark>")
    score: float = Field(description="相关度，越大越相关 / Relevance, higher first")
    url: str = Field(description="网页地址 / Page URL")


class SearchOut(Schema):
    query: str = Field(description="查询词 / The query", examples=["签注过期"])
    items: list[HitOut] = Field(description="结果，最相关的在前 / Results, best first")


def _url(entry: Entry) -> str:
    if entry.kind == "proof":
        return reverse("guidance:proof", kwargs={"proof_id": entry.proof_id})
    return reverse("guidance:entry", kwargs={"key": entry.key})


def _picture(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if not value:
        return None
    url = reverse("guidance:picture", kwargs={"sha256": value["sha256"]})
    return {"url": url, "alt": value["alt"], "width": value["width"], "height": value["height"]}


def _item(entry: Entry) -> dict[str, Any]:
    return {
        "key": entry.key,
        "kind": entry.kind,
        "title": entry.title,
        "summary": entry.summary,
        "category": entry.category,
        "applies_to": entry.applies_to,
        "local_setting": entry.local_setting,
        "article": entry.article,
        "proof_id": entry.proof_id,
        "revision": entry.revision,
        "published_at": entry.published_at,
        "url": _url(entry),
    }


def _etag(request: HttpRequest) -> str:
    raw = f"{guidance_version()}|{request.get_full_path()}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def _cached(request: HttpRequest, response: HttpResponse, if_none_match: str | None) -> bool:
    """Set the caching headers; True when the client's copy is current (answer 304)."""
    tag = _etag(request)
    response["ETag"] = tag
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    response["Vary"] = "Accept-Language"
    return bool(if_none_match) and tag in [t.strip() for t in if_none_match.split(",")]


IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        description="上次答复的 ETag / The ETag of an earlier answer",
        example='"3f2a9c0d"',
    ),
]


def _extra(example: dict[str, Any]) -> dict[str, Any]:
    extra = examples(responses={200: example})
    extra["responses"][200]["headers"] = CACHEABLE
    extra["responses"][304] = NOT_MODIFIED
    return extra


@router.get(
    "/entries",
    response={200: EntryListOut, 304: None, **error_responses(422)},
    summary="指南条目列表 / List guidance entries",
    description="已发布的政策法规、办事指南、你问我答和材料样例，可按类型和分类筛选；内部工作"
    "指引不在此列。答复可缓存，带 ETag。\n\nThe published policies, guides, FAQ and proof "
    "samples, by kind and category; staff guidance is never here. Cacheable, with an ETag.",
    openapi_extra=_extra({"count": 1, "items": [EXAMPLE_ITEM]}),
)
def list_entries(
    request: HttpRequest,
    response: HttpResponse,
    kind: Annotated[
        Kind | None,  # type: ignore[valid-type]
        Query(description=KIND_DESCRIPTION, example="faq"),
    ] = None,
    category: Annotated[
        str | None,
        Query(
            max_length=20,
            description="分类代码 / Category code (see EntryOut.category)",
            example="endorsement",
        ),
    ] = None,
    if_none_match: IfNoneMatch = None,
) -> Any:
    if _cached(request, response, if_none_match):
        return Status(304, None)
    items = [_item(e) for e in entries_published(kind=kind, category=category)]
    return {"count": len(items), "items": items}


@router.get(
    "/entries/{key}",
    response={200: EntryDetailOut, 304: None, **error_responses(404, 422)},
    summary="一个指南条目 / One guidance entry",
    description="一个已发布条目的全文（已净化的HTML）、步骤和图片；未发布或不存在的答 404。\n\n"
    "One published entry with its body (sanitised HTML), steps and pictures; 404 when there "
    "is no such published entry.",
    openapi_extra=_extra(EXAMPLE_DETAIL),
)
def get_entry(
    request: HttpRequest,
    response: HttpResponse,
    key: Annotated[
        str,
        Path(max_length=64, description="条目编号 / Entry key", example="faq-endorsement-late"),
    ],
    if_none_match: IfNoneMatch = None,
) -> Any:
    entry = entry_get(key=key)
    if entry is None:
        raise NotFound("guidance_not_found", "未找到该指南条目", "Guidance entry not found")
    if _cached(request, response, if_none_match):
        return Status(304, None)
    steps = [
        {"title": s["title"], "body_html": s["body_html"], "picture": _picture(s.get("picture"))}
        for s in entry.steps
    ]
    return {
        **_item(entry),
        "body_html": entry.body_html,
        "source": entry.source,
        "issuer": entry.issuer,
        "when_needed": entry.when_needed,
        "auto_fetched": entry.auto_fetched,
        "picture": _picture(entry.picture),
        "steps": steps,
        "related": entry.related,
    }


@router.get(
    "/search",
    response={200: SearchOut, 304: None, **error_responses(422)},
    summary="搜索指南 / Search guidance",
    description="中文全文搜索：分词、同义词（如 暂住证→居住证、社保→社会保险、小孩→未成年）、"
    "按相关度排序，匹配处以 <mark> 标出。\n\nChinese full-text search: segmented words, "
    "synonyms, ranked best first, matches marked with <mark>.",
    openapi_extra=_extra({"query": "签注过期", "items": [EXAMPLE_HIT]}),
)
def search(
    request: HttpRequest,
    response: HttpResponse,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=QUERY_MAX,
            description="查询词 / The query",
            example="签注过期",
        ),
    ],
    limit: Annotated[
        int, Query(ge=1, le=50, description="最多条数 / At most this many", example=10)
    ] = 10,
    if_none_match: IfNoneMatch = None,
) -> Any:
    if _cached(request, response, if_none_match):
        return Status(304, None)
    hits = guidance_search(query=q, limit=limit)
    items = [
        {
            "key": h.entry.key,
            "kind": h.entry.kind,
            "title": h.entry.title,
            "title_html": h.title_html,
            "snippet_html": h.snippet_html,
            "score": h.score,
            "url": _url(h.entry),
        }
        for h in hits
    ]
    return {"query": q, "items": items}

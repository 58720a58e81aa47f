"""The portal's guidance pages (政策法规、办事指南、你问我答、材料样例): lists, one entry, a proof
sample, search, pictures, and the large-text option. Mobile-first, no JavaScript needed; the
content is the published copy the police zone sent over the ferry."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from onetrip.contracts.guidance import (
    APPLIES_TO_LABELS,
    FAQ_CATEGORY_LABELS,
    POLICY_LEVEL_LABELS,
    PUBLIC_KIND_LABELS,
)

from .models import Entry, Picture
from .selectors import (
    QUERY_MAX,
    entries_by_keys,
    entries_published,
    entry_get,
    guidance_search,
    proof_get,
)

TEXT_COOKIE = "guide_text"
PROOF_CATEGORY_LABELS = {
    "A": gettext_lazy("身份与关系证明"),
    "B": gettext_lazy("就业证明"),
    "C": gettext_lazy("住所证明"),
    "D": gettext_lazy("就读证明"),
}
KIND_PATHS = {"policy": "policies", "guide": "guides", "faq": "faq", "proof": "proofs"}


def _base(request: HttpRequest, **context: object) -> dict[str, object]:
    return {
        "large_text": request.COOKIES.get(TEXT_COOKIE) == "large",
        "kind_labels": PUBLIC_KIND_LABELS,
        "faq_categories": FAQ_CATEGORY_LABELS,
        **context,
    }


def _proof_categories() -> dict[str, str]:
    return {k: str(v) for k, v in PROOF_CATEGORY_LABELS.items()}


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "guidance/home.html",
        _base(request, guides=list(entries_published(kind="guide"))),
    )


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:QUERY_MAX]
    hits = guidance_search(query=query) if query else []
    return render(request, "guidance/search.html", _base(request, q=query, hits=hits))


@require_safe
def kind_list(request: HttpRequest, kind: str) -> HttpResponse:
    category = request.GET.get("category") or None
    entries = list(entries_published(kind=kind, category=category))
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.category, []).append(entry)
    labels: dict[str, object] = {
        "faq": FAQ_CATEGORY_LABELS,
        "policy": POLICY_LEVEL_LABELS,
        "proof": _proof_categories(),
    }.get(kind, {})  # type: ignore[assignment]
    return render(
        request,
        "guidance/list.html",
        _base(
            request,
            kind=kind,
            kind_label=PUBLIC_KIND_LABELS[kind],  # type: ignore[index]
            groups=[(labels.get(c, c) if labels else "", items) for c, items in groups.items()],  # type: ignore[attr-defined]
            category=category,
            categories=labels,
        ),
    )


def _detail(request: HttpRequest, entry: Entry) -> HttpResponse:
    return render(
        request,
        "guidance/entry.html",
        _base(
            request,
            entry=entry,
            body=mark_safe(entry.body_html),  # noqa: S308  (sanitised on receipt, common/markup)
            steps=[{**s, "body_html": mark_safe(s["body_html"])} for s in entry.steps],  # noqa: S308
            related=entries_by_keys(entry.related),
            applies=[APPLIES_TO_LABELS[a] for a in entry.applies_to if a in APPLIES_TO_LABELS],
            level=POLICY_LEVEL_LABELS.get(entry.category, "") if entry.kind == "policy" else "",
            faq_category=FAQ_CATEGORY_LABELS.get(entry.category, "") if entry.kind == "faq" else "",
            proof_category=_proof_categories().get(entry.category, "")
            if entry.kind == "proof"
            else "",
            kind_path=KIND_PATHS[entry.kind],
        ),
    )


@require_safe
def entry_detail(request: HttpRequest, key: str) -> HttpResponse:
    entry = entry_get(key=key)
    if entry is None:
        raise Http404
    if entry.kind == "proof":
        return redirect("guidance:proof", proof_id=entry.proof_id, permanent=True)
    return _detail(request, entry)


@require_safe
def proof_detail(request: HttpRequest, proof_id: str) -> HttpResponse:
    entry = proof_get(proof_id=proof_id.upper())
    if entry is None:
        raise Http404
    return _detail(request, entry)


@require_safe
def picture(request: HttpRequest, sha256: str) -> HttpResponse:
    """A picture by its hash: the bytes never change, so it is cached for a year."""
    if request.headers.get("If-None-Match") == f'"{sha256}"':
        return HttpResponseNotModified()
    row = Picture.objects.filter(sha256=sha256).first()
    if row is None:
        raise Http404
    response = HttpResponse(bytes(row.data), content_type=row.media_type)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["ETag"] = f'"{sha256}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def text_size(request: HttpRequest) -> HttpResponse:
    """The large-text option: a cookie the guidance pages read (no JavaScript needed)."""
    target = request.POST.get("next") or "/guide/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/guide/"
    response = redirect(target)
    if request.POST.get("size") == "large":
        response.set_cookie(TEXT_COOKIE, "large", max_age=365 * 24 * 3600, samesite="Lax")
    else:
        response.delete_cookie(TEXT_COOKIE)
    return response

"""The workbench's guidance pages: the content editors' list, editing, pictures and the
draft → review → publish steps; and the staff guidance (内部工作指引) with search for everyone
who works on cases. Views parse input, call one service or selector, and render."""

from __future__ import annotations

from typing import Any, NoReturn

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from onetrip.common.errors import ApplicationError, FieldError
from onetrip.common.markup import render_markdown
from onetrip.contracts.guidance import (
    APPLIES_TO_LABELS,
    FAQ_CATEGORY_LABELS,
    POLICY_LEVEL_LABELS,
)

from .errors import GuidanceForbidden
from .models import Kind, Version
from .selectors import (
    guidance_get_for_editor,
    guidance_list_for_editor,
    guidance_search_for_staff,
    staff_guidance_for,
)
from .services import (
    PROOF_CATEGORIES,
    STAFF_CATEGORIES,
    guidance_can_publish,
    guidance_draft_save,
    guidance_may_read_staff,
    guidance_publish,
    guidance_return,
    guidance_submit,
    picture_ref,
    picture_store,
)

CATEGORY_CHOICES: dict[str, list[tuple[str, str]]] = {
    Kind.FAQ: [(k, str(v)) for k, v in FAQ_CATEGORY_LABELS.items()],
    Kind.POLICY: [(k, str(v)) for k, v in POLICY_LEVEL_LABELS.items()],
    Kind.PROOF: [(c, c) for c in PROOF_CATEGORIES],
    Kind.STAFF: [(c, c) for c in STAFF_CATEGORIES],
}


def _refuse(exc: ApplicationError, *, hide: bool = True) -> NoReturn:
    """An entry's pages answer 404 to whoever may not edit, as if it did not exist; the
    lists (no object) answer 403."""
    if exc.status == 404 or hide:
        raise Http404(exc.message)
    raise PermissionDenied(exc.message)


def _steps_text(steps: list[dict[str, Any]]) -> str:
    return "\n\n".join(f"{s['title']}\n{s.get('body', '')}".strip() for s in steps)


def _steps_from(text: str, old: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Steps from the textarea: blocks separated by a blank line, the first line the title.
    A step keeps the picture of the step at its place before."""
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    steps = []
    for n, block in enumerate(blocks):
        title, _sep, body = block.partition("\n")
        picture = old[n].get("picture") if n < len(old) else None
        steps.append({"title": title.strip(), "body": body.strip(), "picture": picture})
    return steps


def _form_data(request: HttpRequest, current: Version | None) -> dict[str, Any]:
    post = request.POST
    data: dict[str, Any] = {name: post.get(name, "") for name in (
        "title", "summary", "body", "category", "source", "article", "proof_id", "issuer",
        "when_needed", "sort", "related",
    )}  # fmt: skip
    data["applies_to"] = post.getlist("applies_to")
    data["local_setting"] = post.get("local_setting") == "1"
    data["auto_fetched"] = post.get("auto_fetched") == "1"
    old_steps = list(current.steps) if current else []
    data["steps"] = _steps_from(post.get("steps", ""), old_steps)
    data["picture"] = current.picture if current else None
    return data


def _context(kind: str, values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "kinds": Kind.choices,
        "values": values,
        "categories": CATEGORY_CHOICES.get(kind, []),
        "applies_choices": [(k, str(v)) for k, v in APPLIES_TO_LABELS.items()],
        **extra,
    }


def _values(version: Version | None) -> dict[str, Any]:
    if version is None:
        return {"applies_to": [], "steps_text": ""}
    values = {name: getattr(version, name) for name in (
        "title", "summary", "body", "category", "source", "article", "proof_id", "issuer",
        "when_needed", "sort", "local_setting", "auto_fetched", "applies_to",
    )}  # fmt: skip
    values["related"] = " ".join(version.related)
    values["steps_text"] = _steps_text(version.steps)
    return values


@login_required
def editor_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind") or None
    query = request.GET.get("q", "").strip()
    try:
        entries = list(guidance_list_for_editor(user=request.user, kind=kind))
        hits = guidance_search_for_staff(user=request.user, query=query) if query else []
    except GuidanceForbidden as exc:
        _refuse(exc, hide=False)
    return render(
        request,
        "guidance/editor_list.html",
        {"entries": entries, "kind": kind, "kinds": Kind.choices, "q": query, "hits": hits},
    )


@login_required
@require_http_methods(["GET", "POST"])
def editor_new(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("kind") or request.GET.get("kind") or Kind.FAQ
    if kind not in Kind.values:
        kind = Kind.FAQ
    values: dict[str, Any] = {"applies_to": [], "steps_text": ""}
    errors: dict[str, FieldError] = {}
    try:
        guidance_list_for_editor(user=request.user).none()
    except GuidanceForbidden as exc:
        _refuse(exc, hide=False)
    if request.method == "POST":
        key = request.POST.get("key", "").strip()
        try:
            guidance_draft_save(
                user=request.user, key=key, kind=kind, data=_form_data(request, None)
            )
        except ApplicationError as exc:
            if exc.status in (403, 404):
                _refuse(exc, hide=False)
            errors = exc.by_field()
            messages.error(request, exc.message)
            values = {**request.POST.dict(), "applies_to": request.POST.getlist("applies_to")}
            values["steps_text"] = request.POST.get("steps", "")
        else:
            messages.success(request, _("草稿已保存。"))
            return redirect("guidance:detail", key=key)
    return render(
        request, "guidance/editor_form.html", _context(kind, values, errors=errors, new=True)
    )


@login_required
def editor_detail(request: HttpRequest, key: str) -> HttpResponse:
    try:
        entry, versions = guidance_get_for_editor(user=request.user, key=key)
    except ApplicationError as exc:
        _refuse(exc)
    working = entry.working
    shown = working or entry.published
    return render(
        request,
        "guidance/editor_detail.html",
        {
            "entry": entry,
            "versions": versions,
            "working": working,
            "shown": shown,
            "preview": mark_safe(render_markdown(shown.body)) if shown else "",  # noqa: S308
            "can_publish": working is not None
            and guidance_can_publish(user=request.user, version=working),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def editor_edit(request: HttpRequest, key: str) -> HttpResponse:
    try:
        entry, _versions = guidance_get_for_editor(user=request.user, key=key)
    except ApplicationError as exc:
        _refuse(exc)
    current = entry.working or entry.published
    values = _values(current)
    errors: dict[str, FieldError] = {}
    if request.method == "POST":
        try:
            guidance_draft_save(user=request.user, key=key, data=_form_data(request, current))
        except ApplicationError as exc:
            if exc.status in (403, 404):
                _refuse(exc)
            messages.error(request, exc.message)
            errors = exc.by_field()
            values = {**request.POST.dict(), "applies_to": request.POST.getlist("applies_to")}
            values["steps_text"] = request.POST.get("steps", "")
        else:
            messages.success(request, _("草稿已保存。"))
            return redirect("guidance:detail", key=key)
    return render(
        request,
        "guidance/editor_form.html",
        _context(entry.kind, values, errors=errors, entry=entry, new=False),
    )


@login_required
@require_POST
def editor_picture(request: HttpRequest, key: str) -> HttpResponse:
    """Attach an uploaded picture to the draft: to the entry (step 0) or to step N."""
    try:
        entry, _versions = guidance_get_for_editor(user=request.user, key=key)
    except ApplicationError as exc:
        _refuse(exc)
    upload = request.FILES.get("picture")
    alt = request.POST.get("alt", "").strip()[:200]
    try:
        step = int(request.POST.get("step") or 0)
    except ValueError:
        step = 0
    current = entry.working or entry.published
    if upload is None or not alt or current is None:
        messages.error(request, _("请选择图片并填写图片说明（供读屏软件朗读）。"))
        return redirect("guidance:detail", key=key)
    try:
        picture = picture_store(raw=upload.read(), actor=request.user.get_username())
        data = {name: getattr(current, name) for name in (
            "title", "summary", "body", "category", "source", "article", "proof_id", "issuer",
            "when_needed", "sort", "local_setting", "auto_fetched", "applies_to", "related",
        )}  # fmt: skip
        steps = [dict(s) for s in current.steps]
        ref = picture_ref(picture, alt=alt)
        if 1 <= step <= len(steps):
            steps[step - 1]["picture"] = ref
            data["picture"] = current.picture
        else:
            data["picture"] = ref
        data["steps"] = steps
        guidance_draft_save(user=request.user, key=key, data=data)
    except ApplicationError as exc:
        if exc.status in (403, 404):
            _refuse(exc)
        messages.error(request, exc.message)
    else:
        messages.success(request, _("图片已缩放保存到草稿。"))
    return redirect("guidance:detail", key=key)


def _step(request: HttpRequest, key: str, action: str) -> HttpResponse:
    try:
        if action == "submit":
            guidance_submit(user=request.user, key=key)
            messages.success(request, _("已送审，请另一名内容编辑审核发布。"))
        elif action == "publish":
            guidance_publish(user=request.user, key=key)
            messages.success(request, _("已发布。公开内容将同步到网上服务平台。"))
        else:
            guidance_return(user=request.user, key=key, note=request.POST.get("note", ""))
            messages.success(request, _("已退回修改。"))
    except ApplicationError as exc:
        if exc.status in (403, 404):
            _refuse(exc)
        messages.error(request, exc.message)
    return redirect("guidance:detail", key=key)


@login_required
@require_POST
def editor_submit(request: HttpRequest, key: str) -> HttpResponse:
    return _step(request, key, "submit")


@login_required
@require_POST
def editor_publish(request: HttpRequest, key: str) -> HttpResponse:
    return _step(request, key, "publish")


@login_required
@require_POST
def editor_return(request: HttpRequest, key: str) -> HttpResponse:
    return _step(request, key, "return")


@login_required
def staff_answers(request: HttpRequest) -> HttpResponse:
    """Staff guidance and search over all guidance staff may read."""
    if not guidance_may_read_staff(request.user):
        raise PermissionDenied(_("您的岗位不办理业务，无需查看工作指引。"))
    query = request.GET.get("q", "").strip()
    return render(
        request,
        "guidance/staff_answers.html",
        {
            "items": [
                (v, mark_safe(render_markdown(v.body)))  # noqa: S308
                for v in staff_guidance_for(user=request.user)
            ],
            "q": query,
            "hits": guidance_search_for_staff(user=request.user, query=query) if query else [],
        },
    )

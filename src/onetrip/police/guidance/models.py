"""Guidance content (policies, guides, FAQ, proof samples, staff guidance) and its versions.

An entry is a stable key; what it says lives in its versions. The content editors change a
draft, send it to review, and a second editor publishes it (draft → review → published); every
version is kept with who wrote, sent and published it and when. Only an entry's published
version of a public kind reaches the portal (`contracts/guidance.py`)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    POLICY = "policy", _("政策法规")
    GUIDE = "guide", _("办事指南")
    FAQ = "faq", _("你问我答")
    PROOF = "proof", _("材料样例")
    STAFF = "staff", _("内部工作指引")


#: Kinds the portal shows; staff guidance stays in the police zone.
PUBLIC_KINDS = (Kind.POLICY, Kind.GUIDE, Kind.FAQ, Kind.PROOF)


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    REVIEW = "review", _("待审核")
    PUBLISHED = "published", _("已发布")
    SUPERSEDED = "superseded", _("已被新版本取代")


class Entry(models.Model):
    key = models.CharField("编号", max_length=64, unique=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    published = models.ForeignKey(
        "Version", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    working = models.ForeignKey(
        "Version", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "key"]
        verbose_name = "指南条目"
        verbose_name_plural = "指南条目"

    def __str__(self) -> str:
        return self.key


class Version(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="versions")
    revision = models.PositiveIntegerField("版本")
    status = models.CharField("状态", max_length=12, choices=Status.choices)
    title = models.CharField("标题", max_length=200)
    summary = models.CharField("摘要", max_length=500, blank=True)
    body = models.TextField("正文（Markdown）", blank=True)
    category = models.CharField("分类", max_length=20, blank=True)
    applies_to = models.JSONField("适用事项", default=list, blank=True)
    related = models.JSONField("相关条目", default=list, blank=True)
    local_setting = models.BooleanField("本地规定", default=False)
    source = models.CharField("出处", max_length=300, blank=True)
    article = models.CharField("条款", max_length=40, blank=True)
    steps = models.JSONField("步骤", default=list, blank=True)
    proof_id = models.CharField("材料编号", max_length=8, blank=True)
    issuer = models.CharField("出具部门", max_length=100, blank=True)
    when_needed = models.CharField("何时需要", max_length=500, blank=True)
    auto_fetched = models.BooleanField("系统自动获取", default=False)
    picture = models.JSONField("样例图", null=True, blank=True)
    sort = models.PositiveIntegerField("排序", default=0)
    author = models.CharField("撰写人", max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_by = models.CharField("送审人", max_length=150, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.CharField("审核发布人", max_length=150, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField("审核意见", max_length=500, blank=True)

    class Meta:
        ordering = ["entry", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "revision"], name="guidance_version_unique")
        ]
        verbose_name = "指南版本"
        verbose_name_plural = "指南版本"

    def __str__(self) -> str:
        return f"{self.entry.key} v{self.revision}"


class Picture(models.Model):
    """A resized picture (PNG or JPEG) by the SHA-256 of its bytes."""

    sha256 = models.CharField(max_length=64, unique=True)
    media_type = models.CharField(max_length=20)
    data = models.BinaryField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "指南图片"
        verbose_name_plural = "指南图片"

    def __str__(self) -> str:
        return self.sha256

"""The portal's copy of the published guidance (police zone → portal over the ferry), its
pictures, and the search index of segmented words."""

from __future__ import annotations

from django.db import models


class Entry(models.Model):
    key = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=10, db_index=True)
    revision = models.PositiveIntegerField()
    active = models.BooleanField(default=True)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500, blank=True)
    body_html = models.TextField(blank=True)  # rendered and sanitised here, on receipt
    body_text = models.TextField(blank=True)
    category = models.CharField(max_length=20, blank=True, db_index=True)
    applies_to = models.JSONField(default=list)
    related = models.JSONField(default=list)
    local_setting = models.BooleanField(default=False)
    source = models.CharField(max_length=300, blank=True)
    article = models.CharField(max_length=40, blank=True)
    steps = models.JSONField(default=list)  # [{title, body_html, picture}]
    proof_id = models.CharField(max_length=8, blank=True, db_index=True)
    issuer = models.CharField(max_length=100, blank=True)
    when_needed = models.CharField(max_length=500, blank=True)
    auto_fetched = models.BooleanField(default=False)
    picture = models.JSONField(null=True)
    sort = models.PositiveIntegerField(default=0)
    published_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "sort", "key"]

    def __str__(self) -> str:
        return self.key

    def get_kind_label(self) -> str:
        from onetrip.contracts.guidance import PUBLIC_KIND_LABELS

        return str(PUBLIC_KIND_LABELS.get(self.kind, self.kind))  # type: ignore[call-overload]


class Picture(models.Model):
    sha256 = models.CharField(max_length=64, unique=True)
    media_type = models.CharField(max_length=20)
    data = models.BinaryField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.sha256


class SearchToken(models.Model):
    """One word of one entry with its weight (`common/zh_search.py::document_weights`)."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="tokens")
    token = models.CharField(max_length=40, db_index=True)
    weight = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry", "token"], name="guidance_token_unique")
        ]

    def __str__(self) -> str:
        return self.token

"""Organisations that report remotely, their members and API tokens, and their imports
(DOMAIN ZJ-6…ZJ-10, WF-4).

An organisation's people sign in like residents (mobile number and SMS code); membership ties a
signed-in person to the organisation. The portal keeps no register: an import's valid rows are
forwarded to the police zone in chunks and only counts, problems and the uploaded file (encrypted,
for the error report) stay here.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onetrip.common.fields import EncryptedTextField
from onetrip.contracts.reporting import ORGANISATION_KIND_LABELS


def _choices(name: str, labels: dict[str, Any]) -> type[models.TextChoices]:
    """Django choices from a contract's code list and labels (one source, conventions §4)."""
    return models.TextChoices(  # type: ignore[call-overload,no-any-return]
        name, [(code.upper(), (code, label)) for code, label in labels.items()]
    )


OrganisationKind = _choices("OrganisationKind", ORGANISATION_KIND_LABELS)


class OrganisationStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REFUSED = "refused", _("未通过")
    SUSPENDED = "suspended", _("已暂停")


class Organisation(models.Model):
    """An employer, rental agency or property-management firm, by its credit code (ID-8…ID-12).
    It may report only once a district administrator has approved it."""

    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("单位名称"), max_length=100)
    kind = models.CharField(_("单位类型"), max_length=30, choices=OrganisationKind.choices)
    district_code = models.CharField(_("所在区县"), max_length=6)
    address = models.CharField(_("单位地址"), max_length=200)
    contact_name = EncryptedTextField(_("联系人"))
    contact_phone = EncryptedTextField(_("联系电话"))
    status = models.CharField(
        max_length=20, choices=OrganisationStatus.choices, default=OrganisationStatus.PENDING
    )
    decision_reason = models.CharField(max_length=300, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    registered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("报送单位")
        verbose_name_plural = _("报送单位")

    def __str__(self) -> str:
        return f"Organisation {self.credit_code}"


class MemberRole(models.TextChoices):
    ADMIN = "admin", _("单位管理员")
    CLERK = "clerk", _("经办人")


class OrganisationMember(models.Model):
    """A person who may act for the organisation, found by the keyed hash of their mobile number
    (the number they sign in with); the admin adds and removes clerks."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="members")
    phone = EncryptedTextField(_("手机号码"))
    phone_hash = models.CharField(max_length=64)
    name = EncryptedTextField(_("姓名"))
    role = models.CharField(max_length=10, choices=MemberRole.choices, default=MemberRole.CLERK)
    added_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "phone_hash"],
                condition=Q(removed_at__isnull=True),
                name="one_active_membership_per_phone",
            )
        ]
        indexes = [models.Index(fields=["phone_hash"], name="member_phone_idx")]

    def __str__(self) -> str:
        return f"OrganisationMember {self.pk}"


class TokenScope(models.TextChoices):
    REPORT = "reports:write", _("报送数据")
    READ = "reports:read", _("查询报送结果")


class ApiToken(models.Model):
    """A token for the organisation's own system. Only the SHA-256 of the secret is kept; the
    token is shown once. The prefix finds the row; the hash is compared in constant time."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(_("用途"), max_length=50)
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        OrganisationMember, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"ApiToken {self.prefix}"


class ImportSource(models.TextChoices):
    UPLOAD = "upload", _("网页上传")
    API = "api", _("接口报送")
    COMMAND = "command", _("命令行导入")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    READING = "reading", _("正在读取和校验")
    FORWARDING = "forwarding", _("正在报送公安")
    DONE = "done", _("已完成")
    REFUSED = "refused", _("文件无法读取")


class ReportImport(models.Model):
    """One file (or API batch) of an organisation, read in the background.

    The counters move as chunks are committed, so the progress bar reads them directly. The
    same bytes from the same organisation are one import (`file_sha256`), so uploading a file
    twice changes nothing the second time; an API batch is one import per idempotency key."""

    reference = models.CharField(max_length=20, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="imports")
    member = models.ForeignKey(
        OrganisationMember, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    token = models.ForeignKey(ApiToken, on_delete=models.PROTECT, related_name="+", null=True)
    source = models.CharField(max_length=10, choices=ImportSource.choices)
    filename = models.CharField(max_length=200)
    file_name = models.CharField(max_length=32)  # the encrypted copy in the file store
    file_sha256 = models.CharField(max_length=64)
    file_size = models.BigIntegerField(default=0)
    idempotency_key = models.CharField(max_length=100, blank=True, default="")
    dry_run = models.BooleanField(default=False)
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    refusal_code = models.CharField(max_length=60, blank=True, default="")
    refusal_zh = models.CharField(max_length=300, blank=True, default="")
    refusal_en = models.CharField(max_length=300, blank=True, default="")
    rows_read = models.IntegerField(default=0)
    rows_valid = models.IntegerField(default=0)
    rows_rejected = models.IntegerField(default=0)
    rows_applied = models.IntegerField(default=0)
    rows_unchanged = models.IntegerField(default=0)
    rows_conflicts = models.IntegerField(default=0)
    rows_refused = models.IntegerField(default=0)  # by the register, after crossing
    # The resume point: chunks committed so far and the file row they reach.
    chunks_sent = models.IntegerField(default=0)
    chunks_applied = models.IntegerField(default=0)
    checkpoint_row = models.IntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "file_sha256", "dry_run"],
                condition=Q(source__in=["upload", "command"]),
                name="one_import_per_file",
            ),
            models.UniqueConstraint(
                fields=["organisation", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="one_import_per_idempotency_key",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="import_org_idx")]

    def __str__(self) -> str:
        return f"ReportImport {self.reference}"


class ProblemSource(models.TextChoices):
    FILE = "file", _("文件校验")
    REGISTER = "register", _("公安登记比对")


class ImportProblem(models.Model):
    """A problem with one cell or row. `value_shown` is already masked for personal fields."""

    report_import = models.ForeignKey(
        ReportImport, on_delete=models.CASCADE, related_name="problems"
    )
    source = models.CharField(max_length=10, choices=ProblemSource.choices)
    sheet = models.CharField(max_length=10)
    row = models.IntegerField()
    column = models.CharField(max_length=40, blank=True, default="")
    value_shown = models.CharField(max_length=100, blank=True, default="")
    code = models.CharField(max_length=60)
    message_zh = models.CharField(max_length=300)
    message_en = models.CharField(max_length=300)

    class Meta:
        indexes = [models.Index(fields=["report_import", "sheet", "row"], name="problem_row_idx")]

    def __str__(self) -> str:
        return f"ImportProblem {self.pk}"


class ImportCounter(models.Model):
    """Per-day sequence of import references, taken with a conditional UPDATE."""

    day = models.DateField(unique=True)
    last = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"ImportCounter {self.day}"


class RosterEntry(models.Model):
    """A person the organisation reported, as its own reports say (arrived, and left or not):
    what its dashboard lists as housed or employed now. Masked values only; the register of
    record is in the police zone, which may still refuse a row (the import says so)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="roster")
    id_hash = models.CharField(max_length=64)
    relation = models.CharField(max_length=10)
    name_masked = models.CharField(max_length=50)
    id_masked = models.CharField(max_length=18)
    community_code = models.CharField(max_length=12, blank=True, default="")
    house_ref = models.CharField(max_length=40, blank=True, default="")
    since = models.DateField(null=True, blank=True)
    left_on = models.DateField(null=True, blank=True)
    import_reference = models.CharField(max_length=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "id_hash", "relation"], name="one_roster_entry"
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "left_on", "-since"], name="roster_open_idx")
        ]

    def __str__(self) -> str:
        return f"RosterEntry {self.pk}"


class RosterHouse(models.Model):
    """A rental house the organisation reported, for the tenancy ends coming due."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="roster_houses"
    )
    house_ref = models.CharField(max_length=40)
    community_code = models.CharField(max_length=12)
    rooms = models.IntegerField()
    let_from = models.DateField()
    let_until = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "house_ref"], name="one_roster_house")
        ]

    def __str__(self) -> str:
        return f"RosterHouse {self.house_ref}"

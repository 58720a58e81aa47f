"""Residence-permit applications as the station pre-reviews them (属地派出所初审; DOMAIN NAT-11,
DOC-1, WF-2).

A case is one application under its portal reference; a resubmission after a one-time notice is
the same case at the next revision. Personal data is encrypted at rest and found through keyed
hashes (DESIGN §8); uploaded files lie encrypted in the file store (`common/filestore.py`) and
the database keeps only their name, hash and size.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onetrip.common.fields import EncryptedTextField
from onetrip.contracts.permits import (
    APPLICATION_KIND_LABELS,
    APPLICATION_STATUS_LABELS,
    DELIVERY_METHOD_LABELS,
    PermitApplicationSubmittedV1,
)


def _choices(name: str, labels: dict[str, str]) -> type[models.TextChoices]:
    return models.TextChoices(  # type: ignore[call-overload,no-any-return]
        name, [(code.upper(), (code, label)) for code, label in labels.items()]
    )


_STATUS = APPLICATION_STATUS_LABELS


class PermitStatus(models.TextChoices):
    """The WF-2 statuses a case takes at the station, labelled by the contract. The statuses
    only the portal knows (a draft, a submission still on its way) never reach the station;
    `check_statuses` keeps this list and the contract's in step."""

    PRELIM_REVIEW = "prelim_review", _STATUS["prelim_review"]
    MATERIALS_REQUIRED = "materials_required", _STATUS["materials_required"]
    PREREVIEW_PASSED = "prereview_passed", _STATUS["prereview_passed"]
    ACCEPTED = "accepted", _STATUS["accepted"]
    REJECTED = "rejected", _STATUS["rejected"]
    APPROVED = "approved", _STATUS["approved"]
    IN_PRODUCTION = "in_production", _STATUS["in_production"]
    READY = "ready", _STATUS["ready"]
    COLLECTED = "collected", _STATUS["collected"]
    DELIVERED = "delivered", _STATUS["delivered"]


PORTAL_ONLY_STATUSES = frozenset({"draft", "submitted"})


def check_statuses() -> None:
    """Fail at start-up, not in a reviewer's request, if the contract's statuses change."""
    if set(PermitStatus.values) | PORTAL_ONLY_STATUSES != set(_STATUS):
        raise ImportError(f"permit statuses {PermitStatus.values} differ from {list(_STATUS)}")


check_statuses()
ApplicationKind = _choices("ApplicationKind", APPLICATION_KIND_LABELS)
DeliveryMethod = _choices("DeliveryMethod", DELIVERY_METHOD_LABELS)

# The fields of the application message the case keeps (everything but the document list, which
# becomes `PermitCaseDocument` rows), and among them the form fields a one-time notice may name.
APPLICATION_FIELDS: tuple[str, ...] = tuple(
    name for name in PermitApplicationSubmittedV1.model_fields if name != "documents"
)
FORM_FIELDS: tuple[str, ...] = tuple(
    name
    for name in APPLICATION_FIELDS
    if name not in ("reference", "revision", "materials", "consented_at", "submitted_at")
)


class Channel(models.TextChoices):
    ONLINE = "online", _("网上申请")
    WINDOW = "window", _("窗口录入")


class Task(models.TextChoices):
    """What the station does next on a case, in the order of the one stop: the queue a case
    waits in. Pre-review keeps its own statuses; these follow it."""

    ACCEPT = "accept", _("待受理")
    REVIEW = "review", _("待审核")
    APPROVE = "approve", _("待审批")
    PRODUCE = "produce", _("待制证")
    HAND_OVER = "hand_over", _("待领取")


class PermitCase(models.Model):
    """One residence-permit application in the pre-review of the station covering its address."""

    reference = models.CharField(max_length=32, unique=True)
    revision = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=ApplicationKind.choices)
    station = models.ForeignKey(
        "police_stations.Station", on_delete=models.PROTECT, related_name="permit_cases"
    )
    name = EncryptedTextField()
    id_number = EncryptedTextField()
    id_hash = models.CharField(max_length=64, db_index=True)
    phone = EncryptedTextField()
    phone_hash = models.CharField(max_length=64, db_index=True)
    community_code = models.CharField(max_length=12)
    address_detail = EncryptedTextField()
    route = models.CharField(max_length=20)
    housing = models.CharField(max_length=30, blank=True, default="")
    employer_name = models.CharField(max_length=100, blank=True, default="")
    school_name = models.CharField(max_length=100, blank=True, default="")
    social_insurance_months = models.PositiveIntegerField(null=True, blank=True)
    guardian_name = EncryptedTextField(blank=True, default="")
    guardian_id_number = EncryptedTextField(blank=True, default="")
    guardian_relation = models.CharField(max_length=20, blank=True, default="")
    permit_number = EncryptedTextField(blank=True, default="")
    delivery = models.CharField(max_length=10, choices=DeliveryMethod.choices)
    postal_address = EncryptedTextField(blank=True, default="")
    # The catalogue ids the resident's one-time list asked for (DOC-3).
    materials = models.JSONField(default=list)
    consented_at = models.DateTimeField()
    # When the resident submitted this revision: the pre-review time is counted from here.
    submitted_at = models.DateTimeField()
    received_at = models.DateTimeField()
    # What this revision changed, beside the files it brought: the form fields whose value
    # changed and the proofs the resident's list newly asks for (DOC-1: what a notice on this
    # revision may still name).
    changed_items = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=24, choices=PermitStatus.choices, default=PermitStatus.PRELIM_REVIEW
    )
    # The one-time notice of the latest decision (DOC-1), as [{"item": …, "text": …}].
    problems = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=500, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Decision time minus the resident's submission of the decided revision, in seconds.
    prereview_seconds = models.PositiveIntegerField(null=True, blank=True)

    # -- the station's one stop (一站式办结) after pre-review -------------------------------
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.ONLINE)
    # The station's next task on the case (`Task`); empty when nothing waits on the station.
    task = models.CharField(max_length=12, choices=Task.choices, blank=True, default="")
    # Who has taken the case for its current task (a case is taken before it is worked).
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    # When the current task began waiting: the queue's waiting time.
    task_since = models.DateTimeField(null=True, blank=True)
    receipt_number = models.CharField(max_length=24, null=True, blank=True, unique=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The legal clock (NAT-12): the last day the permit may be issued.
    due_on = models.DateField(null=True, blank=True)
    # Catalogue ids of the originals the clerk compared with the uploads at acceptance.
    originals_seen = models.JSONField(default=list, blank=True)
    # Read off the original ID card at acceptance for the card data (NAT-3).
    ethnicity = models.CharField(max_length=20, blank=True, default="")
    hukou_address = EncryptedTextField(blank=True, default="")
    # The photo taken at the window when the upload would not do (file store name).
    photo_stored_name = models.CharField(max_length=32, blank=True, default="")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The card production fee charged (WF-5: 0 but for reissue and exchange), in fen.
    fee_fen = models.PositiveIntegerField(default=0)
    # The production batch the card is in now (`production.py`); empty while it waits for the
    # station's next batch, and again after the bureau could not print it.
    production_batch = models.ForeignKey(
        "ProductionBatch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    # Why the bureau could not print the card last time; the queue shows it until it is printed.
    production_failure = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["submitted_at", "id"]
        indexes = [
            models.Index(fields=["station", "status", "submitted_at"]),
            models.Index(fields=["station", "task", "due_on", "task_since"]),
            models.Index(fields=["task", "due_on", "task_since"]),
        ]
        verbose_name = _("居住证申请")
        verbose_name_plural = _("居住证申请")

    def __str__(self) -> str:
        return self.reference


class TaskCount(models.Model):
    """How many cases wait in one task queue of one station: the tabs of the queue page, read
    as a handful of rows instead of counting thousands of cases on every page.

    Kept by database triggers on `PermitCase` (`task_counts.py`, migration 0006) in the same
    transaction as the change, whoever writes the case (a service, `bulk_create`, COPY), so a
    count never disagrees with the cases it counts. No code writes it."""

    station_id = models.BigIntegerField()
    task = models.CharField(max_length=12, choices=Task.choices)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["station_id", "task"], name="permit_task_count_key"),
        ]

    def __str__(self) -> str:
        return f"{self.station_id}/{self.task}: {self.n}"


class PermitCaseDocument(models.Model):
    """One uploaded file. It arrives before the application that lists it, so until then it is
    known by its reference only (`case` is empty)."""

    reference = models.CharField(max_length=32, db_index=True)
    case = models.ForeignKey(
        PermitCase,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
    )
    document_id = models.CharField(max_length=32, unique=True)
    item = models.CharField(max_length=8)
    media_type = models.CharField(max_length=40)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    # The file store's name of the ciphertext (`common/filestore.py`); says nothing of the person.
    stored_name = models.CharField(max_length=32)
    # The file name as uploaded, which may well carry a name: encrypted like any personal data.
    original_name = EncryptedTextField(blank=True, default="")
    # The revision whose application first listed this file; empty until one does.
    revision = models.PositiveIntegerField(null=True, blank=True)
    # Listed by the case's latest revision (a resubmission may drop files).
    current = models.BooleanField(default=False)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["item", "received_at", "id"]

    def __str__(self) -> str:
        return self.document_id


class PermitCaseEvent(models.Model):
    """Append-only history of a case: who moved it to which status at which revision, and why.

    A decision keeps its one-time notice (`problems`) and its pre-review time here, so a later
    revision can be checked against the notice before it (DOC-1) and the station's median
    counts every decision, not just each case's latest."""

    case = models.ForeignKey(PermitCase, on_delete=models.PROTECT, related_name="events")
    revision = models.PositiveIntegerField()
    from_status = models.CharField(max_length=24, blank=True, default="")
    status = models.CharField(max_length=24)
    actor = models.CharField(max_length=150)
    note = models.CharField(max_length=500, blank=True, default="")
    problems = models.JSONField(default=list, blank=True)
    prereview_seconds = models.PositiveIntegerField(null=True, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} r{self.revision} {self.from_status}→{self.status}"


class CardStatus(models.TextChoices):
    """The card's life after issue (WF-3; NAT-14, ZJ-17, ZJ-18)."""

    ACTIVE = "active", _("有效")
    ENDORSEMENT_DUE = "endorsement_due", _("待签注")
    SUSPENDED = "suspended", _("功能中止")
    REVOKED = "revoked", _("已作废")


class ResidencePermit(models.Model):
    """An issued residence permit (签发) with the card data of NAT-3.

    The anniversary that opens each endorsement window is counted from `issued_on` (ZJ-17);
    `valid_until` moves a year on with each endorsement; `residence_since` is the start of the
    count of residence years, which a late endorsement restarts (NAT-14)."""

    case = models.OneToOneField(PermitCase, on_delete=models.PROTECT, related_name="permit")
    permit_number = models.CharField(max_length=24, unique=True)
    station = models.ForeignKey(
        "police_stations.Station", on_delete=models.PROTECT, related_name="permits"
    )
    id_hash = models.CharField(max_length=64, db_index=True)
    # NAT-3: 姓名, 性别, 民族, 出生日期, 公民身份号码, 本人相片, 常住户口所在地住址,
    # 居住地住址, 签发机关, 签发日期.
    name = EncryptedTextField()
    sex = models.CharField(max_length=2)
    ethnicity = models.CharField(max_length=20, blank=True, default="")
    birth_date = models.DateField()
    id_number = EncryptedTextField()
    # The file store's name of the photo on the card (`common/filestore.py`).
    photo_stored_name = models.CharField(max_length=32, blank=True, default="")
    hukou_address = EncryptedTextField(blank=True, default="")
    residence_address = EncryptedTextField()
    issuing_authority = models.CharField(max_length=100)
    issued_on = models.DateField()
    valid_until = models.DateField()
    residence_since = models.DateField()
    card_status = models.CharField(
        max_length=16, choices=CardStatus.choices, default=CardStatus.ACTIVE
    )
    # The card that replaced this one on reissue or exchange (ZJ-18).
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaces"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    handed_over_at = models.DateTimeField(null=True, blank=True)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # How many times the card has changed since issue (`cards.py`): the portal's mirror keeps
    # only a newer snapshot of it (`permit.card_changed`); 0 until first told.
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["issued_on", "id"]
        indexes = [models.Index(fields=["card_status", "valid_until"])]
        verbose_name = _("居住证")
        verbose_name_plural = _("居住证")

    def __str__(self) -> str:
        return self.permit_number


class PermitNumberCounter(models.Model):
    """The last serial given under one prefix (issuing district and year): numbers are taken
    by one conditional UPDATE, so two approvals never share one."""

    prefix = models.CharField(max_length=40, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}:{self.last}"


class Endorsement(models.Model):
    """One yearly endorsement of a card (签注, NAT-13, NAT-14, ZJ-17), recorded electronically:
    no visit, no new card. Append-only; the card carries the dates that follow from it.

    `anniversary` is the anniversary of the issue date it answers; `on_time` is False for a late
    endorsement, which restarted the residence years on `endorsed_on`."""

    permit = models.ForeignKey(
        ResidencePermit, on_delete=models.PROTECT, related_name="endorsements"
    )
    case = models.OneToOneField(PermitCase, on_delete=models.PROTECT, related_name="endorsement")
    endorsed_on = models.DateField()
    anniversary = models.DateField()
    on_time = models.BooleanField()
    # The card's dates as this endorsement left them.
    valid_until = models.DateField()
    residence_since = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["endorsed_on", "id"]
        verbose_name = _("签注记录")
        verbose_name_plural = _("签注记录")

    def __str__(self) -> str:
        return f"{self.permit_id} {self.endorsed_on}"


class ProductionBatchStatus(models.TextChoices):
    """A production batch's way (制证批次): open while the station gathers its approved cards,
    exported once the file went to the card-printing bureau, returned once the bureau's return
    has a result for every card, closed when the station gave up waiting for the rest."""

    OPEN = "open", _("组批中")
    EXPORTED = "exported", _("已送制证")
    RETURNED = "returned", _("已回执")
    CLOSED = "closed", _("已关闭")


class ProductionBatch(models.Model):
    """The cards one station sends to the card-printing bureau on one day (`production.py`).

    A station has at most one open batch a day; once it is exported, cards approved later that
    day go into the day's next batch (`sequence`). The exported file is kept encrypted in the
    file store, so a download gives the very bytes whose hash was recorded and signed."""

    station = models.ForeignKey(
        "police_stations.Station", on_delete=models.PROTECT, related_name="production_batches"
    )
    day = models.DateField()
    sequence = models.PositiveSmallIntegerField()
    number = models.CharField(max_length=40, unique=True)
    status = models.CharField(
        max_length=10, choices=ProductionBatchStatus.choices, default=ProductionBatchStatus.OPEN
    )
    card_count = models.PositiveIntegerField(default=0)
    printed_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    exported_at = models.DateTimeField(null=True, blank=True)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The exported ZIP: its hash, size, the file store's name of its ciphertext, and the id of
    # the key that signed its manifest.
    file_sha256 = models.CharField(max_length=64, blank=True, default="")
    file_size = models.PositiveIntegerField(default=0)
    stored_name = models.CharField(max_length=32, blank=True, default="")
    key_id = models.CharField(max_length=16, blank=True, default="")
    returned_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "day", "sequence"], name="production_batch_station_day_seq"
            ),
            models.UniqueConstraint(
                fields=["station", "day"],
                condition=models.Q(status="open"),
                name="production_batch_one_open_a_day",
            ),
        ]
        indexes = [models.Index(fields=["station", "status", "day"])]
        verbose_name = _("制证批次")
        verbose_name_plural = _("制证批次")

    def __str__(self) -> str:
        return self.number


class ProductionResult(models.TextChoices):
    PENDING = "pending", _("制作中")
    PRINTED = "printed", _("已制成")
    FAILED = "failed", _("制证失败")


class ProductionCard(models.Model):
    """One card in one batch, and what the bureau said of it. A card that failed is made again
    in a later batch, so a case may have several of these; the latest is its current one."""

    batch = models.ForeignKey(ProductionBatch, on_delete=models.PROTECT, related_name="cards")
    case = models.ForeignKey(PermitCase, on_delete=models.PROTECT, related_name="production_cards")
    permit_number = models.CharField(max_length=24, db_index=True)
    result = models.CharField(
        max_length=8, choices=ProductionResult.choices, default=ProductionResult.PENDING
    )
    reason = models.CharField(max_length=300, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    return_file = models.ForeignKey(
        "ProductionReturn",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cards",
    )

    class Meta:
        ordering = ["batch", "id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "case"], name="production_card_once_a_batch")
        ]
        verbose_name = _("批次证件")
        verbose_name_plural = _("批次证件")

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.permit_number}"


class ProductionReturn(models.Model):
    """One return file of the bureau that was applied, known by its hash: the same file
    imported again changes nothing."""

    sha256 = models.CharField(max_length=64, unique=True)
    file_name = models.CharField(max_length=200, blank=True, default="")
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    row_count = models.PositiveIntegerField(default=0)
    printed_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = _("制证回执")
        verbose_name_plural = _("制证回执")

    def __str__(self) -> str:
        return self.sha256[:16]

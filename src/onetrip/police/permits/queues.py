"""The station's work queues after pre-review, one per task (待受理, 待审核, 待审批, 待制证,
待领取): overdue cases first, then by how long they have waited.

A queue page is one indexed query (`station, task, due_on, task_since`) with its station and
taker joined, however long the queue, and writes the audit row of the personal data it shows
(WF-6). A search by reference, phone or ID number uses the keyed hashes and is audited with the
kind of key, never its value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, F
from django.utils import timezone

from onetrip.common.search import staff_search_key
from onetrip.police.accounts.models import Role
from onetrip.police.accounts.selectors import staff_profile
from onetrip.police.audit.services import audit_read_personal_data

from .casework import task_roles
from .clock import days_left
from .models import PermitCase, Task
from .selectors import LIST_FIELDS, OBJECT_TYPE, permit_cases_visible_to

QUEUE_COLUMNS = (
    "reference",
    "kind",
    "name",
    "id_number",
    "status",
    "task",
    "channel",
    "due_on",
    "task_since",
    "station_id",
    "assigned_to__username",
)
OVERSEEING_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.STATION_ADMIN})


def casework_tasks_for(*, user: Any) -> list[str]:
    """The queues a member of staff works or oversees, in the order of the one stop."""
    profile = staff_profile(user) if user.is_authenticated else None
    if profile is None:
        return []
    if profile.role in OVERSEEING_ROLES:
        return list(Task.values)
    return [task for task in Task.values if profile.role in task_roles(task)]


def casework_counts_for_staff(*, user: Any) -> dict[str, int]:
    """How many cases wait in each of the user's queues (no personal data read)."""
    tasks = casework_tasks_for(user=user)
    counts = dict.fromkeys(tasks, 0)
    rows = (
        permit_cases_visible_to(user=user)
        .filter(task__in=tasks)
        .values("task")
        .annotate(n=Count("*"))
    )
    for row in rows:
        counts[row["task"]] = row["n"]
    return counts


@dataclass(frozen=True)
class QueueRow:
    case: PermitCase
    waiting: dt.timedelta | None
    days_left: int | None

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


def casework_queue_for_staff(
    *, user: Any, task: str, purpose: str, query: str = "", mine: bool = False
) -> list[QueueRow]:
    """One page of a task's queue in the user's scope, overdue first, or the cases matching
    `query` across every task. `mine` keeps the cases the user has taken."""
    if task not in casework_tasks_for(user=user):
        return []
    # Only what a row shows: two fields to decrypt per case, not every personal field.
    rows = permit_cases_visible_to(user=user).select_related("assigned_to").only(*QUEUE_COLUMNS)
    searched_by = ""
    if query.strip():
        found = staff_search_key(query)
        if found is None:
            return []
        searched_by, lookup = found
        rows = rows.filter(**lookup)
    else:
        rows = rows.filter(task=task)
        if mine:
            rows = rows.filter(assigned_to=user)
    order = (F("due_on").asc(nulls_last=True), F("task_since").asc(nulls_last=True), "id")
    page = list(rows.order_by(*order)[: settings.ONETRIP_QUEUE_PAGE_SIZE])
    if page or searched_by in ("phone", "id_number"):
        audit_read_personal_data(
            user=user,
            object_type=OBJECT_TYPE,
            object_id=f"search:{searched_by}" if searched_by else f"task:{task}",
            fields=list(LIST_FIELDS),
            purpose=f"search_by_{searched_by}:{purpose}" if searched_by else purpose,
        )
    now = timezone.now()
    today = timezone.localdate(now)
    return [
        QueueRow(
            case=c,
            waiting=now - c.task_since if c.task_since else None,
            days_left=days_left(c.due_on, today=today) if c.due_on else None,
        )
        for c in page
    ]

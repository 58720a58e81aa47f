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
from django.db.models import F, QuerySet
from django.utils import timezone

from onetrip.common.search import staff_search_key
from onetrip.police.accounts.models import Role
from onetrip.police.accounts.selectors import staff_profile
from onetrip.police.audit.services import audit_read_personal_data

from .casework import task_roles
from .clock import days_left
from .models import PermitCase, Task, TaskCount
from .selectors import (
    LIST_FIELDS,
    OBJECT_TYPE,
    permit_cases_visible_to,
    permit_station_ids_in_scope,
)

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
    """How many cases wait in each of the user's queues (no personal data read).

    Read from the counts the database keeps per station and task (`TaskCount`, see
    `task_counts.py`): a few rows, however long the queues."""
    tasks = casework_tasks_for(user=user)
    counts = dict.fromkeys(tasks, 0)
    stations = permit_station_ids_in_scope(user=user)
    if not tasks or stations == []:
        return counts
    rows = TaskCount.objects.filter(task__in=tasks)
    if stations is not None:
        rows = rows.filter(station_id__in=stations)
    for task, n in rows.values_list("task", "n"):
        counts[task] += n
    return counts


@dataclass(frozen=True)
class QueueRow:
    case: PermitCase
    waiting: dt.timedelta | None
    days_left: int | None

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


ORDER = (F("due_on").asc(nulls_last=True), F("task_since").asc(nulls_last=True), "id")


def _queue_rows(
    user: Any, task: str, query: str, mine: bool
) -> tuple[QuerySet[PermitCase] | None, str]:
    """The scoped, filtered and ordered cases of a queue page or a search (None: no search key
    in `query`), and the kind of key searched by."""
    rows = permit_cases_visible_to(user=user)
    if query.strip():
        found = staff_search_key(query)
        if found is None:
            return None, ""
        searched_by, lookup = found
        return rows.filter(**lookup).order_by(*ORDER), searched_by
    rows = rows.filter(task=task)
    if mine:
        rows = rows.filter(assigned_to=user)
    return rows.order_by(*ORDER), ""


def _audit_page(user: Any, task: str, purpose: str, searched_by: str, page: int) -> None:
    """The audit row of a page of personal data shown (WF-6): the task's queue, or a search
    by the kind of key, never its value."""
    if searched_by:
        object_id, purpose = f"search:{searched_by}", f"search_by_{searched_by}:{purpose}"
    else:
        object_id = f"task:{task}" if page == 1 else f"task:{task}:page:{page}"
    audit_read_personal_data(
        user=user,
        object_type=OBJECT_TYPE,
        object_id=object_id,
        fields=list(LIST_FIELDS),
        purpose=purpose,
    )


def casework_queue_for_staff(
    *, user: Any, task: str, purpose: str, query: str = "", mine: bool = False
) -> list[QueueRow]:
    """One page of a task's queue in the user's scope, overdue first, or the cases matching
    `query` across every task. `mine` keeps the cases the user has taken."""
    if task not in casework_tasks_for(user=user):
        return []
    rows, searched_by = _queue_rows(user, task, query, mine)
    if rows is None:
        return []
    # Only what a row shows: two fields to decrypt per case, not every personal field.
    rows = rows.select_related("assigned_to").only(*QUEUE_COLUMNS)
    page = list(rows[: settings.ONETRIP_QUEUE_PAGE_SIZE])
    if page or searched_by in ("phone", "id_number"):
        _audit_page(user, task, purpose, searched_by, 1)
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


# What a line of the queue page reads: plain values, no model built per case.
LINE_COLUMNS = (
    "reference",
    "kind",
    "name",
    "id_number",
    "status",
    "task",
    "channel",
    "due_on",
    "task_since",
    "assigned_to__username",
)


@dataclass(frozen=True)
class QueueLine:
    """One case as a line of the queue page shows it (name and ID number still in clear: the
    page masks them)."""

    reference: str
    kind: str
    name: str
    id_number: str
    status: str
    task: str
    channel: str
    due_on: dt.date | None
    taken_by: str
    waiting: dt.timedelta | None
    days_left: int | None

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


@dataclass(frozen=True)
class QueuePage:
    lines: list[QueueLine]
    number: int
    has_next: bool


def casework_queue_page_for_staff(
    *, user: Any, task: str, purpose: str, query: str = "", mine: bool = False, page: int = 1
) -> QueuePage:
    """Page `page` (from 1) of a task's queue in the user's scope, overdue first, at most
    `ONETRIP_STATION_QUEUE_PAGE_SIZE` lines; or the first page of the cases matching `query`
    across every task. `mine` keeps the cases the user has taken. Audited like
    `casework_queue_for_staff`; an empty page reads nobody's data and writes no row unless it
    was a search by a person's number."""
    page = max(1, page) if not query.strip() else 1
    if task not in casework_tasks_for(user=user):
        return QueuePage(lines=[], number=page, has_next=False)
    rows, searched_by = _queue_rows(user, task, query, mine)
    if rows is None:
        return QueuePage(lines=[], number=page, has_next=False)
    size = settings.ONETRIP_STATION_QUEUE_PAGE_SIZE
    start = (page - 1) * size
    values = list(rows.values_list(*LINE_COLUMNS)[start : start + size + 1])
    has_next = len(values) > size
    del values[size:]
    if values or searched_by in ("phone", "id_number"):
        _audit_page(user, task, purpose, searched_by, page)
    now = timezone.now()
    today = timezone.localdate(now)
    lines = [
        QueueLine(
            reference=reference,
            kind=kind,
            name=name,
            id_number=id_number,
            status=status,
            task=case_task,
            channel=channel,
            due_on=due_on,
            taken_by=taken_by or "",
            waiting=now - task_since if task_since else None,
            days_left=days_left(due_on, today=today) if due_on else None,
        )
        for (
            reference,
            kind,
            name,
            id_number,
            status,
            case_task,
            channel,
            due_on,
            task_since,
            taken_by,
        ) in values
    ]
    return QueuePage(lines=lines, number=page, has_next=has_next)

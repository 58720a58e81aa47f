"""The counts of the station's task queues (`TaskCount`) agree with the cases they count after
every kind of write: a service, a queryset update, a bulk create, a move to another station, a
delete; and they are restored when the triggers go missing."""

from __future__ import annotations

import pytest
from django.db import connections
from django.db.models import Count

from onetrip.police.permits.apps import _restore_task_count_triggers
from onetrip.police.permits.models import PermitCase, TaskCount
from onetrip.police.permits.queues import casework_counts_for_staff
from onetrip.police.permits.services import permit_prereview_pass
from onetrip.police.permits.task_counts import task_counts_drop, task_counts_installed
from tests.fixtures import staff
from tests.police.permits.conftest import REF, document, receive

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def _counted() -> dict[tuple[int, str], int]:
    rows = PermitCase.objects.exclude(task="").values("station_id", "task").annotate(n=Count("*"))
    return {(r["station_id"], r["task"]): r["n"] for r in rows}


def _kept() -> dict[tuple[int, str], int]:
    return {
        (station_id, task): n
        for station_id, task, n in TaskCount.objects.values_list("station_id", "task", "n")
        if n
    }


def test_the_counts_follow_every_change_of_a_case(beishan, hubin):
    reviewer = staff("reviewer_beishan", "reviewer", beishan)
    clerk = staff("clerk_beishan", "window_clerk", beishan)
    receive(document("photo"), document("B11"))
    assert _kept() == _counted() == {}
    permit_prereview_pass(user=reviewer, reference=REF)
    assert _kept() == _counted() == {(beishan.id, "accept"): 1}
    assert casework_counts_for_staff(user=clerk)["accept"] == 1

    case = PermitCase.objects.get(reference=REF)
    copies = []
    for n, task in enumerate(["accept", "accept", "review", "", "hand_over"], start=2):
        copy = PermitCase.objects.get(pk=case.pk)
        copy.pk = None
        copy.reference = f"PA2611270000{n:04d}"
        copy.task = task
        copies.append(copy)
    PermitCase.objects.bulk_create(copies)
    assert _kept() == _counted()
    assert _kept()[(beishan.id, "accept")] == 3

    PermitCase.objects.filter(task="accept").update(task="review")
    assert _kept() == _counted() == {(beishan.id, "review"): 4, (beishan.id, "hand_over"): 1}
    PermitCase.objects.filter(reference=REF).update(station=hubin)
    PermitCase.objects.filter(task="hand_over").update(task="")
    PermitCase.objects.filter(task="").update(task="approve")
    case = PermitCase.objects.get(reference=REF)
    case.task = "accept"
    case.save()
    case.save()  # a save that changes no task or station changes no count
    assert _kept() == _counted()
    assert _kept()[(hubin.id, "accept")] == 1
    assert casework_counts_for_staff(user=clerk) == {"accept": 0, "produce": 0, "hand_over": 0}

    PermitCase.objects.filter(station=beishan, task="review").first().delete()
    assert _kept() == _counted()


def test_missing_triggers_are_put_back_and_the_queues_counted_again(beishan):
    reviewer = staff("reviewer_beishan", "reviewer", beishan)
    receive(document("photo"), document("B11"))
    connection = connections["police"]
    task_counts_drop(connection)
    assert not task_counts_installed(connection)
    permit_prereview_pass(user=reviewer, reference=REF)
    assert _kept() == {}  # nothing counted it
    _restore_task_count_triggers(using="police")
    assert task_counts_installed(connection)
    assert _kept() == _counted() == {(beishan.id, "accept"): 1}

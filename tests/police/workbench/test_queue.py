"""The clerk's queue: search by reference, phone or ID number (keyed hashes, audited), counts
per status, duplicate flags, waiting time and full timestamps, and the next case after a
decision."""

from __future__ import annotations

import re

import pytest

from onetrip.police.audit.models import AuditEvent
from onetrip.police.register.services import declaration_receive
from tests.fixtures import submitted_declaration

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def _receive(reference: str, **changes):
    message = submitted_declaration(reference).model_copy(update=changes)
    return declaration_receive(message=message)


def test_queue_shows_counts_full_times_and_waiting(clerk_client, beishan):
    _receive("JZ26112700000001")
    _receive("JZ26112700000002", id_number="110101199003070038", phone="13900139000")
    page = clerk_client.get("/declarations/").content.decode()
    assert '<span class="count">2</span>' in page
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", page)
    assert "分钟" in page or "minute" in page


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("jz26112700000002", "reference"),
        ("139 0013 9000", "phone"),
        ("110101199003070038", "id_number"),
    ],
)
def test_search_finds_one_case_by_reference_phone_or_id(clerk_client, beishan, query, kind):
    _receive("JZ26112700000001")
    _receive("JZ26112700000002", id_number="110101199003070038", phone="13900139000")
    page = clerk_client.get("/declarations/", {"q": query}).content.decode()
    assert "JZ26112700000002" in page
    assert "JZ26112700000001" not in page
    if kind != "reference":
        row = AuditEvent.objects.get(object_id=f"search:{kind}")
        assert row.purpose.startswith(f"search_by_{kind}")
        assert query.replace(" ", "") not in str(row.detail)


def test_search_by_an_unknown_number_is_audited_and_finds_nothing(clerk_client, beishan):
    page = clerk_client.get("/declarations/", {"q": "110101199003070038"}).content.decode()
    assert "没有找到相符的申报" in page
    assert AuditEvent.objects.filter(object_id="search:id_number").count() == 1


def test_search_stays_within_the_jurisdiction(other_clerk_client, beishan):
    _receive("JZ26112700000001")
    page = other_clerk_client.get("/declarations/", {"q": "JZ26112700000001"}).content.decode()
    assert 'href="/declarations/JZ26112700000001/"' not in page


def test_duplicate_flags_are_shown_in_the_queue(clerk_client, beishan):
    _receive("JZ26112700000001")
    _receive("JZ26112700000002", address_detail="保俶路 8 号")
    _receive("JZ26112700000003")
    page = clerk_client.get("/declarations/").content.decode()
    assert "地址变更" in page
    assert "重复申报（同一地址）" in page


def test_after_a_decision_the_next_waiting_case_opens(clerk_client, beishan):
    _receive("JZ26112700000001")
    _receive("JZ26112700000002", id_number="110101199003070038")
    response = clerk_client.post("/declarations/JZ26112700000001/verify/", {})
    assert response["Location"].endswith("/declarations/JZ26112700000002/")
    response = clerk_client.post(
        "/declarations/JZ26112700000002/return/", {"reason": "门牌号缺失，请补充"}
    )
    assert response["Location"].endswith("/declarations/")


def test_history_speaks_plainly(clerk_client, beishan):
    _receive("JZ26112700000001")
    page = clerk_client.get("/declarations/JZ26112700000001/").content.decode()
    history = page.split("办理记录")[1]
    assert "网上申报平台" in history
    assert ">ferry<" not in history

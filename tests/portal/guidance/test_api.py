"""The channel API for guidance: lists, one entry, search — cacheable with ETags (304 when the
client's copy is current, a new tag when the published guidance changes), staff guidance never
there."""

from __future__ import annotations

import pytest

from .conftest import apply_police_outbox

pytestmark = pytest.mark.django_db(databases=["default", "police"])

HOST = "portal.testserver"
API = "/api/v1/guidance"


def get(client, path, **headers):
    return client.get(API + path, HTTP_HOST=HOST, **headers)


def test_lists_by_kind_and_category(client, published):
    body = get(client, "/entries?kind=faq&category=minors").json()
    assert body["count"] >= 5
    assert {i["kind"] for i in body["items"]} == {"faq"}
    assert {i["category"] for i in body["items"]} == {"minors"}
    everything = get(client, "/entries").json()
    assert not any(i["key"].startswith("staff-") for i in everything["items"])


def test_one_entry_with_its_steps_and_pictures(client, published):
    body = get(client, "/entries/guide-permit-application").json()
    assert body["steps"][0]["title"] == "查看申领条件"
    assert body["steps"][0]["picture"]["url"].startswith("/guide/pictures/")
    assert body["steps"][0]["picture"]["alt"]
    proof = get(client, "/entries/proof-c25").json()
    assert (proof["proof_id"], proof["auto_fetched"]) == ("C25", True)
    assert proof["url"] == "/guide/proofs/C25/"
    assert get(client, "/entries/staff-one-time-notice").status_code == 404
    assert get(client, "/entries/nothing-here").json()["code"] == "guidance_not_found"


def test_search_answers_best_first_with_marks(client, published):
    body = get(client, "/search?q=签注过期").json()
    assert body["items"][0]["key"] == "faq-endorsement-late"
    assert "<mark>" in body["items"][0]["title_html"]
    assert get(client, "/search?q=").status_code == 422


def test_an_unchanged_answer_is_304_and_a_publication_changes_the_tag(client, published):
    from onetrip.police.guidance.services import (
        guidance_draft_save,
        guidance_publish,
        guidance_submit,
    )
    from tests.fixtures import staff

    first = get(client, "/entries?kind=faq")
    tag = first["ETag"]
    assert tag and "max-age" in first["Cache-Control"]
    again = get(client, "/entries?kind=faq", HTTP_IF_NONE_MATCH=tag)
    assert again.status_code == 304 and again.content == b""
    a, b = staff("api_editor_a", "city_admin", None), staff("api_editor_b", "city_admin", None)
    data = {"title": "新问题？", "body": "新回答。", "category": "materials"}
    guidance_draft_save(user=a, key="faq-api-new", kind="faq", data=data)
    apply_police_outbox()
    assert get(client, "/entries?kind=faq", HTTP_IF_NONE_MATCH=tag).status_code == 304
    guidance_submit(user=a, key="faq-api-new")
    guidance_publish(user=b, key="faq-api-new")
    apply_police_outbox()
    changed = get(client, "/entries?kind=faq", HTTP_IF_NONE_MATCH=tag)
    assert changed.status_code == 200 and changed["ETag"] != tag
    assert "faq-api-new" in {i["key"] for i in changed.json()["items"]}


def test_values_no_entry_can_have_find_nothing_instead_of_failing(client, published):
    """A NUL byte (which PostgreSQL refuses in text) or another stray character in a category,
    a key, a proof id or a query answers "nothing found", never a server error."""
    assert get(client, "/entries?category=minors%00").json() == {"count": 0, "items": []}
    assert get(client, "/entries/faq-endorsement-late%00").status_code == 404
    hits = get(client, "/search?q=%E7%AD%BE%E6%B3%A8%00%E8%BF%87%E6%9C%9F").json()["items"]
    assert hits[0]["key"] == "faq-endorsement-late"
    assert client.get("/guide/proofs/C25%00/", HTTP_HOST=HOST).status_code == 404
    page = client.get("/guide/faq/?category=minors%00", HTTP_HOST=HOST)
    assert page.status_code == 200

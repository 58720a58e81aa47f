"""Search in Chinese: real queries residents type return the entry that answers them first —
words segmented (jieba), widened by synonyms (暂住证 → 居住证, 社保 → 社会保险, 小孩 → 未成年),
ranked, and highlighted — the same on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from onetrip.portal.guidance.selectors import guidance_search

pytestmark = pytest.mark.django_db(databases=["default", "police"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("居住证怎么办", "guide-permit-application"),
        ("社保断了", "faq-social-insurance-gap"),
        ("小孩", "faq-child-permit"),
        ("暂住证", "faq-old-temporary-permit"),
        ("签注过期", "faq-endorsement-late"),
        ("丢了", "faq-lost-card"),
        ("到杭州多久要登记", "faq-declare-when"),
    ],
)
def test_a_real_query_finds_its_answer_first(published, query, expected):
    hits = guidance_search(query=query)
    assert hits, query
    assert hits[0].entry.key == expected, [(h.entry.key, h.score) for h in hits[:5]]


def test_synonyms_find_what_the_query_does_not_say(published):
    keys = [h.entry.key for h in guidance_search(query="小孩")]
    assert "faq-child-who-applies" in keys  # says 孩子, never 小孩


def test_matches_are_highlighted_and_the_rest_escaped(published):
    hit = guidance_search(query="签注过期")[0]
    assert "<mark>签注</mark>" in hit.title_html
    assert "<mark>" in hit.snippet_html


def test_an_empty_or_unknown_query_finds_nothing(published):
    assert guidance_search(query="") == []
    assert guidance_search(query="量子力学") == []


def test_the_search_page_shows_the_best_answer_first(client, published):
    page = client.get("/guide/search/", {"q": "暂住证"}, HTTP_HOST="portal.testserver")
    assert page.status_code == 200
    body = page.content.decode()
    first = body.index('data-key="')
    assert body[first:].startswith('data-key="faq-old-temporary-permit"')
    assert "<mark>暂住证</mark>" in body

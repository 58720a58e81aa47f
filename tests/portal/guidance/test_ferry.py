"""A published change reaches the portal over the real ferry; a draft or an entry waiting in
review never does; staff guidance never leaves the police zone; HTML and script in content are
neutralised, on the portal too."""

from __future__ import annotations

import re

import pytest

from onetrip.police.guidance.services import (
    guidance_draft_save,
    guidance_publish,
    guidance_submit,
)
from onetrip.portal.guidance.models import Entry as PortalEntry
from onetrip.portal.guidance.selectors import guidance_search
from tests.ferry.helpers import pump
from tests.fixtures import staff

pytestmark = pytest.mark.django_db(databases=["default", "police"], transaction=True)

HOST = "portal.testserver"
FAQ = {
    "title": "居住证能在手机上签注吗？",
    "body": "能，在“我的居住证”申请。",
    "category": "endorsement",
}


@pytest.fixture
def editors(db):
    return staff("editor_a", "city_admin", None), staff("editor_b", "city_admin", None)


def test_a_published_change_reaches_the_portal_and_a_draft_never_does(ferry_env, editors, client):
    a, b = editors
    key = "faq-phone-endorsement"
    guidance_draft_save(user=a, key=key, kind="faq", data=FAQ)
    pump()
    assert not PortalEntry.objects.filter(key=key).exists()  # a draft stays in the police zone
    guidance_submit(user=a, key=key)
    pump()
    assert not PortalEntry.objects.filter(key=key).exists()  # so does one in review
    guidance_publish(user=b, key=key)
    pump()
    entry = PortalEntry.objects.get(key=key)
    assert (entry.revision, entry.title) == (1, FAQ["title"])
    page = client.get(f"/guide/{key}/", HTTP_HOST=HOST).content.decode()
    assert FAQ["title"] in page

    # A new draft of the same entry: the portal keeps showing the published text …
    guidance_draft_save(user=b, key=key, data={**FAQ, "title": "签注可以网上办吗？（草稿）"})
    pump()
    assert PortalEntry.objects.get(key=key).title == FAQ["title"]
    assert guidance_search(query="草稿") == []
    # … until a second editor publishes it.
    guidance_submit(user=b, key=key)
    guidance_publish(user=a, key=key)
    pump()
    entry = PortalEntry.objects.get(key=key)
    assert (entry.revision, entry.title) == (2, "签注可以网上办吗？（草稿）")
    assert [h.entry.key for h in guidance_search(query="网上签注")][:1] == [key]


def test_staff_guidance_never_reaches_the_portal(ferry_env, editors):
    a, b = editors
    data = {"title": "内部口径：签注", "body": "仅限民警", "category": "endorsement"}
    guidance_draft_save(user=a, key="staff-endorsement-line", kind="staff", data=data)
    guidance_submit(user=a, key="staff-endorsement-line")
    guidance_publish(user=b, key="staff-endorsement-line")
    pump()
    assert not PortalEntry.objects.filter(key="staff-endorsement-line").exists()


def test_html_and_script_in_content_are_neutralised(ferry_env, editors, client):
    a, b = editors
    hostile = {
        "title": "<script>alert('t')</script>签注问题",
        "summary": "<img src=x onerror=alert(1)>",
        "body": "正文 <script>alert(1)</script> <iframe src=//evil></iframe>\n\n"
        "[点我](javascript:alert(1)) <a href='x' onclick='alert(1)'>a</a>\n\n"
        '<b onmouseover="alert(1)">粗</b> **真的粗**',
        "category": "endorsement",
    }
    key = "faq-hostile"
    guidance_draft_save(user=a, key=key, kind="faq", data=hostile)
    guidance_submit(user=a, key=key)
    guidance_publish(user=b, key=key)
    pump()
    entry = PortalEntry.objects.get(key=key)
    html = entry.body_html.lower()
    assert "<script" not in html and "<iframe" not in html
    assert not re.search(r"<[^>]*\bon\w+\s*=", html)  # no event handler on any tag
    assert not re.search(r"<a[^>]*href=[\"']?javascript:", html)
    assert "&lt;script&gt;" in html  # shown as the text it is
    assert "<strong>真的粗</strong>" in entry.body_html
    page = client.get(f"/guide/{key}/", HTTP_HOST=HOST).content.decode()
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;签注问题" in page
    hits = guidance_search(query="签注问题")
    assert hits and "<script>" not in hits[0].title_html

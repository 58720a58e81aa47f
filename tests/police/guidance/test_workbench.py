"""The workbench's guidance pages: an editor writes, a second editor publishes; the staff
answers page and the case pages show staff guidance to those who work on cases."""

from __future__ import annotations

import pytest
from django.test import Client

from onetrip.police.guidance.models import Entry, Status
from tests.fixtures import staff

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def client_of(user) -> Client:
    client = Client(HTTP_HOST="police.testserver")
    client.force_login(user)
    return client


def test_an_editor_writes_and_a_second_publishes_on_the_workbench(editor, second_editor):
    one, two = client_of(editor), client_of(second_editor)
    response = one.post(
        "/guidance/new/",
        {
            "kind": "faq",
            "key": "faq-wb",
            "title": "窗口几点下班？",
            "body": "**17:00**<script>x</script>",
            "category": "registration",
            "applies_to": ["declaration"],
        },
    )
    assert response.status_code == 302
    page = one.get("/guidance/faq-wb/").content.decode()
    assert "<strong>17:00</strong>" in page and "<script>x" not in page
    one.post("/guidance/faq-wb/submit/")
    refused = one.post("/guidance/faq-wb/publish/", follow=True).content.decode()
    assert "须由另一名内容编辑" in refused
    assert two.post("/guidance/faq-wb/publish/").status_code == 302
    entry = Entry.objects.get(key="faq-wb")
    assert entry.published.status == Status.PUBLISHED
    history = two.get("/guidance/faq-wb/").content.decode()
    assert "editor_one" in history and "editor_two" in history


def test_an_uploaded_picture_is_resized(editor, tmp_path):
    import io

    from PIL import Image

    from onetrip.police.guidance.models import Picture

    one = client_of(editor)
    one.post(
        "/guidance/new/",
        {"kind": "proof", "key": "proof-x", "title": "样例", "category": "C", "proof_id": "C23"},
    )
    raw = io.BytesIO()
    Image.new("RGB", (3000, 2000), "white").save(raw, "JPEG")
    raw.seek(0)
    raw.name = "big.jpg"
    response = one.post("/guidance/proof-x/picture/", {"picture": raw, "alt": "租赁合同样例"})
    assert response.status_code == 302
    picture = Picture.objects.get()
    assert max(picture.width, picture.height) == 800
    assert Entry.objects.get(key="proof-x").working.picture["alt"] == "租赁合同样例"
    garbage = io.BytesIO(b"<svg onload=alert(1)>")
    garbage.name = "x.png"
    page = one.post("/guidance/proof-x/picture/", {"picture": garbage, "alt": "x"}, follow=True)
    assert "图片无法识别" in page.content.decode()


def test_staff_guidance_beside_the_case_and_on_the_answers_page(seeded, beishan):
    clerk = client_of(staff("clerk_g", "window_clerk", beishan))
    answers = clerk.get("/guidance/answers/", {"q": "社保断了"}).content.decode()
    assert "社保中断、补缴的认定口径" in answers
    assert "<mark>" in answers
    nav = clerk.get("/guidance/answers/").content.decode()
    assert 'href="/guidance/answers/"' in nav and 'href="/guidance/"' not in nav
    auditor = client_of(staff("audit_g", "audit_admin", None))
    assert auditor.get("/guidance/answers/").status_code == 403


def test_the_declaration_page_shows_the_staff_guidance_beside_the_case(seeded, beishan):
    from onetrip.police.register.services import declaration_receive
    from tests.fixtures import submitted_declaration

    declaration_receive(message=submitted_declaration("JZ26112799990009"))
    clerk = client_of(staff("clerk_d", "window_clerk", beishan))
    page = clerk.get("/declarations/JZ26112799990009/").content.decode()
    assert 'id="staff-guidance"' in page
    assert "居住登记核查：地址与出租登记" in page


def test_a_key_or_kind_no_entry_can_have_is_not_found_not_a_server_error(editor):
    """A NUL byte (which PostgreSQL refuses in text) in a key or a kind finds nothing."""
    one = client_of(editor)
    assert one.get("/guidance/faq-wb%00/").status_code == 404
    assert one.get("/guidance/faq-wb%00/edit/").status_code == 404
    assert one.post("/guidance/faq-wb%00/submit/").status_code in (302, 404)
    assert Entry.objects.filter(key__startswith="faq-wb").count() == 0
    assert one.get("/guidance/?kind=faq%00").status_code == 200

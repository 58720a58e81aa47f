"""The guidance pages on the portal: lists, an entry with its source and local-setting note, a
proof sample with its picture and alt text, the large-text option, pictures cached by hash."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(databases=["default", "police"])

HOST = "portal.testserver"


def get(client, path, **params):
    return client.get(path, params, HTTP_HOST=HOST)


def test_lists_of_each_kind(client, published):
    for path, text in [
        ("/guide/", "政策法规、办事指南查询"),
        ("/guide/guides/", "居住证申领办事指南"),
        ("/guide/faq/", "什么人可以申领居住证？"),
        ("/guide/policies/", "居住证的申领条件"),
        ("/guide/proofs/", "房屋租赁合同"),
    ]:
        response = get(client, path)
        assert response.status_code == 200, path
        assert text in response.content.decode(), path


def test_faq_by_category_shows_only_that_category(client, published):
    body = get(client, "/guide/faq/", category="minors").content.decode()
    assert "小孩（未成年子女）可以办居住证吗？" in body
    assert "居住证丢了怎么补领？" not in body


def test_a_policy_names_its_source_and_a_local_setting_says_so(client, published):
    body = get(client, "/guide/policy-nat-2/").content.decode()
    assert "《居住证暂行条例》" in body and "第二条" in body
    local = get(client, "/guide/policy-hz-social-insurance/").content.decode()
    assert "本地规定" in local


def test_a_guide_shows_its_steps_with_pictures_and_alt_text(client, published):
    body = get(client, "/guide/guide-permit-application/").content.decode()
    assert "第1步：查看申领条件" in body
    assert 'alt="第1步示意图' in body


def test_a_proof_sample_by_its_catalogue_id(client, published):
    body = get(client, "/guide/proofs/C23/").content.decode()
    assert "房屋租赁合同" in body and "出租人" in body
    assert 'alt="房屋租赁合同样例图' in body
    assert get(client, "/guide/proofs/Z99/").status_code == 404
    assert get(client, "/guide/proof-c23/").status_code == 301


def test_pictures_are_served_by_hash_and_cached(client, published):
    from onetrip.portal.guidance.models import Picture

    picture = Picture.objects.first()
    response = get(client, f"/guide/pictures/{picture.sha256}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "immutable" in response["Cache-Control"]
    again = client.get(
        f"/guide/pictures/{picture.sha256}", HTTP_HOST=HOST, HTTP_IF_NONE_MATCH=response["ETag"]
    )
    assert again.status_code == 304


def test_large_text_is_a_cookie_the_pages_read(client, published):
    response = client.post(
        "/guide/text-size/", {"size": "large", "next": "/guide/faq/"}, HTTP_HOST=HOST
    )
    assert response.status_code == 302 and response["Location"] == "/guide/faq/"
    assert "font-size: 125%" in get(client, "/guide/faq/").content.decode()
    away = client.post(
        "/guide/text-size/", {"size": "large", "next": "https://evil.example/"}, HTTP_HOST=HOST
    )
    assert away["Location"] == "/guide/"


def test_pages_are_in_english_when_chosen(client, published):
    client.cookies["django_language"] = "en"
    body = get(client, "/guide/").content.decode()
    assert 'lang="en"' in body


def test_the_materials_list_links_each_proof_to_its_sample(client, published):
    """The one-time notice's proofs (DOC-2 ids) open the proof sample pages (issue 16)."""
    body = client.get(
        "/permit/materials/", {"route": "residence", "housing": "rented_state_land"}, HTTP_HOST=HOST
    ).content.decode()
    for proof_id in ("A1", "C23", "C24", "C25"):
        assert f'href="/guide/proofs/{proof_id}/"' in body, proof_id
    sample = get(client, "/guide/proofs/C25/")
    assert sample.status_code == 200 and "租赁登记备案证明" in sample.content.decode()


def test_the_forms_link_to_the_guidance_that_applies(client, resident_client, published):
    declare = resident_client.get("/declare/", HTTP_HOST=HOST).content.decode()
    assert 'href="/guide/guide-self-declaration/"' in declare
    eligibility = get(client, "/permit/eligibility/").content.decode()
    assert 'href="/guide/policy-nat-2/"' in eligibility  # the rule the answer rests on

"""The portal base template, field partial and home page (portal_web)."""

import pytest
from django import forms
from django.template.loader import render_to_string
from django.test import RequestFactory

pytestmark = [
    pytest.mark.django_db(databases=["default", "police"]),
    pytest.mark.urls("tests.portal.accounts.urls"),
]


def test_home_lists_the_services(portal_client, settings):
    settings.ONETRIP_SMS_GATEWAY_URL = "http://127.0.0.1:8025"
    page = portal_client.get("/")
    assert page.status_code == 200
    text = page.text
    assert "居住登记自主申报" in text
    assert "办理进度查询" in text
    assert 'href="http://127.0.0.1:8025/"' in text


def test_home_hides_the_demo_inbox_behind_a_real_gateway(portal_client, settings):
    settings.ONETRIP_SMS_GATEWAY_URL = "https://sms.example.gov.cn"
    text = portal_client.get("/").text
    assert "短信收件箱" not in text


def test_base_template_has_header_nav_and_language_switch(portal_client):
    text = portal_client.get("/").text
    assert '<html lang="zh-Hans">' in text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert "杭州市居住证服务平台" in text
    for label in ("首页", "居住登记申报", "办理进度", "登录"):
        assert label in text
    assert '<a href="/" aria-current="page">' in text
    assert 'href="/login/?next=/"' in text
    assert 'action="/i18n/setlang/" method="post"' in text
    assert 'name="csrfmiddlewaretoken"' in text
    assert '<option value="zh-hans" lang="zh-hans" selected>简体中文</option>' in text
    assert '<option value="en" lang="en">English</option>' in text
    assert '<a class="skip-link" href="#main">' in text
    assert 'href="/static/portal/site.css"' in text


def test_language_switch_works_without_javascript(portal_client):
    response = portal_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    text = portal_client.get("/").text
    assert '<html lang="en">' in text
    assert '<option value="en" lang="en" selected>English</option>' in text


def test_stylesheet_is_found_by_staticfiles():
    from pathlib import Path

    from django.contrib.staticfiles import finders

    path = finders.find("portal/site.css")
    assert path
    css = Path(path).read_text(encoding="utf-8")
    assert "Noto Sans CJK SC" in css
    assert "--touch: 2.75rem" in css


def test_home_is_read_only(portal_client):
    assert portal_client.post("/").status_code == 405


class SampleForm(forms.Form):
    name = forms.CharField(label="姓名", help_text="与身份证一致")
    note = forms.CharField(label="备注", required=False)


def render_field(form, name):
    request = RequestFactory().get("/")
    return render_to_string("portal/_field.html", {"field": form[name]}, request=request)


def test_field_partial_links_help_and_error_to_the_input():
    form = SampleForm(data={"name": ""})
    assert not form.is_valid()
    html = render_field(form, "name")
    assert '<label class="field__label" for="id_name">姓名</label>' in html
    assert '<p class="field__help" id="id_name_help">与身份证一致</p>' in html
    assert 'id="id_name_error" role="alert"' in html
    assert 'aria-describedby="id_name_help id_name_error"' in html
    assert 'aria-invalid="true"' in html
    assert "field--error" in html


def test_field_partial_marks_optional_fields_and_stays_quiet_without_errors():
    html = render_field(SampleForm(), "note")
    assert "（选填）" in html
    assert 'role="alert"' not in html
    assert "aria-invalid" not in html
    assert "aria-describedby" not in html

"""A 500 never shows a traceback (issue 9): a view that raises answers the documented JSON error
body on both zones' APIs and the zone's plain Chinese page elsewhere, with DEBUG on and off; the
APIs answer JSON for every other error too, and the error pages need no database."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from onetrip.common import divisions

pytestmark = pytest.mark.django_db(databases=["default", "police"])

SOURCE = Path(django_settings.BASE_DIR) / "src" / "onetrip"
POLICE_TEMPLATES = SOURCE / "police" / "workbench" / "templates"
SECRET = "secret-detail-of-the-bug"


class Boom(RuntimeError):
    pass


def boom(*args, **kwargs):
    raise Boom(SECRET)


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.fixture
def portal():
    return Client(HTTP_HOST="portal.testserver", raise_request_exception=False)


@pytest.fixture
def police():
    return Client(HTTP_HOST="police.testserver", raise_request_exception=False)


@pytest.fixture
def police_templates_only(settings):
    """The police zone's own templates, as its server finds them (the test settings hold both
    zones, and the portal's error pages come first)."""
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "DIRS": [POLICE_TEMPLATES],
            "APP_DIRS": False,
        }
    ]


def assert_server_error_body(response):
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {
        "code": "server_error",
        "message": "服务器内部错误，请稍后再试",
        "message_en": "Internal server error; try again later",
        "errors": [],
    }
    assert SECRET not in response.content.decode()
    assert "Traceback" not in response.content.decode()


def assert_plain_page(response, *phrases):
    html = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert '<html lang="zh' in html
    for phrase in phrases:
        assert phrase in html
    assert SECRET not in html
    assert "Traceback" not in html
    assert "<script" not in html
    return html


def test_portal_api_answers_an_unhandled_exception_with_the_error_body(
    debug, portal, monkeypatch, caplog
):
    monkeypatch.setattr(divisions, "districts", boom)
    response = portal.get("/api/v1/divisions/districts")
    assert_server_error_body(response)
    assert any(SECRET in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_police_api_answers_an_unhandled_exception_with_the_error_body(
    debug, clerk_client, monkeypatch
):
    from onetrip.police.workbench import api

    monkeypatch.setattr(api, "declaration_queue_for_staff", boom)
    clerk_client.raise_request_exception = False
    assert_server_error_body(clerk_client.get("/api/v1/declarations"))


def test_portal_page_that_raises_shows_the_plain_chinese_page(debug, portal, monkeypatch, caplog):
    from onetrip.portal.web import views

    monkeypatch.setattr(views, "sms_demo_inbox_url", boom)
    response = portal.get("/")
    assert response.status_code == 500
    html = assert_plain_page(response, "服务暂时出现问题", "返回首页", "portal/site.css")
    assert "杭州市居住证服务平台" in html
    [record] = [r for r in caplog.records if r.name == "onetrip.errors"]
    assert "path=/" in record.getMessage() and record.exc_info[0] is Boom


def test_police_page_that_raises_shows_the_workbench_error_page(
    debug, clerk_client, monkeypatch, police_templates_only
):
    from onetrip.police.workbench import views

    monkeypatch.setattr(views, "declaration_queue_for_staff", boom)
    clerk_client.raise_request_exception = False
    response = clerk_client.get("/declarations/")
    assert response.status_code == 500
    html = assert_plain_page(response, "系统暂时出现问题", "返回工作台", "workbench/workbench.css")
    assert "居住证服务平台 · 民警工作台" in html


def test_the_error_page_is_english_for_an_english_visitor(portal, monkeypatch):
    from onetrip.portal.web import views

    monkeypatch.setattr(views, "sms_demo_inbox_url", boom)
    html = portal.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en"' in html
    assert "服务暂时出现问题" not in html
    assert "Back to the home page" in html


@pytest.mark.parametrize("host", ["portal.testserver", "police.testserver"])
def test_an_unknown_api_path_answers_json_not_found(host):
    response = Client(HTTP_HOST=host).get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json()["errors"] == []


def test_a_wrong_method_on_the_api_answers_json_and_keeps_allow(portal):
    response = portal.delete("/api/v1/divisions/districts")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_a_bad_request_on_the_api_answers_json(portal, monkeypatch):
    from django.core.exceptions import BadRequest

    def refuse(*args, **kwargs):
        raise BadRequest(SECRET)

    monkeypatch.setattr(divisions, "districts", refuse)
    response = portal.get("/api/v1/divisions/districts")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert SECRET not in response.content.decode()


def test_portal_not_found_page_is_the_plain_chinese_page(portal):
    response = portal.get("/no-such-page/")
    assert response.status_code == 404
    assert_plain_page(response, "页面不存在", "返回首页")


def test_police_not_found_page_is_the_workbench_error_page(police, police_templates_only):
    response = police.get("/no-such-page/")
    assert response.status_code == 404
    assert_plain_page(response, "页面不存在", "返回工作台")


def test_csrf_failure_shows_the_plain_page_not_djangos():
    client = Client(HTTP_HOST="portal.testserver", enforce_csrf_checks=True)
    response = client.post("/login/", {"phone": "13800138000"})
    assert response.status_code == 403
    assert_plain_page(response, "页面已过期", "返回首页")


def test_the_error_pages_need_no_database(django_assert_num_queries):
    from django.template import loader

    for name in ("400.html", "403.html", "403_csrf.html", "404.html", "500.html"):
        with django_assert_num_queries(0):
            html = loader.render_to_string(name)
        assert "错误代码" in html


@pytest.mark.parametrize("path", ["/", "/api/v1/divisions/districts"])
def test_an_exception_in_a_middleware_with_debug_on_shows_no_debug_page(
    debug, portal, monkeypatch, path
):
    """Outside any view (here: the language middleware) the answer is plain too."""
    from django.middleware.locale import LocaleMiddleware

    monkeypatch.setattr(LocaleMiddleware, "process_request", boom)
    response = portal.get(path)
    if path.startswith("/api/"):
        assert_server_error_body(response)
    else:
        assert response.status_code == 500
        assert_plain_page(response, "错误代码")

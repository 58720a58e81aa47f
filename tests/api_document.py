"""What both APIs' OpenAPI documents and docs pages must satisfy, and what the schemathesis tests
need to call the WSGI app in-process. Used by tests/portal/api/test_schema.py and
tests/police/workbench/test_api_schema.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3,}")
URL = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""")


@pytest.fixture
def connections_kept_open():
    """As Django's test client does: a request must not close the test's connection, whose open
    transaction holds the test's rows."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _bilingual(text: str | None) -> bool:
    return bool(text and CJK.search(text) and LATIN.search(text))


def document_problems(document: dict[str, Any]) -> list[str]:
    """Everything an operation of `document` lacks that an integrator needs."""
    problems: list[str] = []
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            where = f"{method.upper()} {path}"
            responses = op["responses"]
            for key in ("summary", "description"):
                if not _bilingual(op.get(key)):
                    problems.append(f"{where}: {key} not in Chinese and English")
            body = op.get("requestBody")
            if body and "example" not in body["content"]["application/json"]:
                problems.append(f"{where}: no example request")
            for status, response in responses.items():
                if status == "304":  # Not Modified has no body
                    continue
                media = response.get("content", {}).get("application/json", {})
                if "example" not in media:
                    problems.append(f"{where}: {status} has no example")
                if int(status) >= 400 and not media["schema"]["$ref"].endswith("/ErrorOut"):
                    problems.append(f"{where}: {status} is not ErrorOut")
            if "429" in responses and "Retry-After" not in responses["429"].get("headers", {}):
                problems.append(f"{where}: 429 without Retry-After")
            wanted = set()
            if op.get("security"):
                wanted.add("401")
            if body or any(p["in"] == "query" for p in op["parameters"]):
                wanted.add("422")
            if body:
                wanted |= {"413", "415"}
            for status in sorted(wanted - set(responses)):
                problems.append(f"{where}: {status} not documented")
            for parameter in op["parameters"]:
                if not _bilingual(parameter.get("description")) or "example" not in parameter:
                    problems.append(f"{where}: parameter {parameter['name']} undocumented")
    for name, component in document["components"]["schemas"].items():
        for field, prop in component.get("properties", {}).items():
            if not _bilingual(prop.get("description")):
                problems.append(f"{name}.{field}: no description in Chinese and English")
            for code in enum_of(prop):
                if f"{code}=" not in prop.get("description", ""):
                    problems.append(f"{name}.{field}: code {code} has no label")
    return problems


def enum_of(prop: dict[str, Any]) -> list[str]:
    """The codes of a property, whether or not it may be null."""
    for branch in [prop, *prop.get("anyOf", [])]:
        if "enum" in branch:
            return list(branch["enum"])
    return []


def string_branch(prop: dict[str, Any]) -> dict[str, Any]:
    """The schema of a property's string values, whether or not it may be null."""
    return next((b for b in prop.get("anyOf", []) if b.get("type") == "string"), prop)


def foreign_urls(client: Any, page: str) -> list[str]:
    """URLs on `page` (and in the files it loads from its own host) naming another host.

    A stylesheet or script served here may name a URL only in a comment or a string that the
    page never fetches, so only the page itself and its stylesheet are read."""
    html = client.get(page).content.decode()
    found = [u for u in URL.findall(html) if not u.startswith("/api/")]
    for asset in re.findall(r'(?:src|href)="([^"]+)"', html):
        response = client.get(asset)
        assert response.status_code == 200, asset
        if asset.endswith(".css"):
            css = b"".join(response.streaming_content).decode()
            urls = re.findall(r"url\(([^)]+)\)", css)
            found += [u for u in urls if "//" in u and not u.strip("'\"").startswith("data:")]
    return found

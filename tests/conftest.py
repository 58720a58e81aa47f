import pytest


@pytest.fixture
def portal_client(client):
    client.defaults["HTTP_HOST"] = "portal.testserver"
    return client


@pytest.fixture
def police_client():
    from django.test import Client

    return Client(HTTP_HOST="police.testserver")


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def _audit_log_flushable(request):
    """SQLite's flush after a transactional test empties tables with DELETE, which the audit
    log's append-only triggers refuse; drop them just before the flush, whose post_migrate
    signal puts them back. PostgreSQL flushes with TRUNCATE and needs nothing."""
    if not _is_transactional(request):
        yield
        return
    request.getfixturevalue("_django_db_helper")
    yield
    from django.db import connections, router

    from onetrip.police.audit.models import AuditEvent
    from onetrip.police.audit.triggers import drop_append_only_triggers

    connection = connections[router.db_for_write(AuditEvent)]
    if connection.vendor == "sqlite":
        drop_append_only_triggers(connection)


@pytest.fixture(autouse=True)
def _cache_emptied():
    """Each test starts with an empty cache: what one test cached (a window's slot listing,
    keyed by a code every booking test shares) must not answer in the next."""
    from django.core.cache import cache

    cache.clear()
    yield

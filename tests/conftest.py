import pytest


@pytest.fixture
def portal_client(client):
    client.defaults["HTTP_HOST"] = "portal.testserver"
    return client


@pytest.fixture
def police_client():
    from django.test import Client

    return Client(HTTP_HOST="police.testserver")

"""DESIGN §2 invariant 2: each app lives in its zone's database; no code names a database."""

import pytest
from django.apps import apps
from django.db import router

from onetrip.settings.routers import zone_of


@pytest.mark.parametrize(
    ("label", "zone"),
    [
        ("portal_declarations", "portal"),
        ("portal_accounts", "portal"),
        ("police_register", "police"),
        ("police_ferrybox", "police"),
        ("auth", "police"),
        ("sessions", None),
        ("django_tasks_db", None),
    ],
)
def test_zone_of_app_label(label, zone):
    assert zone_of(label) == zone


def test_router_sends_each_zone_app_to_its_database():
    for model in apps.get_models():
        zone = zone_of(model._meta.app_label)
        if zone == "portal":
            assert router.db_for_write(model) == "default", model
            assert router.allow_migrate_model("police", model) is False, model
        elif zone == "police":
            assert router.db_for_write(model) == "police", model
            assert router.allow_migrate_model("default", model) is False, model


def test_no_relation_across_zones():
    from django.contrib.auth.models import User

    class Fake:
        class _meta:
            app_label = "portal_accounts"

    assert router.allow_relation(User(), Fake()) is False

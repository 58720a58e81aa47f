"""The seed content: at least 30 FAQ entries in the six categories, every DOC-2 proof by its
catalogue id with a drawn picture, policies with their sources, local settings marked; the
command loads it once; a picture message whose bytes do not match its hash is refused."""

from __future__ import annotations

import base64
import hashlib
from collections import Counter

import pytest
from django.core.management import call_command
from pydantic import ValidationError

from onetrip.common.permit_materials import CATALOGUE
from onetrip.contracts.guidance import FAQ_CATEGORY_LABELS, GuidancePictureV1
from onetrip.police.guidance.models import Entry, Kind
from onetrip.police.guidance.seed_faq import FAQ
from onetrip.police.guidance.seed_policies import POLICIES

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def test_at_least_thirty_faq_entries_in_six_categories():
    categories = Counter(item["category"] for item in FAQ)
    assert len(FAQ) >= 30
    assert set(categories) == set(FAQ_CATEGORY_LABELS)
    assert min(categories.values()) >= 4
    assert any(item["local_setting"] for item in FAQ)


def test_every_policy_names_its_source_and_article():
    for policy in POLICIES:
        assert policy["source"] and policy["article"], policy["key"]
    levels = {p["category"] for p in POLICIES}
    assert levels == {"national", "zhejiang", "hangzhou"}
    assert all(p.get("local_setting") for p in POLICIES if p["category"] == "hangzhou")


def test_the_command_loads_every_proof_by_its_catalogue_id_once(capsys):
    call_command("load_demo_guidance")
    proofs = Entry.objects.filter(kind=Kind.PROOF).select_related("published")
    assert sorted(e.published.proof_id for e in proofs) == sorted(p.id for p in CATALOGUE)
    for entry in proofs:
        version = entry.published
        assert version.picture and version.picture["alt"], entry.key
        assert version.issuer and version.when_needed, entry.key
    guides = Entry.objects.filter(kind=Kind.GUIDE)
    assert {"guide-self-declaration", "guide-permit-application"} <= {e.key for e in guides}
    assert all(s["picture"] for g in guides for s in g.published.steps)
    call_command("load_demo_guidance")
    assert "新增 created 0, 更新 updated 0" in capsys.readouterr().out.splitlines()[-1]


def test_a_picture_whose_bytes_do_not_match_its_hash_is_refused():
    data = base64.b64encode(b"\x89PNG fake").decode()
    with pytest.raises(ValidationError):
        GuidancePictureV1(
            sha256=hashlib.sha256(b"other").hexdigest(),
            media_type="image/png",
            data=data,
            width=1,
            height=1,
        )

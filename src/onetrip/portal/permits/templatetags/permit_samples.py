"""Sample pictures of the proofs on the materials list (DOC-2), for `{% load permit_samples %}`.

A resident who has never seen a 不动产权证书 or a 租赁登记备案证明 finds it faster from a
picture than from its name. Each catalogue proof has a drawing `permits/samples/<id>.svg`,
marked 样例 so that nobody takes it for the real thing; an id without a drawing gets the
generic one rather than a broken image.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django import template
from django.templatetags.static import static
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from onetrip.common.errors import in_language
from onetrip.common.permit_materials import BY_ID, Category

register = template.Library()

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "static" / "permits" / "samples"
GENERIC = "generic"
# Read once: the drawings ship with the code and do not change while it runs.
_DRAWN = frozenset(path.stem for path in SAMPLES_DIR.glob("*.svg"))

CATEGORY_LABELS: dict[Category, Promise] = {
    Category.IDENTITY: gettext_lazy("身份与关系证明"),
    Category.EMPLOYMENT: gettext_lazy("就业证明"),
    Category.RESIDENCE: gettext_lazy("住所证明"),
    Category.STUDY: gettext_lazy("就读证明"),
}


@dataclass(frozen=True)
class ProofSample:
    """What a page shows of one proof: what it is, who issues it, and its sample picture."""

    id: str
    name: str
    category: str
    issuer: str
    sample_url: str
    alt: str


@register.filter
def sample_url(proof_id: str) -> str:
    """`{{ "C23"|sample_url }}`: the static URL of the proof's sample, or the generic one."""
    return static(f"permits/samples/{proof_id if proof_id in _DRAWN else GENERIC}.svg")


@register.simple_tag
def item_proofs(item_id: str) -> list[ProofSample]:
    """`{% item_proofs item.id as proofs %}`: the proofs of one materials-list item, any of
    which will do, from its id (`Item.id`, the proof ids joined by "/"). Unknown ids are left
    out: the list is never made up from the request."""
    proofs = [BY_ID[i] for i in str(item_id).split("/") if i in BY_ID]
    return [
        ProofSample(
            id=proof.id,
            name=in_language(proof.name_zh, proof.name_en),
            category=str(CATEGORY_LABELS[proof.category]),
            issuer=proof.issuer_zh,
            sample_url=sample_url(proof.id),
            alt=in_language(f"{proof.name_zh}（样例图）", f"{proof.name_en} (sample picture)"),
        )
        for proof in proofs
    ]

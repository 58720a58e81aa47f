"""`{% proof_checks case %}`: what the departments' data said of each proof of a permit case,
for the pre-review and the window's pages (HZ-7). Source and time for what was verified; "needs
paper", "failed" or "to be checked" for the rest — never a silent pass or fail."""

from __future__ import annotations

import base64
from typing import Any

from django import template

from onetrip.common.permit_materials import BY_ID
from onetrip.police.egov.base import POPULATION, SOURCE_LABELS
from onetrip.police.egov.checks import RESIDENCE, proof_checks_of
from onetrip.police.egov.identity import identity_check_of, identity_photo
from onetrip.police.egov.models import CheckStatus
from onetrip.police.egov.reasons import REASON_LABELS

register = template.Library()


def _label(requirement: str) -> str:
    if requirement == RESIDENCE:
        return str(REASON_LABELS["residence"])
    names = [str(BY_ID[i].name_zh) for i in requirement.split("/") if i in BY_ID]
    return " / ".join(names) or requirement


@register.inclusion_tag("egov/_proof_checks.html")
def proof_checks(case: Any) -> dict[str, Any]:
    rows = []
    for check in proof_checks_of(case=case):
        rows.append(
            {
                "check": check,
                "label": _label(check.requirement),
                "proof": BY_ID[check.proof_id].name_zh if check.proof_id in BY_ID else "",
                "source": SOURCE_LABELS.get(check.source, ""),
                "reason": REASON_LABELS.get(check.reason, check.reason),
            }
        )
    return {"rows": rows, "statuses": CheckStatus}


@register.inclusion_tag("egov/_identity_check.html")
def declaration_identity(declaration: Any) -> dict[str, Any]:
    """The population database's word on a declaration's applicant (DOC-5). Shown inside the
    declaration's page, whose read is already scoped and audited, so the photo is inlined
    rather than served by a URL of its own."""
    check = identity_check_of(reference=declaration.reference)
    photo = ""
    if check is not None and check.status == CheckStatus.VERIFIED:
        content = identity_photo(check)
        if content:
            photo = "data:image/jpeg;base64," + base64.b64encode(content).decode()
    return {
        "check": check,
        "source": SOURCE_LABELS[POPULATION],
        "reason": REASON_LABELS.get(check.reason, check.reason) if check else "",
        "photo": photo,
    }

"""The pre-review with the portal's own application on the other side of the real ferry: what
the portal sends is what the station files, the one-time notice reaches the resident whole, the
resident's corrections come back as the next revision, and DOC-1 holds on both sides (WF-2)."""

from __future__ import annotations

import pytest

from onetrip.police.permits.errors import PermitError
from onetrip.police.permits.models import PermitCase
from onetrip.police.permits.services import (
    permit_notice_items,
    permit_prereview_pass,
    permit_return,
)
from onetrip.portal.permits.applications import (
    permit_application_resubmit,
    permit_application_submit,
)
from onetrip.portal.permits.models import PermitApplication
from tests.ferry.helpers import pump
from tests.portal.permits.permit_helpers import (
    PDF,
    RENTED,
    draft,
    jpeg,
    known_to_the_register,
    upload,
)

pytestmark = pytest.mark.django_db(databases=["default", "police"], transaction=True)


def test_wf2_doc1_a_portal_application_is_pre_reviewed_returned_fixed_and_passed(
    ferry_env, resident, beishan, reviewer, reviewer_client
):
    known_to_the_register(resident)
    application = draft(resident, form=RENTED)
    upload(resident, application, "C23", PDF, "lease.pdf")
    upload(resident, application, "C24", PDF, "pledge.pdf")
    reference = permit_application_submit(
        resident=resident, reference=application.reference, consent=True
    ).reference
    pump()

    case = PermitCase.objects.get(reference=reference)
    assert (case.station, case.status, case.revision) == (beishan, "prelim_review", 1)
    assert {d.item for d in case.documents.filter(current=True)} == {"photo", "C23", "C24"}
    assert PermitApplication.objects.get(reference=reference).status == "prelim_review"
    page = reviewer_client.get(f"/permits/{reference}/").content.decode()
    assert 'value="C23"' in page and 'name="item" value="A9"' not in page

    problems = [
        {"item": "photo", "text": "照片背景不是白色，请重新上传"},
        {"item": "address_detail", "text": "门牌号与登记不一致"},
    ]
    permit_return(user=reviewer, reference=reference, problems=problems)
    pump()
    returned = PermitApplication.objects.get(reference=reference)
    assert returned.status == "materials_required"
    assert returned.problems == problems

    upload(resident, returned, "photo", jpeg())
    permit_application_resubmit(
        resident=resident,
        reference=reference,
        data={"address_detail": "曙光路 12 号 3 幢 202 室"},
    )
    pump()
    case.refresh_from_db()
    assert (case.status, case.revision, case.address_detail) == (
        "prelim_review",
        2,
        "曙光路 12 号 3 幢 202 室",
    )
    assert case.changed_items == ["address_detail"]
    assert permit_notice_items(case=case) == ["address_detail", "photo"]
    with pytest.raises(PermitError) as exc:
        permit_return(
            user=reviewer, reference=reference, problems=[{"item": "C23", "text": "合同过期"}]
        )
    assert exc.value.code == "checkable_before"

    permit_prereview_pass(user=reviewer, reference=reference, revision=2)
    pump()
    assert PermitApplication.objects.get(reference=reference).status == "prereview_passed"

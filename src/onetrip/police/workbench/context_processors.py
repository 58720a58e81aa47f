"""What every workbench page needs to draw its header: which sections the officer may open."""

from __future__ import annotations

from django.http import HttpRequest

from onetrip.police.accounts.selectors import staff_may_operate_ferry, staff_profile
from onetrip.police.appointments.selectors import appointments_may_use
from onetrip.police.guidance.services import guidance_may_edit, guidance_may_read_staff
from onetrip.police.permits.queues import casework_tasks_for
from onetrip.police.permits.selectors import permit_may_use_queue
from onetrip.police.reporting.selectors import organisations_may_decide, reporting_may_read
from onetrip.police.stations.selectors import coverage_may_view, window_may_manage


def workbench(request: HttpRequest) -> dict[str, bool]:
    profile = staff_profile(getattr(request, "user", None))
    return {
        "may_operate_ferry": staff_may_operate_ferry(profile),
        "may_review_permits": permit_may_use_queue(profile),
        "may_do_casework": profile is not None
        and bool(casework_tasks_for(user=getattr(request, "user", None))),
        "may_manage_windows": window_may_manage(profile),
        "may_see_appointments": appointments_may_use(profile),
        "may_see_coverage": coverage_may_view(profile),
        "may_see_reporting": reporting_may_read(profile) or organisations_may_decide(profile),
        "may_edit_guidance": guidance_may_edit(getattr(request, "user", None)),
        "may_read_staff_guidance": guidance_may_read_staff(getattr(request, "user", None)),
    }

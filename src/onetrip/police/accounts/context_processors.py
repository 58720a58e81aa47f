"""What the workbench header needs for the security links: the officer's own password and
authenticator pages, and the page of their administrator duty, if any (MLPS-10)."""

from __future__ import annotations

from django.http import HttpRequest

from .selectors import (
    staff_may_administer_security,
    staff_may_manage_staff,
    staff_may_read_audit,
    staff_profile,
)


def staff_security(request: HttpRequest) -> dict[str, bool]:
    profile = staff_profile(getattr(request, "user", None))
    return {
        "is_staff_member": profile is not None,
        "may_manage_staff": staff_may_manage_staff(profile),
        "may_administer_security": staff_may_administer_security(profile),
        "may_read_audit": staff_may_read_audit(profile),
    }

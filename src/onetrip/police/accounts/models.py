"""Staff of the police zone: a profile beside django.contrib.auth's User.

A staff member's scope follows from the role: station roles work in one station, a district
administrator in one district (分局), a city administrator and the three security administrators
(三权分立, MLPS-10) in the whole city. The database enforces that shape;
`services.staff_check_scope` explains a violation in words.

Failed log-ins are counted by django-axes and second-factor devices kept by django-otp
(`onetrip.police.accounts.lockout`, `services.staff_login`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    WINDOW_CLERK = "window_clerk", _("受理民警")
    REVIEWER = "reviewer", _("审核")
    APPROVER = "approver", _("审批")
    STATION_ADMIN = "station_admin", _("所管理员")
    FIELD_OFFICER = "field_officer", _("现场办")
    DISTRICT_ADMIN = "district_admin", _("分局管理员")
    CITY_ADMIN = "city_admin", _("市局管理员")
    # The security management centre's three separated duties (MLPS-10): none of them sees case
    # data, and none can do another's job.
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


ROLE_LABELS_EN = {
    Role.WINDOW_CLERK: "Window clerk",
    Role.REVIEWER: "Reviewer",
    Role.APPROVER: "Approver",
    Role.STATION_ADMIN: "Station administrator",
    Role.FIELD_OFFICER: "Field officer",
    Role.DISTRICT_ADMIN: "District administrator",
    Role.CITY_ADMIN: "City administrator",
    Role.SYSTEM_ADMIN: "System administrator",
    Role.SECURITY_ADMIN: "Security administrator",
    Role.AUDIT_ADMIN: "Audit administrator",
}

#: Roles that work in one station (ordered, so the migration is stable).
STATION_ROLES = (
    Role.WINDOW_CLERK,
    Role.REVIEWER,
    Role.APPROVER,
    Role.STATION_ADMIN,
    Role.FIELD_OFFICER,
)

#: The three administrators of the security management centre (MLPS-10), city-scoped.
ADMINISTRATOR_ROLES = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)

#: Roles scoped to the whole city: no station, no district.
CITY_ROLES = (Role.CITY_ADMIN, *ADMINISTRATOR_ROLES)

#: Roles that must pass a second factor (TOTP) at every log-in (MLPS-3 d); the others may.
TOTP_REQUIRED_ROLES = frozenset(
    {Role.APPROVER, Role.STATION_ADMIN, Role.DISTRICT_ADMIN, *CITY_ROLES}
)


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    full_name = models.CharField("姓名", max_length=50)
    role = models.CharField("岗位", max_length=20, choices=Role.choices)
    station = models.ForeignKey(
        "police_stations.Station",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name="派出所",
    )
    district_code = models.CharField("分局区县代码", max_length=6, blank=True)
    # When the password was last set; older than ONETRIP_STAFF_PASSWORD_MAX_DAYS it must be
    # changed before any other page (MLPS-3 a).
    password_changed_at = models.DateTimeField("密码设置时间", default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__username"]
        verbose_name = "民警账户"
        verbose_name_plural = "民警账户"
        constraints = [
            models.CheckConstraint(
                name="staff_profile_scope_matches_role",
                condition=(
                    Q(role__in=[r.value for r in STATION_ROLES])
                    & Q(station__isnull=False)
                    & Q(district_code="")
                )
                | (Q(role=Role.DISTRICT_ADMIN) & Q(station__isnull=True) & ~Q(district_code=""))
                | (
                    Q(role__in=[r.value for r in CITY_ROLES])
                    & Q(station__isnull=True)
                    & Q(district_code="")
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.get_role_display()})"

    @property
    def role_label_en(self) -> str:
        return ROLE_LABELS_EN[Role(self.role)]

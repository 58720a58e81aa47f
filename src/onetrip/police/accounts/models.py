"""Staff of the police zone: a profile beside django.contrib.auth's User, and login throttling.

A staff member's scope follows from the role: station roles work in one station, a district
administrator in one district (分局), a city administrator in the whole city. The database
enforces that shape; `services.staff_check_scope` explains a violation in words.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    WINDOW_CLERK = "window_clerk", _("受理民警")
    REVIEWER = "reviewer", _("审核")
    APPROVER = "approver", _("审批")
    STATION_ADMIN = "station_admin", _("所管理员")
    FIELD_OFFICER = "field_officer", _("现场办")
    DISTRICT_ADMIN = "district_admin", _("分局管理员")
    CITY_ADMIN = "city_admin", _("市局管理员")


ROLE_LABELS_EN = {
    Role.WINDOW_CLERK: "Window clerk",
    Role.REVIEWER: "Reviewer",
    Role.APPROVER: "Approver",
    Role.STATION_ADMIN: "Station administrator",
    Role.FIELD_OFFICER: "Field officer",
    Role.DISTRICT_ADMIN: "District administrator",
    Role.CITY_ADMIN: "City administrator",
}

#: Roles that work in one station (ordered, so the migration is stable).
STATION_ROLES = (
    Role.WINDOW_CLERK,
    Role.REVIEWER,
    Role.APPROVER,
    Role.STATION_ADMIN,
    Role.FIELD_OFFICER,
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
                | (Q(role=Role.CITY_ADMIN) & Q(station__isnull=True) & Q(district_code="")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.get_role_display()})"

    @property
    def role_label_en(self) -> str:
        return ROLE_LABELS_EN[Role(self.role)]


class LoginThrottle(models.Model):
    """Failed log-ins per username (MLPS-3 b). Keyed by the lower-cased username as typed, so
    unknown usernames are throttled exactly like real ones and reveal nothing."""

    username = models.CharField(max_length=150, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "登录失败记录"
        verbose_name_plural = "登录失败记录"

    def __str__(self) -> str:
        return self.username

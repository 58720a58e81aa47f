"""`onetrip --zone police load_demo_staff`: demo staff of every role, idempotently.

Needs the stations (`load_reference`) first. Every demo account has the password
``onetrip-demo`` (published, so the password rules are not applied to it); never run this on a
production database.

In a demo deployment (``ONETRIP_DEMO=1`` or ``DEBUG``) the accounts whose role needs a second
factor (MLPS-3 d) get the published demo TOTP secret ``DEMO_TOTP_SECRET``: add it to any
authenticator app, or compute the code from it. Without the flag they enrol their own
authenticator at their first log-in, like any account.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from onetrip.common import divisions
from onetrip.common.db import atomic_for
from onetrip.common.errors import command_error
from onetrip.police.accounts.errors import StaffError
from onetrip.police.accounts.models import ROLE_LABELS_EN, TOTP_REQUIRED_ROLES, Role, StaffProfile
from onetrip.police.accounts.services import staff_ensure, staff_totp_demo_ensure
from onetrip.police.stations.models import Station
from onetrip.police.stations.selectors import station_for_street

DEMO_PASSWORD = "onetrip-demo"  # noqa: S105 - published demo credential
# Published demo TOTP secret (base32, 20 bytes), for demo deployments only.
DEMO_TOTP_SECRET = "ONETRIPDEMOSTAFFTOTPSECRET234567"  # noqa: S105 - published demo credential
BEISHAN_STREET = "330106002"  # 西湖区 北山街道
HUBIN_STREET = "330102003"  # 上城区 湖滨街道


@dataclass(frozen=True)
class DemoStaff:
    username: str
    full_name: str
    role: Role
    street_code: str = ""
    district_code: str = ""


DEMO_STAFF = (
    DemoStaff("clerk_beishan", "陈晓明", Role.WINDOW_CLERK, street_code=BEISHAN_STREET),
    DemoStaff("reviewer_beishan", "李静", Role.REVIEWER, street_code=BEISHAN_STREET),
    DemoStaff("approver_beishan", "王建国", Role.APPROVER, street_code=BEISHAN_STREET),
    DemoStaff("admin_beishan", "赵敏", Role.STATION_ADMIN, street_code=BEISHAN_STREET),
    DemoStaff("field_beishan", "周磊", Role.FIELD_OFFICER, street_code=BEISHAN_STREET),
    DemoStaff("clerk_hubin", "刘洋", Role.WINDOW_CLERK, street_code=HUBIN_STREET),
    DemoStaff("district_xihu", "孙浩", Role.DISTRICT_ADMIN, district_code="330106"),
    DemoStaff("city_admin", "吴芳", Role.CITY_ADMIN),
)


class Command(BaseCommand):
    help = "创建演示民警账户 (create demo staff accounts; password onetrip-demo)"

    def handle(self, *args: Any, **options: Any) -> None:
        stations: dict[str, Station] = {}
        for street_code in {d.street_code for d in DEMO_STAFF if d.street_code}:
            station = station_for_street(street_code)
            if station is None:
                raise CommandError(
                    f"街道 {street_code} 没有派出所，请先运行 load_reference "
                    f"(no station covers street {street_code}; run load_reference first)"
                )
            stations[street_code] = station
        demo_totp = settings.DEBUG or settings.ONETRIP_DEMO
        try:
            with atomic_for(StaffProfile):
                rows = [
                    self._ensure(d, stations.get(d.street_code), demo_totp=demo_totp)
                    for d in DEMO_STAFF
                ]
        except StaffError as exc:
            raise command_error(exc) from exc
        self.stdout.write(f"演示民警账户 demo staff (密码 password: {DEMO_PASSWORD})")
        for username, action, role, scope in rows:
            self.stdout.write(f"  {username:<18} {action:<8} {role:<32} {scope}")
        if demo_totp:
            self.stdout.write(
                f"二次验证 second factor (审批、管理员 approvers, administrators): TOTP 密钥 "
                f"secret {DEMO_TOTP_SECRET}"
            )
        else:
            self.stdout.write(
                "二次验证 second factor: 审批、管理员首次登录时绑定验证器 approvers and "
                "administrators enrol an authenticator at their first log-in (ONETRIP_DEMO=1 "
                "gives them the published demo secret)"
            )

    def _ensure(
        self, demo: DemoStaff, station: Station | None, *, demo_totp: bool
    ) -> tuple[str, str, str, str]:
        user, created = staff_ensure(
            username=demo.username,
            password=DEMO_PASSWORD,
            full_name=demo.full_name,
            role=demo.role,
            station=station,
            district_code=demo.district_code,
            password_rules=False,
        )
        if demo_totp and demo.role in TOTP_REQUIRED_ROLES:
            key_hex = base64.b32decode(DEMO_TOTP_SECRET).hex()
            staff_totp_demo_ensure(user=user, key_hex=key_hex)
        action = "created" if created else "exists"
        role = f"{demo.role.label} {ROLE_LABELS_EN[demo.role]}"
        if station is not None:
            scope = station.name
        elif demo.district_code:
            district = divisions.district(demo.district_code)
            scope = f"{demo.district_code} {district.name if district else ''}"
        else:
            scope = "全市 whole city"
        return demo.username, action, role, scope

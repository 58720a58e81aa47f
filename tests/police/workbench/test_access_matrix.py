"""The role × station matrix: every workbench page and every workbench API operation, asked by
every role at its own station (or district) and by the same role at another one, on objects of
北山, answers as `MATRIX` says; a route that is in neither `MATRIX` nor `PUBLIC` fails
`test_every_route_has_an_entry`.

How a row reads: `allow` are the roles that may use the route where the object lies (any answer
but 401, 403 or 404: a 400 or 409 for a step out of order is still "allowed"); `refuse` are the
roles the codebase deliberately answers 403 (they see the object but may not act on it, or have
no such work at all); every other role gets 404, as if the object did not exist. The same role
at another station (湖滨; for the district administrator 上城) gets 404 on an object of 北山;
on a route without an object it answers as the role does at home but shows nothing of 北山.
A refusal that a page shows as a message (a redirect or the re-rendered form) rather than as a
status is marked `shown=True`: it counts as 403 when the service refused with 403.
Nobody logged in is sent to the log-in page (pages) or answered 401 (API).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from onetrip.common.errors import ApplicationError
from onetrip.police.accounts.models import Role
from onetrip.police.permits.production import production_key_generate
from tests.fixtures import BEISHAN_COMMUNITY

from .matrix_objects import ANONYMOUS, STAFF_TARGET, Principal, World, id_number

pytestmark = pytest.mark.django_db(databases=["default", "police"])

API_PREFIX = "api/v1/"

# -- who ------------------------------------------------------------------------------------------

CLERK = Role.WINDOW_CLERK.value
REVIEWER = Role.REVIEWER.value
APPROVER = Role.APPROVER.value
STATION_ADMIN = Role.STATION_ADMIN.value
FIELD = Role.FIELD_OFFICER.value
DISTRICT = Role.DISTRICT_ADMIN.value
CITY = Role.CITY_ADMIN.value
SYSTEM = Role.SYSTEM_ADMIN.value
SECURITY = Role.SECURITY_ADMIN.value
AUDIT = Role.AUDIT_ADMIN.value

EVERYONE = frozenset(Role.values)
# Declarations: the station's roles and the administrators above it see them; the station's
# deciding roles verify, return, change and cancel.
DECL_READ = frozenset({CLERK, REVIEWER, APPROVER, STATION_ADMIN, FIELD, DISTRICT, CITY})
DECL_DECIDE = frozenset({CLERK, REVIEWER, APPROVER, STATION_ADMIN})
# Permit cases: every role with a task sees them (not the field officer); reviewers and the
# station administrator pre-review.
PERMIT_READ = frozenset({CLERK, REVIEWER, APPROVER, STATION_ADMIN, DISTRICT, CITY})
PERMIT_DECIDE = frozenset({REVIEWER, STATION_ADMIN})
# The one stop's steps, each by its role at the case's station.
AT_WINDOW = frozenset({CLERK, STATION_ADMIN})  # accept, notice, card, hand-over
REVIEWS = frozenset({REVIEWER, STATION_ADMIN})
APPROVES = frozenset({APPROVER, STATION_ADMIN})
# Windows and their calendars: managed by the station administrator, overseen above.
WINDOW_READ = frozenset({STATION_ADMIN, DISTRICT, CITY})
# Who sees a station's cards in production and on their way: its window, and the overseers.
CARD_BOARD = frozenset({CLERK, STATION_ADMIN, DISTRICT, CITY})
# A station's batch is its own staff's to see: those without production work are refused, and
# nobody outside the station learns that it exists.
STATION_STAFF = frozenset({REVIEWER, APPROVER, FIELD})
# Who finds a case waiting for acceptance in the acceptance queue.
ACCEPT_QUEUE = frozenset({CLERK, STATION_ADMIN, DISTRICT, CITY})
# Organisations' reports: whoever reads declarations reads what was reported in the same place;
# a conflict is resolved by the station's own staff, who can go and look.
REPORT_READ = DECL_READ
REPORT_RESOLVE = frozenset({CLERK, REVIEWER, APPROVER, STATION_ADMIN, FIELD})
# Guidance (issue 16): the city administrators are the content role that writes, reviews and
# publishes; an entry's pages answer 404 to everyone else. Staff guidance is read by every role
# that works on cases, not by the security centre's administrators.
CONTENT = frozenset({CITY})
STAFF_GUIDANCE = DECL_READ | PERMIT_READ
NEW_FAQ = {
    "kind": "faq",
    "key": "faq-matrix-new",
    "title": "居住证可以网上签注吗？",
    "body": "可以。",
    "category": "endorsement",
}


def others(*groups: frozenset[str]) -> frozenset[str]:
    return EVERYONE - frozenset().union(*groups)


# -- what -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    method: str
    route: str  # as Django's resolver writes it, without the leading slash
    allow: frozenset[str]
    refuse: frozenset[str] = frozenset()
    obj: str | None = None  # the kind of object of 北山 whose parameters fill the route
    shown: bool = False  # a refusal may come back as a message on a page (see the docstring)
    body: dict[str, Any] | None = None  # form (pages) or JSON (API); API default: its example
    query: str = ""
    seed: tuple[str, ...] = ()  # objects of 北山 a list route must not show elsewhere…
    seen_by: frozenset[str] = frozenset()  # …and does show these roles at home
    leak_check: bool = True

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.route)

    @property
    def is_api(self) -> bool:
        return self.route.startswith(API_PREFIX)


def R(method: str, route: str, allow: Iterable[str], **kw: Any) -> Entry:
    for name in ("refuse", "seen_by"):
        if name in kw:
            kw[name] = frozenset(kw[name])
    return Entry(method, route, frozenset(allow), **kw)


TODAY = "today"  # replaced by today's date when the request is made
REASON = {"reason": "详细地址缺少门牌号，请补充后重新申报"}
ACCEPT_FORM = {
    "original": ["A1", "A8", "A9", "B10", "B11/B12/B13/B14/B15/B16/B17"],
    "ethnicity": "汉族",
    "hukou_address": "浙江省温州市鹿城区五马街道1号",
}
NOTICE_FORM = {"item": "B11", "text_B11": "劳动合同缺少用人单位盖章页，请上传完整合同"}
# A change that keeps the registration at 北山, so a second allowed role still finds it.
CHANGE = {
    "changed_on": TODAY,
    "community_code": BEISHAN_COMMUNITY,
    "address_detail": "曙光路 99 号 1 幢 101 室",
    "housing_type": "dormitory",
}

MATRIX: list[Entry] = [
    # -- home, declarations (居住登记) ----------------------------------------------------------
    R("GET", "", EVERYONE),
    R("GET", "declarations/", EVERYONE, seed=("declaration",), seen_by=DECL_READ),
    R("GET", "declarations/<str:reference>/", DECL_READ, obj="declaration"),
    R("POST", "declarations/<str:reference>/reveal/", DECL_READ, obj="declaration"),
    R(
        "POST",
        "declarations/<str:reference>/verify/",
        DECL_DECIDE,
        refuse=DECL_READ - DECL_DECIDE,
        obj="declaration",
        shown=True,
        body={},
    ),
    R(
        "POST",
        "declarations/<str:reference>/return/",
        DECL_DECIDE,
        refuse=DECL_READ - DECL_DECIDE,
        obj="declaration",
        shown=True,
        body=REASON,
    ),
    R(
        "POST",
        "declarations/<str:reference>/change/",
        DECL_DECIDE,
        refuse=DECL_READ - DECL_DECIDE,
        obj="registration",
        shown=True,
        body=CHANGE,
    ),
    R(
        "POST",
        "declarations/<str:reference>/cancel/",
        DECL_DECIDE,
        refuse=DECL_READ - DECL_DECIDE,
        obj="registration",
        shown=True,
        body={"reason": "left_city"},
    ),
    # -- permit pre-review (居住证预审) ----------------------------------------------------------
    R(
        "GET",
        "permits/",
        PERMIT_READ,
        refuse=others(PERMIT_READ),
        seed=("permit",),
        seen_by=PERMIT_READ,
    ),
    R("GET", "permits/<str:reference>/", PERMIT_READ, obj="permit"),
    R("POST", "permits/<str:reference>/reveal/", PERMIT_READ, obj="permit"),
    R(
        "POST",
        "permits/<str:reference>/pass/",
        PERMIT_DECIDE,
        refuse=PERMIT_READ - PERMIT_DECIDE,
        obj="permit",
        shown=True,
        body={"revision": "1"},
    ),
    R(
        "POST",
        "permits/<str:reference>/return/",
        PERMIT_DECIDE,
        refuse=PERMIT_READ - PERMIT_DECIDE,
        obj="permit",
        shown=True,
        body=NOTICE_FORM,
    ),
    R(
        "POST",
        "permits/<str:reference>/reject/",
        PERMIT_DECIDE,
        refuse=PERMIT_READ - PERMIT_DECIDE,
        obj="permit",
        shown=True,
        body={"reason": "居住登记未满半年（自申报居住登记之日起计算）"},
    ),
    R("GET", "permits/<str:reference>/documents/<str:document_id>", PERMIT_READ, obj="permit"),
    # -- windows, calendars, appointments, coverage --------------------------------------------
    R(
        "GET",
        "windows/",
        WINDOW_READ,
        refuse=others(WINDOW_READ),
        seed=("window",),
        seen_by=WINDOW_READ,
    ),
    R("GET", "windows/<str:code>/", WINDOW_READ, obj="window"),
    R(
        "POST",
        "windows/<str:code>/",
        {STATION_ADMIN},
        refuse={DISTRICT, CITY},
        obj="window",
        body={},
    ),
    R("GET", "windows/<str:code>/calendar/", WINDOW_READ, obj="window"),
    R(
        "POST",
        "windows/<str:code>/calendar/",
        {STATION_ADMIN},
        refuse={DISTRICT, CITY},
        obj="window",
        body={},
    ),
    R(
        "GET",
        "appointments/",
        AT_WINDOW,
        refuse=others(AT_WINDOW),
        seed=("appointment",),
        seen_by=AT_WINDOW,
    ),
    R("POST", "appointments/<str:reference>/check-in/", AT_WINDOW, obj="appointment", body={}),
    R("POST", "appointments/<str:reference>/no-show/", AT_WINDOW, obj="appointment", body={}),
    R("GET", "coverage/", {CITY}, refuse=others({CITY})),
    # -- the one stop (一站式办结) ---------------------------------------------------------------
    # The queue opens on the role's first task: acceptance for the window and the overseers.
    R(
        "GET",
        "station/",
        PERMIT_READ,
        refuse=others(PERMIT_READ),
        seed=("case_accept",),
        seen_by=ACCEPT_QUEUE,
    ),
    # The blank walk-in form shows no data to anyone; entering a case is the clerks'.
    R("GET", "station/walk-in/", EVERYONE),
    R("POST", "station/walk-in/", AT_WINDOW, refuse=others(AT_WINDOW), body={}),
    R("GET", "station/<str:reference>/", PERMIT_READ, obj="case_accept"),
    R(
        "POST",
        "station/<str:reference>/take/",
        AT_WINDOW,
        refuse=PERMIT_READ - AT_WINDOW,
        obj="case_accept",
        body={},
    ),
    R(
        "POST",
        "station/<str:reference>/reassign/",
        {STATION_ADMIN},
        refuse=PERMIT_READ - {STATION_ADMIN},
        obj="case_accept",
        body={"to": ""},
    ),
    R(
        "POST",
        "station/<str:reference>/accept/",
        AT_WINDOW,
        refuse=PERMIT_READ - AT_WINDOW,
        obj="case_accept",
        body=ACCEPT_FORM,
    ),
    R(
        "POST",
        "station/<str:reference>/notice/",
        AT_WINDOW,
        refuse=PERMIT_READ - AT_WINDOW,
        obj="case_accept",
        body=NOTICE_FORM,
    ),
    R(
        "POST",
        "station/<str:reference>/refuse/",
        AT_WINDOW,
        refuse=PERMIT_READ - AT_WINDOW,
        obj="case_accept",
        body={"reason": "社保缴纳记录显示已离职，不符合就业条件"},
    ),
    R(
        "POST",
        "station/<str:reference>/review/",
        REVIEWS,
        refuse=PERMIT_READ - REVIEWS,
        obj="case_review",
        body={},
    ),
    R(
        "POST",
        "station/<str:reference>/approve/",
        APPROVES,
        refuse=PERMIT_READ - APPROVES,
        obj="case_approve",
        body={},
    ),
    R(
        "POST",
        "station/<str:reference>/production/",
        AT_WINDOW,
        refuse=PERMIT_READ - AT_WINDOW,
        obj="case_produce",
        body={},
    ),
    R(
        "POST",
        "station/<str:reference>/arrived/",
        AT_WINDOW,
        refuse=PERMIT_READ - AT_WINDOW,
        obj="case_arrived",
        body={},
    ),
    R(
        "POST",
        "station/<str:reference>/hand-over/",
        AT_WINDOW,
        refuse=PERMIT_READ - AT_WINDOW,
        obj="case_hand_over",
        body={"id_number": id_number(107)},
    ),
    R("GET", "station/<str:reference>/receipt.pdf", PERMIT_READ, obj="case_review"),
    # -- the card: production batches at the station, its way to the resident (issue 13) ---------
    R(
        "GET",
        "production/",
        AT_WINDOW,
        refuse=others(AT_WINDOW),
        seed=("case_produce",),
        seen_by=AT_WINDOW,
    ),
    R("POST", "production/assemble/", AT_WINDOW, refuse=others(AT_WINDOW), body={}, shown=True),
    R("POST", "production/import/", AT_WINDOW, refuse=others(AT_WINDOW), body={}, shown=True),
    R("GET", "production/batches/<str:number>/", AT_WINDOW, refuse=STATION_STAFF, obj="batch"),
    R(
        "POST",
        "production/batches/<str:number>/export/",
        AT_WINDOW,
        refuse=STATION_STAFF,
        obj="batch",
        body={},
    ),
    R(
        "GET",
        "production/batches/<str:number>/download/",
        AT_WINDOW,
        refuse=STATION_STAFF,
        obj="batch",
    ),
    R(
        "GET",
        "operations/cards/",
        CARD_BOARD,
        refuse=others(CARD_BOARD),
        seed=("case_produce",),
        seen_by=AT_WINDOW,
    ),
    R("GET", "operations/delivery/", {DISTRICT, CITY}, refuse=others({DISTRICT, CITY})),
    # -- staff security (MLPS-3, MLPS-10): one's own, then each administrator's duty -------------
    R("GET", "security/password/", EVERYONE),
    R("POST", "security/password/", EVERYONE, body={}),
    R("GET", "security/authenticator/", EVERYONE),
    R("POST", "security/authenticator/", EVERYONE, body={}),
    R("GET", "security/staff/", {SYSTEM}),
    R("POST", "security/staff/", {SYSTEM}, body={}),
    R("POST", "security/staff/<str:username>/", {SYSTEM}, obj="staff_member", body={}),
    R("GET", "security/locks/", {SECURITY}),
    R("POST", "security/locks/unlock/", {SECURITY}, body={"username": STAFF_TARGET}),
    R(
        "POST",
        "security/locks/<str:username>/reset-authenticator/",
        {SECURITY},
        obj="staff_member",
        body={},
    ),
    # The audit log names the objects it records: its reader sees their references by design.
    R("GET", "security/audit/", {AUDIT}, leak_check=False),
    R("POST", "security/audit/", {AUDIT}, body={}, leak_check=False),
    # -- the ferry (the whole city's traffic): city administrators -----------------------------
    R("GET", "ferry/", {CITY}),
    # Clearing an alarm, without the reason it needs: 400 for the one who may.
    R("POST", "ferry/", {CITY}, body={"alarm": "1"}),
    R("GET", "ferry/quarantine/<int:quarantine_id>/", {CITY}, obj="quarantine"),
    R("POST", "ferry/quarantine/<int:quarantine_id>/release/", {CITY}, obj="quarantine", body={}),
    R("POST", "ferry/quarantine/<int:quarantine_id>/discard/", {CITY}, obj="quarantine", body={}),
    # -- organisation reporting (单位代报, issue 14) ----------------------------------------------
    R("GET", "reporting/", EVERYONE),
    R(
        "GET",
        "reporting/stays/",
        REPORT_READ,
        refuse=others(REPORT_READ),
        seed=("reported_stay",),
        seen_by=REPORT_READ,
    ),
    R("GET", "reporting/late/", REPORT_READ, refuse=others(REPORT_READ), seed=("reported_stay",)),
    R(
        "GET",
        "reporting/conflicts/",
        REPORT_READ,
        refuse=others(REPORT_READ),
        seed=("report_conflict",),
        seen_by=REPORT_READ,
    ),
    R(
        "POST",
        "reporting/conflicts/<int:conflict_id>/resolve/",
        REPORT_RESOLVE,
        refuse={DISTRICT, CITY},
        obj="report_conflict",
        body={"note": "经上门核实，情况属实"},
    ),
    R(
        "GET",
        "reporting/organisations/",
        {DISTRICT, CITY},
        refuse=others({DISTRICT, CITY}),
        seed=("organisation",),
        seen_by={DISTRICT, CITY},
    ),
    R(
        "POST",
        "reporting/organisations/<str:credit_code>/decide/",
        {DISTRICT, CITY},
        obj="organisation",
        body={"decision": "approved"},
    ),
    # == the workbench API (/api/v1/) ===========================================================
    R("GET", "api/v1/declarations", EVERYONE, seed=("declaration",), seen_by=DECL_READ),
    R("GET", "api/v1/declarations/<reference>", DECL_READ, obj="declaration"),
    R(
        "POST",
        "api/v1/declarations/<reference>/verify",
        DECL_DECIDE,
        refuse=DECL_READ - DECL_DECIDE,
        obj="declaration",
        body={},
    ),
    R(
        "POST",
        "api/v1/declarations/<reference>/return",
        DECL_DECIDE,
        refuse=DECL_READ - DECL_DECIDE,
        obj="declaration",
    ),
    R(
        "POST",
        "api/v1/declarations/<reference>/change",
        DECL_DECIDE,
        refuse=DECL_READ - DECL_DECIDE,
        obj="registration",
        body=CHANGE,
    ),
    R(
        "POST",
        "api/v1/declarations/<reference>/cancel",
        DECL_DECIDE,
        refuse=DECL_READ - DECL_DECIDE,
        obj="registration",
        body={"reason": "left_city"},
    ),
    R(
        "GET",
        "api/v1/permits",
        PERMIT_READ,
        refuse=others(PERMIT_READ),
        seed=("permit",),
        seen_by=PERMIT_READ,
    ),
    R("GET", "api/v1/permits/<reference>", PERMIT_READ, obj="permit"),
    R(
        "POST",
        "api/v1/permits/<reference>/pass",
        PERMIT_DECIDE,
        refuse=PERMIT_READ - PERMIT_DECIDE,
        obj="permit",
    ),
    R(
        "POST",
        "api/v1/permits/<reference>/return",
        PERMIT_DECIDE,
        refuse=PERMIT_READ - PERMIT_DECIDE,
        obj="permit",
    ),
    R(
        "POST",
        "api/v1/permits/<reference>/reject",
        PERMIT_DECIDE,
        refuse=PERMIT_READ - PERMIT_DECIDE,
        obj="permit",
    ),
    R(
        "GET",
        "api/v1/windows",
        WINDOW_READ,
        refuse=others(WINDOW_READ),
        seed=("window",),
        seen_by=WINDOW_READ,
    ),
    R("GET", "api/v1/windows/<code>", WINDOW_READ, obj="window"),
    R("POST", "api/v1/windows/<code>", {STATION_ADMIN}, refuse={DISTRICT, CITY}, obj="window"),
    R("GET", "api/v1/windows/<code>/calendar", WINDOW_READ, obj="window"),
    R(
        "POST",
        "api/v1/windows/<code>/calendar",
        {STATION_ADMIN},
        refuse={DISTRICT, CITY},
        obj="window",
    ),
    R(
        "GET",
        "api/v1/appointments/today",
        AT_WINDOW,
        refuse=others(AT_WINDOW),
        seed=("appointment",),
        seen_by=AT_WINDOW,
    ),
    R("POST", "api/v1/appointments/<reference>/check-in", AT_WINDOW, obj="appointment"),
    R("POST", "api/v1/appointments/<reference>/no-show", AT_WINDOW, obj="appointment"),
    # A task of another role answers an empty list, not 403.
    R(
        "GET",
        "api/v1/station/cases",
        EVERYONE,
        query="task=accept",
        seed=("case_accept",),
        seen_by=ACCEPT_QUEUE,
    ),
    R("GET", "api/v1/station/cases/<reference>", PERMIT_READ, obj="case_accept"),
    R(
        "POST",
        "api/v1/station/cases/<reference>/take",
        AT_WINDOW,
        refuse=PERMIT_READ - AT_WINDOW,
        obj="case_accept",
    ),
    R(
        "POST",
        "api/v1/station/cases/<reference>/accept",
        AT_WINDOW,
        refuse=PERMIT_READ - AT_WINDOW,
        obj="case_accept",
    ),
    R(
        "POST",
        "api/v1/station/cases/<reference>/notice",
        AT_WINDOW,
        refuse=PERMIT_READ - AT_WINDOW,
        obj="case_accept",
    ),
    R(
        "POST",
        "api/v1/station/cases/<reference>/refuse",
        AT_WINDOW,
        refuse=PERMIT_READ - AT_WINDOW,
        obj="case_accept",
    ),
    R(
        "POST",
        "api/v1/station/cases/<reference>/review",
        REVIEWS,
        refuse=PERMIT_READ - REVIEWS,
        obj="case_review",
    ),
    R(
        "POST",
        "api/v1/station/cases/<reference>/approve",
        APPROVES,
        refuse=PERMIT_READ - APPROVES,
        obj="case_approve",
    ),
    R(
        "POST",
        "api/v1/station/cases/<reference>/production",
        AT_WINDOW,
        refuse=PERMIT_READ - AT_WINDOW,
        obj="case_produce",
    ),
    R(
        "POST",
        "api/v1/station/cases/<reference>/arrived",
        AT_WINDOW,
        refuse=PERMIT_READ - AT_WINDOW,
        obj="case_arrived",
    ),
    R(
        "POST",
        "api/v1/station/cases/<reference>/hand-over",
        AT_WINDOW,
        refuse=PERMIT_READ - AT_WINDOW,
        obj="case_hand_over",
        body={"id_number": id_number(107)},
    ),
]

MATRIX += [
    # -- guidance (政策法规、办事指南、你问我答、材料样例、内部工作指引; issue 16) ----------------
    R("GET", "guidance/", CONTENT, refuse=others(CONTENT)),
    R("GET", "guidance/new/", CONTENT, refuse=others(CONTENT)),
    R("POST", "guidance/new/", CONTENT, refuse=others(CONTENT), body=NEW_FAQ),
    R("GET", "guidance/answers/", STAFF_GUIDANCE, refuse=others(STAFF_GUIDANCE)),
    R("GET", "guidance/<str:key>/", CONTENT, obj="guidance_entry"),
    R("GET", "guidance/<str:key>/edit/", CONTENT, obj="guidance_entry"),
    R("POST", "guidance/<str:key>/edit/", CONTENT, obj="guidance_entry", body={}),
    R("POST", "guidance/<str:key>/picture/", CONTENT, obj="guidance_entry", body={}),
    R("POST", "guidance/<str:key>/submit/", CONTENT, obj="guidance_entry", body={}),
    R("POST", "guidance/<str:key>/publish/", CONTENT, obj="guidance_entry", body={}),
    R("POST", "guidance/<str:key>/return/", CONTENT, obj="guidance_entry", body={"note": "再改"}),
]

KEYS = {e.key for e in MATRIX}

# Routes anyone may reach, or that are not the workbench's: no role decides them.
PUBLIC: dict[str, str] = {
    "i18n/setlang/": "the language switch (Django's)",
    "metrics": "monitoring network only, kept apart by the proxy (docs/operations.md)",
    "login/": "log-in",
    "login/code/": "log-in, second factor",
    "login/enrol/": "log-in, authenticator enrolment",
    "logout/": "log-out",
    "courier/callbacks/": "the courier's status callbacks, proved by their HMAC signature "
    "(tests/police/delivery/test_courier_flow.py)",
    "api/v1/": "the API's root",
    "api/v1/openapi.json": "the API's published document",
    "api/v1/docs": "the API's document page",
    "api/v1/docs/assets/<name>": "the document page's scripts and styles",
}


# -- the routes there are -------------------------------------------------------------------------


def _walk(patterns: list[Any], prefix: str = "") -> list[str]:
    routes = []
    for p in patterns:
        if isinstance(p, URLResolver):
            routes += _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            routes.append(prefix + str(p.pattern))
    return routes


@functools.cache
def _api_schema() -> dict[str, Any]:
    import onetrip.police.urls  # noqa: F401  (the API's operations are registered on import)
    from onetrip.police.workbench.api import api

    return api.get_openapi_schema(path_prefix="/" + API_PREFIX.rstrip("/"))


def _api_operations() -> dict[tuple[str, str], dict[str, Any]]:
    """(method, route) of every operation of the API's document, in the resolver's spelling."""
    out = {}
    for path, operations in _api_schema()["paths"].items():
        route = re.sub(r"\{(\w+)\}", r"<\1>", path.lstrip("/"))
        for method, operation in operations.items():
            out[(method.upper(), route)] = operation
    return out


def enumerated_routes() -> tuple[set[str], set[tuple[str, str]]]:
    """The police zone's page routes (methods are the matrix's to say) and its API operations."""
    import onetrip.police.urls  # noqa: F401  (the API's operations are registered on import)

    routes = set(_walk(get_resolver("onetrip.police.urls").url_patterns))
    operations = set(_api_operations())
    pages = {r for r in routes if r not in PUBLIC and not r.startswith(API_PREFIX)}
    api_routes = {r for r in routes if r.startswith(API_PREFIX) and r not in PUBLIC}
    unknown_api = api_routes - {route for _, route in operations}
    assert not unknown_api, f"API routes outside the document: {sorted(unknown_api)}"
    return pages, operations


def test_every_route_has_an_entry():
    pages, operations = enumerated_routes()
    keys = [e.key for e in MATRIX]
    assert len(keys) == len(set(keys)), "an entry twice in MATRIX"
    page_entries = {e.route for e in MATRIX if not e.is_api}
    api_entries = {e.key for e in MATRIX if e.is_api}
    assert sorted(pages - page_entries) == [], "pages without a MATRIX entry"
    assert sorted(page_entries - pages) == [], "MATRIX entries of pages that no longer exist"
    assert sorted(operations - api_entries) == [], "API operations without a MATRIX entry"
    assert sorted(api_entries - operations) == [], "MATRIX entries of operations that are gone"
    routes = set(_walk(get_resolver("onetrip.police.urls").url_patterns))
    assert sorted(set(PUBLIC) - routes) == [], "PUBLIC routes that no longer exist"


def test_every_entry_names_real_roles_and_objects():
    from .matrix_objects import MAKERS

    for e in MATRIX:
        assert e.allow | e.refuse <= EVERYONE, e.key
        assert not e.allow & e.refuse, e.key
        assert e.obj is None or e.obj in MAKERS, e.key
        assert set(e.seed) <= set(MAKERS), e.key
        names = set(re.findall(r"<(?:\w+:)?(\w+)>", e.route))
        assert bool(names) == (e.obj is not None), f"{e.key}: parameters without an object"


# -- asking ---------------------------------------------------------------------------------------


@pytest.fixture
def world(beishan, hubin, settings, tmp_path) -> World:
    settings.ONETRIP_FILES_DIR = tmp_path / "files"
    settings.ONETRIP_CARD_PRODUCTION_KEY = str(tmp_path / "keys" / "card-production.key")
    production_key_generate()
    w = World(beishan=beishan, hubin=hubin)
    w.log_in_everyone()
    return w


@pytest.fixture
def refusals(monkeypatch) -> list[int]:
    """The status of every `ApplicationError` made, in order: how a page that shows a refusal
    as a message (not as a status) refused."""
    seen: list[int] = []
    original = ApplicationError.__init__

    def spy(self: ApplicationError, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        seen.append(self.status)

    monkeypatch.setattr(ApplicationError, "__init__", spy)
    return seen


def expected(entry: Entry, who: Principal) -> str:
    if who == ANONYMOUS:
        return "401" if entry.is_api else "login"
    if who.scope == "other" and entry.obj is not None:
        return "404"
    if who.role in entry.allow:
        return "allow"
    return "403" if who.role in entry.refuse else "404"


def verdict(entry: Entry, response: Any, refused: list[int]) -> str:
    status = response.status_code
    if status in (401, 403, 404, 405) or status >= 500:
        return str(status)
    if status in (301, 302) and response["Location"].startswith("/login/"):
        return "login"
    if entry.shown and refused and refused[0] in (403, 404):
        return str(refused[0])
    return "allow"


def _fill(value: Any) -> Any:
    if value == TODAY:
        return timezone.localdate().isoformat()
    if isinstance(value, dict):
        return {k: _fill(v) for k, v in value.items()}
    return value


def _body(entry: Entry) -> dict[str, Any] | None:
    if entry.body is not None or not entry.is_api or entry.method == "GET":
        return _fill(entry.body)
    operation = _api_operations()[entry.key]
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    return content.get("example", {})


def ask(client: Any, entry: Entry, path: str) -> Any:
    if entry.method == "GET":
        return client.get(path, query_params=dict(re.findall(r"(\w+)=(\w*)", entry.query)))
    body = _body(entry)
    if entry.is_api:
        return client.post(path, body or {}, content_type="application/json")
    return client.post(path, body or {})


def _order(entry: Entry, world: World) -> list[Principal]:
    """Those refused first, so an allowed role's change cannot hide a refusal."""
    return sorted(world.clients, key=lambda p: (expected(entry, p) == "allow", p))


def _sees_nothing_of_beishan(who: Principal) -> bool:
    return who.scope == "other" or who.role in (SYSTEM, SECURITY, AUDIT)


@pytest.mark.parametrize("entry", MATRIX, ids=lambda e: f"{e.method} /{e.route}")
def test_role_station_matrix(entry: Entry, world: World, refusals: list[int]):
    params = world.params(entry.obj)
    world.seed(entry.seed)
    path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: params[m.group(1)], entry.route)
    wrong = []
    for who in _order(entry, world):
        refusals.clear()
        response = ask(world.clients[who], entry, path)
        want, got = expected(entry, who), verdict(entry, response, refusals)
        if want != got:
            wrong.append(f"{who.label}: expected {want}, got {got} ({response.status_code})")
        if got == "allow" and entry.leak_check and _sees_nothing_of_beishan(who):
            body = response.content.decode(errors="replace")
            shown = sorted(r for r in world.references if r in body)
            if shown:
                wrong.append(f"{who.label}: shows objects of 北山 {shown}")
        if who.scope == "own" and who.role in entry.seen_by:
            body = response.content.decode(errors="replace")
            missing = sorted(world.references - {r for r in world.references if r in body})
            if missing:
                wrong.append(f"{who.label}: does not list {missing} (the check above is blind)")
    if entry.method == "POST" and not entry.is_api and ("GET", entry.route) not in KEYS:
        # The matrix's method is the page's own: a page listed only for POST refuses GET.
        who = Principal(min(entry.allow), "own")
        if world.clients[who].get(path).status_code != 405:
            wrong.append(f"{who.label}: GET is not refused with 405")
    assert not wrong, f"{entry.method} {path}\n" + "\n".join(wrong)

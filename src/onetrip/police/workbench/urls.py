from django.urls import include, path

from . import ferry_views, permit_views, views, window_views

app_name = "workbench"

urlpatterns = [
    path("", views.home, name="home"),
    path("declarations/", views.queue, name="queue"),
    path("declarations/<str:reference>/", views.detail, name="detail"),
    path("declarations/<str:reference>/reveal/", views.reveal, name="reveal"),
    path("declarations/<str:reference>/verify/", views.verify, name="verify"),
    path("declarations/<str:reference>/return/", views.return_, name="return"),
    path("permits/", permit_views.queue, name="permit_queue"),
    path("permits/<str:reference>/", permit_views.detail, name="permit_detail"),
    path("permits/<str:reference>/reveal/", permit_views.reveal, name="permit_reveal"),
    path("permits/<str:reference>/pass/", permit_views.pass_, name="permit_pass"),
    path("permits/<str:reference>/return/", permit_views.return_, name="permit_return"),
    path("permits/<str:reference>/reject/", permit_views.reject, name="permit_reject"),
    path(
        "permits/<str:reference>/documents/<str:document_id>",
        permit_views.document,
        name="permit_document",
    ),
    path("windows/", window_views.windows, name="windows"),
    path("windows/<str:code>/", window_views.window_edit, name="window_edit"),
    path("windows/<str:code>/calendar/", window_views.calendar_edit, name="window_calendar"),
    path("appointments/", window_views.appointments_today, name="appointments_today"),
    path(
        "appointments/<str:reference>/check-in/",
        window_views.appointment_check_in_view,
        name="appointment_check_in",
    ),
    path(
        "appointments/<str:reference>/no-show/",
        window_views.appointment_no_show_view,
        name="appointment_no_show",
    ),
    path("coverage/", window_views.coverage, name="coverage"),
    path("", include("onetrip.police.workbench.production_urls")),
    path("", include("onetrip.police.workbench.operations_urls")),
    path("", include("onetrip.police.workbench.station_urls")),
    path("", include("onetrip.police.workbench.security_urls")),
    path("", include("onetrip.police.workbench.registration_urls")),
    path("", include("onetrip.police.workbench.endorsement_urls")),
    path("ferry/", ferry_views.ferry_home, name="ferry"),
    path(
        "ferry/quarantine/<int:quarantine_id>/",
        ferry_views.quarantine_detail,
        name="ferry_quarantine",
    ),
    path(
        "ferry/quarantine/<int:quarantine_id>/release/",
        ferry_views.quarantine_release,
        name="ferry_quarantine_release",
    ),
    path(
        "ferry/quarantine/<int:quarantine_id>/discard/",
        ferry_views.quarantine_discard,
        name="ferry_quarantine_discard",
    ),
]

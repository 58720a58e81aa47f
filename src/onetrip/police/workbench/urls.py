from django.urls import path

from . import ferry_views, views

app_name = "workbench"

urlpatterns = [
    path("", views.home, name="home"),
    path("declarations/", views.queue, name="queue"),
    path("declarations/<str:reference>/", views.detail, name="detail"),
    path("declarations/<str:reference>/reveal/", views.reveal, name="reveal"),
    path("declarations/<str:reference>/verify/", views.verify, name="verify"),
    path("declarations/<str:reference>/return/", views.return_, name="return"),
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

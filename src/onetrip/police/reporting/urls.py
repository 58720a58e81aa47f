from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("", views.home, name="home"),
    path("stays/", views.stays, name="stays"),
    path("late/", views.late, name="late"),
    path("conflicts/", views.conflicts, name="conflicts"),
    path(
        "conflicts/<int:conflict_id>/resolve/",
        views.conflict_resolve_view,
        name="conflict_resolve",
    ),
    path("organisations/", views.organisations, name="organisations"),
    path(
        "organisations/<str:credit_code>/decide/",
        views.organisation_decide_view,
        name="organisation_decide",
    ),
]

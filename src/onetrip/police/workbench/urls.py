from django.urls import path

from . import views

app_name = "workbench"

urlpatterns = [
    path("", views.home, name="home"),
    path("declarations/", views.queue, name="queue"),
    path("declarations/<str:reference>/", views.detail, name="detail"),
    path("declarations/<str:reference>/reveal/", views.reveal, name="reveal"),
    path("declarations/<str:reference>/verify/", views.verify, name="verify"),
    path("declarations/<str:reference>/return/", views.return_, name="return"),
]

from django.urls import path

from . import views

app_name = "declarations"

urlpatterns = [
    path("declare/", views.declare, name="declare"),
    path("my/declarations/", views.mine, name="mine"),
    path("my/declarations/<str:reference>/", views.mine_detail, name="mine_detail"),
    path("my/declarations/<str:reference>/fix/", views.fix, name="fix"),
    path("my/declarations/<str:reference>/change/", views.change, name="change"),
    path("my/declarations/<str:reference>/cancel/", views.cancel, name="cancel"),
    path("progress/", views.progress, name="progress"),
]

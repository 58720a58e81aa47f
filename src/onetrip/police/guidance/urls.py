from django.urls import path

from . import views

app_name = "guidance"

urlpatterns = [
    path("", views.editor_list, name="list"),
    path("new/", views.editor_new, name="new"),
    path("answers/", views.staff_answers, name="answers"),
    path("<str:key>/", views.editor_detail, name="detail"),
    path("<str:key>/edit/", views.editor_edit, name="edit"),
    path("<str:key>/picture/", views.editor_picture, name="picture"),
    path("<str:key>/submit/", views.editor_submit, name="submit"),
    path("<str:key>/publish/", views.editor_publish, name="publish"),
    path("<str:key>/return/", views.editor_return, name="return"),
]

from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("<str:credit_code>/", views.dashboard, name="dashboard"),
    path("<str:credit_code>/template.xlsx", views.template_download, name="template"),
    path("<str:credit_code>/upload/", views.upload, name="upload"),
    path("<str:credit_code>/members/", views.members, name="members"),
    path("<str:credit_code>/tokens/", views.tokens, name="tokens"),
    path("<str:credit_code>/imports/<str:reference>/", views.import_page, name="import"),
    path(
        "<str:credit_code>/imports/<str:reference>/status.json",
        views.import_status,
        name="import_status",
    ),
    path(
        "<str:credit_code>/imports/<str:reference>/errors.xlsx",
        views.import_errors,
        name="import_errors",
    ),
]

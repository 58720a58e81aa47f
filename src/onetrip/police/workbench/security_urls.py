"""Workbench pages of staff security (MLPS-3, MLPS-10): one's own password and authenticator,
and the pages of the system, security and audit administrators."""

from django.urls import path

from . import security_views

urlpatterns = [
    path("security/password/", security_views.password_change, name="password_change"),
    path("security/authenticator/", security_views.authenticator, name="authenticator"),
    path("security/staff/", security_views.staff_accounts, name="staff_accounts"),
    path(
        "security/staff/<str:username>/",
        security_views.staff_account_change,
        name="staff_account_change",
    ),
    path("security/locks/", security_views.security_admin, name="security_admin"),
    path("security/locks/unlock/", security_views.security_unlock, name="security_unlock"),
    path(
        "security/locks/<str:username>/reset-authenticator/",
        security_views.security_reset_totp,
        name="security_reset_totp",
    ),
    path("security/audit/", security_views.audit_log, name="audit_log"),
]

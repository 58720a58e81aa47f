"""Staff log-in and log-out. Include at the root of ``onetrip.police.urls``::

    path("", include("onetrip.police.accounts.urls"))

for ``/login/``, the second factor's ``/login/code/`` and ``/login/enrol/``, and ``/logout/``
(URL names ``police_accounts:login``, ``:otp``, ``:enrol``, ``:logout``).
"""

from django.urls import path

from . import views

app_name = "police_accounts"

urlpatterns = [
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("login/code/", views.otp, name="otp"),
    path("login/enrol/", views.enrol, name="enrol"),
    path("logout/", views.StaffLogoutView.as_view(), name="logout"),
]

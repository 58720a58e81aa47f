"""Staff log-in and log-out. Include at the root of ``onetrip.police.urls``::

    path("", include("onetrip.police.accounts.urls"))

for ``/login/`` and ``/logout/`` (URL names ``police_accounts:login``, ``police_accounts:logout``).
"""

from django.urls import path

from . import views

app_name = "police_accounts"

urlpatterns = [
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("logout/", views.StaffLogoutView.as_view(), name="logout"),
]

from django.urls import path, re_path

from . import views

app_name = "guidance"

urlpatterns = [
    path("guide/", views.home, name="home"),
    path("guide/search/", views.search, name="search"),
    path("guide/text-size/", views.text_size, name="text_size"),
    path("guide/policies/", views.kind_list, {"kind": "policy"}, name="policies"),
    path("guide/guides/", views.kind_list, {"kind": "guide"}, name="guides"),
    path("guide/faq/", views.kind_list, {"kind": "faq"}, name="faq"),
    path("guide/proofs/", views.kind_list, {"kind": "proof"}, name="proofs"),
    path("guide/proofs/<str:proof_id>/", views.proof_detail, name="proof"),
    re_path(r"^guide/pictures/(?P<sha256>[0-9a-f]{64})$", views.picture, name="picture"),
    path("guide/<str:key>/", views.entry_detail, name="entry"),
]

from django.urls import path

from . import application_views, card_views, views

app_name = "permits"

APPLICATION = "permit/applications/<str:reference>/"

urlpatterns = [
    path("permit/", application_views.home, name="home"),
    path("permit/card/", card_views.cards, name="cards"),
    path("permit/card/<int:card_id>/endorse/", card_views.card_endorse, name="card_endorse"),
    path("permit/eligibility/", views.eligibility, name="eligibility"),
    path("permit/materials/", views.materials, name="materials"),
    path("permit/apply/", application_views.start, name="start"),
    path(APPLICATION, application_views.application, name="application"),
    path(f"{APPLICATION}edit/", application_views.edit, name="edit"),
    path(f"{APPLICATION}documents/", application_views.documents, name="documents"),
    path(
        f"{APPLICATION}documents/<str:document_id>/",
        application_views.document_file,
        name="document_file",
    ),
    path(f"{APPLICATION}summary/", application_views.summary, name="summary"),
    path(f"{APPLICATION}submitted/", application_views.submitted, name="submitted"),
    path(f"{APPLICATION}fix/", application_views.fix, name="fix"),
    path(f"{APPLICATION}delivery/", application_views.delivery, name="delivery"),
    path(
        f"{APPLICATION}materials/",
        application_views.application_materials,
        name="application_materials",
    ),
    path(
        f"{APPLICATION}materials.pdf",
        application_views.application_materials_pdf,
        name="application_materials_pdf",
    ),
]

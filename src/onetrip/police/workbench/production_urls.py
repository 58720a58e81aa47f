"""The station's card production: batches, their file, and the bureau's return."""

from django.urls import path

from . import production_views as v

urlpatterns = [
    path("production/", v.home, name="production"),
    path("production/assemble/", v.assemble, name="production_assemble"),
    path("production/import/", v.import_return, name="production_import"),
    path("production/batches/<str:number>/", v.batch, name="production_batch"),
    path("production/batches/<str:number>/export/", v.export, name="production_export"),
    path("production/batches/<str:number>/download/", v.download, name="production_download"),
]

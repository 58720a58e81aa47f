"""The station's one stop after pre-review: queues, the case page and its steps, the receipt,
walk-in entry."""

from django.urls import path

from . import station_views as v

urlpatterns = [
    path("station/", v.queue, name="station_queue"),
    path("station/walk-in/", v.walk_in, name="station_walk_in"),
    path("station/<str:reference>/", v.case, name="station_case"),
    path("station/<str:reference>/take/", v.take, name="station_take"),
    path("station/<str:reference>/reassign/", v.reassign, name="station_reassign"),
    path("station/<str:reference>/accept/", v.accept, name="station_accept"),
    path("station/<str:reference>/notice/", v.window_return, name="station_notice"),
    path("station/<str:reference>/refuse/", v.refuse, name="station_refuse"),
    path("station/<str:reference>/review/", v.review, name="station_review"),
    path("station/<str:reference>/approve/", v.approve, name="station_approve"),
    path("station/<str:reference>/production/", v.production, name="station_production"),
    path("station/<str:reference>/arrived/", v.arrived, name="station_arrived"),
    path("station/<str:reference>/hand-over/", v.hand_over, name="station_hand_over"),
    path("station/<str:reference>/receipt.pdf", v.receipt, name="station_receipt"),
]

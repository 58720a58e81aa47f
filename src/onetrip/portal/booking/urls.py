from django.urls import path

from . import views

app_name = "booking"

BOOKING = "booking/b/<str:reference>/"

urlpatterns = [
    path("booking/", views.home, name="home"),
    path("booking/windows/<str:code>/", views.window, name="window"),
    path("booking/windows/<str:code>/hold/", views.hold, name="hold"),
    path("booking/windows/<str:code>/waitlist/", views.join_waitlist, name="waitlist_join"),
    path("booking/waitlist/<int:entry_id>/leave/", views.leave_waitlist, name="waitlist_leave"),
    path(BOOKING, views.booking, name="booking"),
    path(f"{BOOKING}confirm/", views.confirm, name="confirm"),
    path(f"{BOOKING}cancel/", views.cancel, name="cancel"),
    path(f"{BOOKING}reschedule/", views.reschedule, name="reschedule"),
    path(f"{BOOKING}calendar.ics", views.calendar_file, name="ics"),
]

"""Where the cards are: a station's board and the city's delivery figures."""

from django.urls import path

from . import operations_views as v

urlpatterns = [
    path("operations/cards/", v.cards, name="operations_cards"),
    path("operations/delivery/", v.city, name="operations_city"),
]

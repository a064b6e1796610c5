"""The roster and the profile of each booking."""

from django.urls import path

from cellblock.booking import views

app_name = "booking"

urlpatterns = [
    path("", views.roster, name="roster"),
    path("<str:booking_number>/", views.profile, name="profile"),
]

"""Booking photos and their thumbnails."""

from django.urls import path

from cellblock.people import views

app_name = "people"

urlpatterns = [
    path("photos/<uuid:photo_id>/", views.photo, name="photo"),
    path("photos/<uuid:photo_id>/thumbnail/", views.thumbnail, name="thumbnail"),
]

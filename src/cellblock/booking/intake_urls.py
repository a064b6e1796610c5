"""The booking intake wizard's pages (booking/intake_views.py)."""

from django.urls import path

from cellblock.booking import intake_views as views

app_name = "intake"

urlpatterns = [
    path("new/", views.new, name="new"),
    path("new/matches/", views.matches, name="matches"),
    path("<str:booking_number>/details/", views.details, name="details"),
    path("<str:booking_number>/charges/", views.charges, name="charges"),
    path("<str:booking_number>/charges/complete/", views.charges_complete, name="charges_complete"),
    path(
        "<str:booking_number>/charges/<uuid:charge_id>/remove/",
        views.charge_remove_view,
        name="charge_remove",
    ),
    path("<str:booking_number>/photo/", views.photo, name="photo"),
    path("<str:booking_number>/property/", views.property_page, name="property"),
    path("<str:booking_number>/property/sign/", views.property_sign, name="property_sign"),
    path(
        "<str:booking_number>/property/<uuid:item_id>/",
        views.property_update,
        name="property_update",
    ),
    path(
        "<str:booking_number>/property/<uuid:item_id>/return/",
        views.property_return,
        name="property_return",
    ),
    path("<str:booking_number>/identity/", views.identity, name="identity"),
]

"""Incident pages (incidents/views.py): the list, the report form, one incident's follow-up."""

from django.urls import path

from cellblock.incidents import views

app_name = "incidents"

_ONE = "<uuid:incident_id>/"

urlpatterns = [
    path("", views.incident_list_page, name="list"),
    path("new/", views.incident_new, name="new"),
    path("new/features/", views.features, name="features"),
    path(_ONE, views.incident_detail, name="detail"),
    path(f"{_ONE}notes/", views.incident_note, name="note"),
    path(f"{_ONE}transition/", views.incident_move, name="transition"),
    path(f"{_ONE}review/", views.incident_reviewed, name="review"),
]

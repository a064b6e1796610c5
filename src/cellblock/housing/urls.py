"""Bed board pages (housing/views.py): the facility board, then a unit's board and its forms."""

from django.urls import path

from cellblock.housing import views

app_name = "housing"

_UNIT = "units/<uuid:unit_id>/"

urlpatterns = [
    path("", views.facility_board, name="board"),
    path(_UNIT, views.unit_board, name="unit"),
    path(f"{_UNIT}move/", views.move_panel_fragment, name="move_panel"),
    path(f"{_UNIT}verdict/", views.verdict, name="verdict"),
    path(f"{_UNIT}people/", views.people, name="people"),
    path("place/<str:booking_number>/", views.place, name="place"),
    path("move/", views.move, name="move"),
    path("requests/<uuid:request_id>/decide/", views.request_decide, name="request_decide"),
    path("cells/<uuid:cell_id>/service/", views.cell_service, name="cell_service"),
    path("cells/<uuid:cell_id>/feature/", views.cell_feature, name="cell_feature"),
]

"""Classification pages (classification/views.py): the queue, then the pages of a booking."""

from django.urls import path

from cellblock.classification import group_views, views

app_name = "classification"

_BOOKING = "bookings/<str:booking_number>/"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("overrides/<uuid:assessment_id>/decide/", views.override_decide, name="override_decide"),
    path(f"{_BOOKING}assess/", views.assess, name="assess"),
    path(f"{_BOOKING}assess/score/", views.assess_score, name="assess_score"),
    path(f"{_BOOKING}prea/", views.prea, name="prea"),
    path(f"{_BOOKING}prea/<uuid:screening_id>/", views.prea_result, name="prea_result"),
    path(f"{_BOOKING}flags/", views.flags, name="flags"),
    path(f"{_BOOKING}flags/<uuid:flag_id>/lift/", views.flag_lift_view, name="flag_lift"),
    path(f"{_BOOKING}orders/", views.orders, name="orders"),
    path(f"{_BOOKING}orders/other/", views.other_search, name="other_search"),
    path(f"{_BOOKING}orders/protected/", views.protected_search, name="protected_search"),
    path(f"{_BOOKING}orders/separations/", views.separation_create, name="separation_create"),
    path(
        f"{_BOOKING}orders/separations/<uuid:order_id>/end/",
        views.separation_end,
        name="separation_end",
    ),
    path(f"{_BOOKING}orders/protective/", views.protective_create, name="protective_create"),
    path(
        f"{_BOOKING}orders/protective/<uuid:order_id>/end/",
        views.protective_end,
        name="protective_end",
    ),
    path(f"{_BOOKING}orders/staff/", views.conflict_create, name="conflict_create"),
    path(f"{_BOOKING}orders/staff/<uuid:order_id>/end/", views.conflict_end, name="conflict_end"),
]

# Security groups (group_views.py): the agency's gangs and factions, and their members.
urlpatterns += [
    path("groups/", group_views.groups, name="groups"),
    path("groups/create/", group_views.group_create, name="group_create"),
    path("groups/<uuid:group_id>/", group_views.group, name="group"),
    path("groups/<uuid:group_id>/members/", group_views.member_add, name="group_member_add"),
    path(
        "groups/<uuid:group_id>/members/search/",
        group_views.member_search,
        name="group_member_search",
    ),
    path(
        "groups/<uuid:group_id>/members/<uuid:membership_id>/end/",
        group_views.member_end,
        name="group_member_end",
    ),
]

"""Request pages (requests/views.py): the inbox, filing, one request's thread, the kiosk."""

from django.urls import path

from cellblock.requests import views

app_name = "requests"

_ONE = "<uuid:request_id>/"

urlpatterns = [
    path("", views.inbox_page, name="inbox"),
    path("new/", views.request_new, name="new"),
    path("new/people/", views.people, name="people"),
    path("kiosk/", views.kiosk, name="kiosk"),
    path(_ONE, views.request_detail, name="detail"),
    path(f"{_ONE}take-up/", views.take_up, name="take_up"),
    path(f"{_ONE}notes/", views.note, name="note"),
    path(f"{_ONE}respond/", views.respond, name="respond"),
    path(f"{_ONE}route/", views.route, name="route"),
    path(f"{_ONE}close/", views.close, name="close"),
    path(f"{_ONE}withdraw/", views.withdraw, name="withdraw"),
    path(f"{_ONE}appeal/", views.appeal, name="appeal"),
]

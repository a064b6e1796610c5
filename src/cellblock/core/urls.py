from django.urls import path

from cellblock.core import views

app_name = "core"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("switch-facility/", views.switch_facility, name="switch_facility"),
    path("health/", views.health, name="health"),
]

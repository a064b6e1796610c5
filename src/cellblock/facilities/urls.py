from django.urls import path

from cellblock.facilities import views

app_name = "facilities"

urlpatterns = [
    path("", views.tree, name="tree"),
]

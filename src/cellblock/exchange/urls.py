from django.urls import path

from cellblock.exchange import views

app_name = "exchange"

urlpatterns = [
    path("", views.imports, name="imports"),
    path("example.csv", views.example, name="example"),
    path("<uuid:public_id>/", views.run, name="run"),
]

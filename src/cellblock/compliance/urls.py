from django.urls import path

from cellblock.compliance import views

app_name = "compliance"

urlpatterns = [
    path("", views.board, name="board"),
    path("report", views.report_page, name="report"),
    path("sweep", views.sweep, name="sweep"),
]

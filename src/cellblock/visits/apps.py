from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "cellblock.visits"
    label = "visits"
    verbose_name = "Visits"

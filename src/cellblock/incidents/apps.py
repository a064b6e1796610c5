from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "cellblock.incidents"
    label = "incidents"
    verbose_name = "Incidents"

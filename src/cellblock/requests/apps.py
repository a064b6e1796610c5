from django.apps import AppConfig


class RequestsConfig(AppConfig):
    name = "cellblock.requests"
    label = "requests"
    verbose_name = "Inmate requests and grievances"

from django.apps import AppConfig


class CustodyConfig(AppConfig):
    name = "cellblock.custody"
    label = "custody"
    verbose_name = "Custody operations"

from django.apps import AppConfig


class HousingConfig(AppConfig):
    name = "cellblock.housing"
    label = "housing"
    verbose_name = "Housing"

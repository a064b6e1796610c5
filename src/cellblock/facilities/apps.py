from django.apps import AppConfig


class FacilitiesConfig(AppConfig):
    name = "cellblock.facilities"
    label = "facilities"
    verbose_name = "Facilities"

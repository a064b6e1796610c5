from django.apps import AppConfig


class CourtConfig(AppConfig):
    name = "cellblock.court"
    label = "court"
    verbose_name = "Court and sentences"

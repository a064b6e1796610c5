from django.apps import AppConfig


class ReleaseConfig(AppConfig):
    name = "cellblock.release"
    label = "release"
    verbose_name = "Releases, transfers and temporary absences"

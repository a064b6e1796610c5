from django.apps import AppConfig


class ClassificationConfig(AppConfig):
    name = "cellblock.classification"
    label = "classification"
    verbose_name = "Classification"

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "cellblock.demo"
    label = "demo"
    verbose_name = "Konoha Prison demo"

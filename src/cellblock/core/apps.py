from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cellblock.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from cellblock.core import checks  # noqa: F401  (registers system checks)

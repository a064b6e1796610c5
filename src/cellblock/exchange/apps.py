from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "cellblock.exchange"
    label = "exchange"
    verbose_name = "Import and export"

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cellblock.accounts"
    label = "accounts"
    verbose_name = "Staff accounts"

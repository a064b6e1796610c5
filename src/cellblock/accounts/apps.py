from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cellblock.accounts"
    label = "accounts"
    verbose_name = "Staff accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from cellblock.accounts import receivers

        user_logged_in.connect(receivers.on_user_logged_in, dispatch_uid="cellblock_login")
        user_logged_out.connect(receivers.on_user_logged_out, dispatch_uid="cellblock_logout")

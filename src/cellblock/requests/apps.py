from django.apps import AppConfig


class RequestsConfig(AppConfig):
    name = "cellblock.requests"
    label = "requests"
    verbose_name = "Inmate requests and grievances"

    def ready(self) -> None:
        from cellblock.booking.profile import ProfileSection, register
        from cellblock.core.roles import Perm
        from cellblock.requests.views import requests_profile_context

        # The person's requests not yet closed, with due dates, after the alerts.
        register(
            ProfileSection(
                key="requests", title="Requests", template="requests/profile_section.html",
                perm=Perm.REQUEST_VIEW, context=requests_profile_context,
            ),
            after="alerts",
        )  # fmt: skip

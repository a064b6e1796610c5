from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "cellblock.visits"
    label = "visits"
    verbose_name = "Visits"

    def ready(self) -> None:
        from cellblock.booking.profile import ProfileSection, register
        from cellblock.core.roles import Perm
        from cellblock.visits.views.profile import visits_profile_context

        # The visiting list, visits to come and the last ones, after the meals.
        register(
            ProfileSection(
                key="visits", title="Visits", template="visits/profile_section.html",
                perm=Perm.VISIT_VIEW, context=visits_profile_context,
            ),
            after="meals",
        )  # fmt: skip

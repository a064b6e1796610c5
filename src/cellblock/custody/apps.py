from django.apps import AppConfig


class CustodyConfig(AppConfig):
    name = "cellblock.custody"
    label = "custody"
    verbose_name = "Custody operations"

    def ready(self) -> None:
        from cellblock.booking.profile import ProfileSection, register
        from cellblock.core.roles import Perm
        from cellblock.custody.views.meals import meals_profile_context

        # Recent meals, diet notes and meals gone without, after the custody panel.
        register(
            ProfileSection(
                key="meals", title="Meals", template="custody/meals/profile_section.html",
                perm=Perm.BOOKING_VIEW, context=meals_profile_context,
            ),
            after="custody",
        )  # fmt: skip

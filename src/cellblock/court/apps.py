from django.apps import AppConfig


class CourtConfig(AppConfig):
    name = "cellblock.court"
    label = "court"
    verbose_name = "Court and sentences"

    def ready(self) -> None:
        from cellblock.booking.profile import ProfileSection, register
        from cellblock.core.roles import Perm
        from cellblock.court.views.profile import court_profile_context

        # What the person is held for and until when: right after the booking's charges.
        register(
            ProfileSection(
                key="court", title="Court and sentence", template="court/profile_section.html",
                perm=Perm.COURT_VIEW, context=court_profile_context,
            ),
            after="charges",
        )  # fmt: skip

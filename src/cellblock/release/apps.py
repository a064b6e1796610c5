from django.apps import AppConfig


class ReleaseConfig(AppConfig):
    name = "cellblock.release"
    label = "release"
    verbose_name = "Releases, transfers and temporary absences"

    def ready(self) -> None:
        from cellblock.booking.profile import ProfileSection, register
        from cellblock.core.roles import Perm
        from cellblock.release.views.profile import release_profile_context

        # Where the person stands on the way out: right after the day-to-day custody record.
        register(
            ProfileSection(
                key="release", title="Release", template="release/profile_section.html",
                perm=Perm.COURT_VIEW, context=release_profile_context,
            ),
            after="custody",
        )  # fmt: skip

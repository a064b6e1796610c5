from django.apps import AppConfig


class ClassificationConfig(AppConfig):
    name = "cellblock.classification"
    label = "classification"
    verbose_name = "Classification"
    # The intake checklist steps this app completes (booking/checklist.py).
    intake_steps = ("classification", "prea_screening")

    def ready(self) -> None:
        from cellblock.booking import hooks
        from cellblock.booking.profile import ProfileSection, register
        from cellblock.classification import services
        from cellblock.classification.profile import classification_context
        from cellblock.core.roles import Perm

        # A person under 18 is flagged as booked; co-defendants are kept apart.
        hooks.on_booking_opened(services.on_booking_opened)
        hooks.on_charge_added(services.on_charge_added)
        hooks.on_date_of_birth_corrected(services.on_date_of_birth_corrected)
        # The profile shows the level, its override, PREA flags and orders after the flags.
        register(
            ProfileSection(
                key="classification", title="Classification",
                template="classification/profile_section.html", perm=Perm.BOOKING_VIEW,
                context=classification_context,
            ),
            after="flags",
        )  # fmt: skip

from django.apps import AppConfig


class MedicalConfig(AppConfig):
    name = "cellblock.medical"
    label = "medical"
    verbose_name = "Medical"
    # The receiving screening is recorded here; it comes before a bed.
    intake_steps = ("medical_screening",)

    def ready(self) -> None:
        from cellblock.booking.profile import ProfileSection, register
        from cellblock.core.roles import Perm
        from cellblock.medical.views.profile import medical_profile_context

        # Custody staff see the care alerts, never clinical text: right after the flags.
        register(
            ProfileSection(
                key="medical", title="Medical: care alerts",
                template="medical/profile_section.html", perm=Perm.MEDICAL_VIEW,
                context=medical_profile_context,
            ),
            after="flags",
        )  # fmt: skip

from django.apps import AppConfig


class HousingConfig(AppConfig):
    name = "cellblock.housing"
    label = "housing"
    verbose_name = "Housing"
    # The intake checklist steps this app completes (booking/checklist.py).
    intake_steps = ("housing",)

    def ready(self) -> None:
        from cellblock.booking import hooks as booking_hooks
        from cellblock.facilities import hooks
        from cellblock.housing.services import bed_vacate_on_release, cell_occupants_recheck

        # Bars marked compromised or a cell out of service: its occupants get housing alerts.
        hooks.on_cell_changed(cell_occupants_recheck)
        # A released person's bed is free at once.
        booking_hooks.on_booking_released(bed_vacate_on_release)

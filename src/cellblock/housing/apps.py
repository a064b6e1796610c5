from django.apps import AppConfig


class HousingConfig(AppConfig):
    name = "cellblock.housing"
    label = "housing"
    verbose_name = "Housing"
    # The intake checklist steps this app completes (booking/checklist.py).
    intake_steps = ("housing",)

    def ready(self) -> None:
        from cellblock.facilities import hooks
        from cellblock.housing.services import cell_occupants_recheck

        # Bars marked compromised or a cell out of service: its occupants get housing alerts.
        hooks.on_cell_changed(cell_occupants_recheck)

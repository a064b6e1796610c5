from django.apps import AppConfig


class HousingConfig(AppConfig):
    name = "cellblock.housing"
    label = "housing"
    verbose_name = "Housing"
    # The intake checklist steps this app completes (booking/checklist.py).
    intake_steps = ("housing",)

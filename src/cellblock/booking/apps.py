from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "cellblock.booking"
    label = "booking"
    verbose_name = "Booking"
    # The intake checklist steps this app completes (booking/checklist.py).
    intake_steps = ("identity", "charges", "property")

from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "cellblock.booking"
    label = "booking"
    verbose_name = "Booking"

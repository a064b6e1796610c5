"""Reads of bookings, limited to the user's facilities."""

from __future__ import annotations

from django.db.models import QuerySet

from cellblock.accounts.models import User
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.core.errors import NotFound
from cellblock.core.roles import Perm


def bookings_for_user(user: User, *, open_only: bool = False) -> QuerySet[Booking]:
    bookings = Booking.objects.filter(
        facility_id__in=user.facilities_with(Perm.BOOKING_VIEW)
    ).select_related("person", "facility")
    if open_only:
        bookings = bookings.filter(status__in=OPEN_STATUSES)
    return bookings


def booking_get_for_user(user: User, booking_number: str) -> Booking:
    booking = bookings_for_user(user).filter(booking_number=booking_number).first()
    if booking is None:
        raise NotFound(f"No booking {booking_number}.")
    return booking

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cellblock.booking.models import Booking


def medical_profile_context(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    return {}

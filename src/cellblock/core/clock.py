"""The one source of "now", so tests can travel in time (time-machine)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone


def now() -> dt.datetime:
    """Aware UTC now."""
    return timezone.now()


def local(moment: dt.datetime, zone_name: str) -> dt.datetime:
    """``moment`` as seen on the wall clock of a facility's zone."""
    return moment.astimezone(ZoneInfo(zone_name))

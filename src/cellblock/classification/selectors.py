"""Reads of flags."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from cellblock.classification.models import Flag


def active_flags_q(now: dt.datetime, prefix: str = "") -> Q:
    """Flags in force at ``now``: not lifted, and not past their ``until``."""
    return Q(**{f"{prefix}lifted_at__isnull": True}) & (
        Q(**{f"{prefix}until__isnull": True}) | Q(**{f"{prefix}until__gt": now})
    )


def active_flags(now: dt.datetime) -> QuerySet[Flag]:
    return Flag.objects.filter(active_flags_q(now))

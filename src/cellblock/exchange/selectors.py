"""Reads of import runs, limited to the facilities where the user may import."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from cellblock.accounts.models import User
from cellblock.core.errors import NotFound
from cellblock.core.ids import parse_public_id
from cellblock.core.roles import Perm
from cellblock.exchange.models import ImportRun
from cellblock.facilities.models import Bed, Facility
from cellblock.housing.models import BedAssignment

RECENT_RUNS = 20


def import_runs_for_user(user: User) -> QuerySet[ImportRun]:
    return ImportRun.objects.filter(
        facility_id__in=user.facilities_with(Perm.RECORDS_IMPORT)
    ).select_related("facility", "started_by")


def recent_import_runs(user: User, facility: Facility, limit: int = RECENT_RUNS) -> list[ImportRun]:
    """The last runs at ``facility``, newest first, without their (long) reports: one query."""
    return list(
        import_runs_for_user(user)
        .filter(facility=facility)
        .defer("report")
        .order_by("-started_at", "-id")[:limit]
    )


def import_run_get_for_user(user: User, public_id: str | uuid.UUID) -> ImportRun:
    key = parse_public_id(public_id, what="import")
    run = import_runs_for_user(user).filter(public_id=key).first()
    if run is None:
        raise NotFound(f"No import with id {key}.")
    return run


def free_beds(facility: Facility, limit: int = 1) -> list[Bed]:
    """Beds in service at ``facility`` that no one sleeps in, in code order."""
    return list(
        Bed.objects.filter(
            cell__unit__zone__facility=facility, out_of_service=False, cell__out_of_service=False
        )
        .exclude(pk__in=BedAssignment.objects.filter(ended_at__isnull=True).values("bed_id"))
        .select_related("cell")
        .order_by("cell__code", "code")[:limit]
    )

"""The visits API: one router, assembled from one module per area."""

from __future__ import annotations

from ninja import Router

from cellblock.visits.api import day, registry, scheduling

router = Router()
for area in (registry, scheduling, day):
    router.add_router("", area.router)

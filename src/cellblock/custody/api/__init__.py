"""The custody API: one router, assembled from one module per area."""

from __future__ import annotations

from ninja import Router

from cellblock.custody.api import access, counts, days, meals, movements, posts, restraints, rounds

router = Router()
for area in (counts, movements, rounds, restraints, access, posts, meals, days):
    router.add_router("", area.router)

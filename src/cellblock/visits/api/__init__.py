"""The visits API: one router, assembled from one module per area.

The scheduling router is the parent so that the visit list answers at
``/api/visits`` itself; nesting it under an empty path would add a slash.
"""

from __future__ import annotations

from cellblock.visits.api import day, registry, scheduling

router = scheduling.router
for area in (registry, day):
    router.add_router("", area.router)

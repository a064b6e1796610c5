"""The medical API: one router, assembled from one module per area.

Custody-facing operations (care alerts, appointments, the sick-call queue's
status) answer without clinical text; clinical operations need
``clinical.read`` or an open break-glass, and every read is audited.
"""

from __future__ import annotations

from cellblock.medical.api import access, care, encounters, records, screening

router = records.router
for area in (screening, encounters, care, access):
    router.add_router("", area.router)

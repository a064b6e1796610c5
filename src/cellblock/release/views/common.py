"""What the release pages share: tones, and the helpers of the court pages (user, forms)."""

from __future__ import annotations

from cellblock.court.views.common import FormProblems as FormProblems
from cellblock.court.views.common import can as can
from cellblock.court.views.common import facility_for as facility_for
from cellblock.court.views.common import field_errors as field_errors
from cellblock.court.views.common import form_state as form_state
from cellblock.court.views.common import fragment as fragment
from cellblock.court.views.common import is_htmx as is_htmx
from cellblock.court.views.common import me as me
from cellblock.court.views.common import posted as posted
from cellblock.court.views.common import problem_text as problem_text
from cellblock.court.views.common import require_perm_at as require_perm_at
from cellblock.court.views.common import safe_next as safe_next
from cellblock.release.models import ReleaseStatus

# The tone of each status on the page (a colour, always with the status in words).
RELEASE_TONE: dict[str, str] = {
    ReleaseStatus.PREPARING: "warn",
    ReleaseStatus.COMPLETED: "ok",
    ReleaseStatus.AWAY: "info",
    ReleaseStatus.RETURNED: "muted",
    ReleaseStatus.CANCELLED: "muted",
}

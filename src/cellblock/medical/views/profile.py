"""The "Medical" section of a person's profile: what custody staff need, never clinical text.

The care alerts in force (the instruction, who set it and since when), whether
the receiving screening cleared the person, was referred or is still to come,
the next appointment (when, where, with whom) and when the health assessment
is due.  Medical staff also get the link to the record; reading it there is
audited, this section is not, since it holds nothing clinical.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cellblock.booking.models import Booking
from cellblock.core import clock
from cellblock.core.access import user_has_perm
from cellblock.core.roles import Perm
from cellblock.medical.models import CareAlert, ReceivingScreening, ScreeningOutcome
from cellblock.medical.selectors.care import CARE_ALERT_TONE, in_force_q
from cellblock.medical.selectors.clinic import health_assessment_due, next_encounters
from cellblock.medical.views.common import ENCOUNTER_TONE


def medical_profile_context(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    """Care alerts, screening state, next appointment and assessment due: four queries."""
    now = clock.now()
    facility_id = booking.facility_id
    alerts = list(
        CareAlert.objects.filter(in_force_q(now), booking=booking)
        .select_related("set_by")
        .order_by("set_at", "id")
    )
    # The outcome and the time only: the answers are clinical.
    screening = (
        ReceivingScreening.objects.filter(booking=booking)
        .order_by("-screened_at", "-id")
        .only("outcome", "screened_at")
        .first()
    )
    upcoming = next_encounters([booking.pk], now).get(booking.pk)
    due = health_assessment_due(booking) if booking.is_open else None
    perms = request.user.perms_at(facility_id)  # type: ignore[union-attr]
    return {
        "alerts": [(alert, CARE_ALERT_TONE.get(alert.kind, "info")) for alert in alerts],
        "screening": screening,
        "next": upcoming,
        "next_tone": ENCOUNTER_TONE.get(upcoming.status, "muted") if upcoming else "",
        "assessment_due": due,
        "assessment_overdue": due is not None and due <= now,
        "clinical": Perm.CLINICAL_READ in perms,
        "can_screen": Perm.CLINICAL_RECORD in perms
        and booking.is_open
        and (screening is None or screening.outcome != ScreeningOutcome.CLEARED),
        "can_schedule": Perm.CLINICAL_RECORD in perms and booking.is_open,
        "can_file": Perm.REQUEST_FILE in perms and booking.is_open,
        "can_break_glass": user_has_perm(request.user, Perm.BREAK_GLASS, facility_id)
        and Perm.CLINICAL_READ not in perms,
    }

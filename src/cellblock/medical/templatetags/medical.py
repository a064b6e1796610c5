"""Template tags of the medical pages, and of the custody pages that show care alerts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import template
from django.urls import reverse

from cellblock.booking.models import Booking, IntakeStepCode
from cellblock.classification.models import ObservationLevel
from cellblock.core.access import user_has_perm
from cellblock.core.roles import Perm
from cellblock.medical.models import CareAlert
from cellblock.medical.selectors.care import CARE_ALERT_TONE

register = template.Library()


@register.filter
def level_label(value: str) -> str:
    """A suicide watch's observation level in words ("Constant observation")."""
    try:
        return str(ObservationLevel(value).label)
    except ValueError:
        return value.replace("_", " ").capitalize()


def care_tone(kind: str) -> str:
    return CARE_ALERT_TONE.get(kind, "info")


@register.inclusion_tag("medical/_care_badges.html")
def care_badges(alerts: Sequence[CareAlert] | None, compact: bool = False) -> dict[str, Any]:
    """A person's care alerts as small badges: the kind, with the instruction beside it.

    The instruction is in the badge's tooltip and, unless ``compact``, in plain text
    too (a tooltip alone is lost on a tablet).
    """
    return {
        "badges": [(alert, care_tone(alert.kind)) for alert in alerts or ()],
        "compact": compact,
    }


@register.inclusion_tag("medical/_care_badges.html")
def care_badges_of(
    alerts_by_booking: dict[int, list[CareAlert]] | None, booking_id: int, compact: bool = False
) -> dict[str, Any]:
    """The badges of one person from a page's ``{booking id: [alerts]}`` (one query a page)."""
    return care_badges((alerts_by_booking or {}).get(booking_id), compact)


@register.simple_tag(takes_context=True)
def screening_link(context: template.Context, booking: Booking, step: str) -> str:
    """The screening form's address on the intake checklist's step, for those who screen.

    "" for any other step, a closed booking, or someone who does not record clinical care
    at the booking's facility (they could not use the form).
    """
    if not isinstance(booking, Booking) or step != IntakeStepCode.MEDICAL_SCREENING:
        return ""
    if not booking.is_open:
        return ""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not user_has_perm(user, Perm.CLINICAL_RECORD, booking.facility_id):
        return ""
    return reverse("medical:screening", args=[booking.booking_number])

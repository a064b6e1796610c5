"""A jurisdiction, its first credit rule and a court, for tests and the demo's small sites."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cellblock.core import clock
from cellblock.court.models import Court as CourtModel
from cellblock.court.models import CreditRule, Jurisdiction
from cellblock.facilities.models import Facility


@dataclass
class CourtSetup:
    jurisdiction: Jurisdiction
    rule: CreditRule
    court: CourtModel


def court_setup(
    facility: Facility,
    *,
    good_time: tuple[int, int] = (0, 1),
    earned_cap: int = 0,
    minimum_served_percent: int = 0,
    applies_from: dt.date = dt.date(2000, 1, 1),
) -> CourtSetup:
    """Jurisdiction "STATE" for the facility's agency, rule v1 from ``applies_from``, a court."""
    jurisdiction, _ = Jurisdiction.objects.get_or_create(
        agency=facility.agency, code="STATE", defaults={"name": "State"}
    )
    rule, _ = CreditRule.objects.get_or_create(
        jurisdiction=jurisdiction, version=1,
        defaults={
            "applies_from": applies_from, "good_time_numerator": good_time[0],
            "good_time_denominator": good_time[1], "earned_days_per_month_cap": earned_cap,
            "minimum_served_percent": minimum_served_percent, "source": "State code 1.1",
            "created_at": clock.now(),
        },
    )  # fmt: skip
    court, _ = CourtModel.objects.get_or_create(
        agency=facility.agency, code="DIST",
        defaults={"name": "District Court", "jurisdiction": jurisdiction, "location": "Courthouse"},
    )  # fmt: skip
    return CourtSetup(jurisdiction=jurisdiction, rule=rule, court=court)

"""Court configuration: jurisdictions, courts, and the versions of their credit rules.

Jurisdictions and courts belong to an agency (every facility of the agency
sends people to the same courts); the administrator or the commander of any
of its facilities sets them up.  Credit rules are never edited: a change is a
new version with the day it applies from, and adding one recomputes, in the
same transaction, the release date of every open booking it can touch.  The
dates that moved come back with the new version, to be reviewed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Max

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import ChargeSeverity
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.court.models import Court, CreditRule, Jurisdiction, ReleaseDateChange
from cellblock.court.services.release_dates import recompute_for_rule, rule_as_data
from cellblock.facilities.models import Facility

CONFIG_DENIED = (
    "Jurisdictions, courts and credit rules at {facility} are set up by the administrator "
    "or the commander."
)
CODE_NEEDED = "give a short code (letters, digits, dashes)."
CODE_MAX = 20
CODE_TOO_LONG = f"must be at most {CODE_MAX} characters."
NAME_NEEDED = "give the name."
NAME_MAX = 200
NAME_TOO_LONG = f"must be at most {NAME_MAX} characters."
JURISDICTION_EXISTS = "{agency} already has a jurisdiction with the code {code}."
COURT_EXISTS = "{agency} already has a court with the code {code}."
OTHER_AGENCY = "belongs to another agency."
GOOD_TIME_RANGE = (
    "is a fraction of the term below one: numerator from 0, denominator from 1 "
    "(1/3 is a third off)."
)
UNKNOWN_SEVERITY = "{severity!r} is not a charge severity ({known})."
CAP_MAX = 30
CAP_RANGE = f"is days of earned credit per month of the term: 0 to {CAP_MAX}."
PERCENT_RANGE = "is a percentage from 0 to 100."
SOURCE_NEEDED = "name where the rule comes from (statute, order)."
SOURCE_MAX = 300
SOURCE_TOO_LONG = f"must be at most {SOURCE_MAX} characters."
# PositiveSmallIntegerField's bound for the good-time fraction.
SMALL_MAX = 32767


@dataclass
class RuleChange:
    """A new credit rule version and the release dates it moved."""

    rule: CreditRule
    changes: list[ReleaseDateChange] = field(default_factory=list)


def _require_manage(actor: User | None, facility: Facility) -> None:
    # actor None is the system (the demo loader, a migration of records).
    if actor is not None and Perm.CREDIT_RULES_MANAGE not in actor.perms_at(facility.pk):
        raise PermissionDenied(CONFIG_DENIED.format(facility=facility.name), code="missing_role")


def _text_errors(
    errors: dict[str, list[str]], name: str, value: str, *, needed: str, most: int, too_long: str
) -> str:
    value = value.strip()
    if not value:
        errors[name] = [needed]
    elif len(value) > most:
        errors[name] = [too_long]
    return value


def _code(value: str) -> str:
    return value.strip().upper()


def jurisdiction_create(
    *, actor: User | None, facility: Facility, code: str, name: str
) -> Jurisdiction:
    """A jurisdiction of the facility's agency (409 ``jurisdiction_exists`` for a code in use)."""
    _require_manage(actor, facility)
    errors: dict[str, list[str]] = {}
    code = _text_errors(errors, "code", _code(code), needed=CODE_NEEDED, most=CODE_MAX,
                        too_long=CODE_TOO_LONG)  # fmt: skip
    name = _text_errors(errors, "name", name, needed=NAME_NEEDED, most=NAME_MAX,
                        too_long=NAME_TOO_LONG)  # fmt: skip
    if errors:
        raise ValidationFailed.for_fields(errors)
    agency = facility.agency
    exists = Conflict(
        JURISDICTION_EXISTS.format(agency=agency.name, code=code), code="jurisdiction_exists"
    )
    if Jurisdiction.objects.filter(agency=agency, code=code).exists():
        raise exists
    try:
        with transaction.atomic():
            jurisdiction = Jurisdiction.objects.create(agency=agency, code=code, name=name)
            audit_record(
                actor=actor, action="jurisdiction.create", obj=jurisdiction, facility=facility,
                changes={"agency": agency.code, "code": code, "name": name},
            )  # fmt: skip
    except IntegrityError as error:
        # The constraint is the last line: the same code created at the same moment.
        raise exists from error
    return jurisdiction


def court_create(
    *,
    actor: User | None,
    facility: Facility,
    code: str,
    name: str,
    jurisdiction: Jurisdiction,
    location: str = "",
) -> Court:
    """A court of the facility's agency, under one of its jurisdictions."""
    _require_manage(actor, facility)
    errors: dict[str, list[str]] = {}
    code = _text_errors(errors, "code", _code(code), needed=CODE_NEEDED, most=CODE_MAX,
                        too_long=CODE_TOO_LONG)  # fmt: skip
    name = _text_errors(errors, "name", name, needed=NAME_NEEDED, most=NAME_MAX,
                        too_long=NAME_TOO_LONG)  # fmt: skip
    location = location.strip()
    if len(location) > NAME_MAX:
        errors["location"] = [NAME_TOO_LONG]
    if jurisdiction.agency_id != facility.agency_id:
        errors["jurisdiction"] = [OTHER_AGENCY]
    if errors:
        raise ValidationFailed.for_fields(errors)
    agency = facility.agency
    exists = Conflict(COURT_EXISTS.format(agency=agency.name, code=code), code="court_exists")
    if Court.objects.filter(agency=agency, code=code).exists():
        raise exists
    try:
        with transaction.atomic():
            court = Court.objects.create(
                agency=agency, code=code, name=name, jurisdiction=jurisdiction, location=location
            )
            audit_record(
                actor=actor, action="court.create", obj=court, facility=facility,
                changes={
                    "agency": agency.code, "code": code, "name": name,
                    "jurisdiction": jurisdiction.code, "location": location,
                },
            )  # fmt: skip
    except IntegrityError as error:
        raise exists from error
    return court


def _rule_errors(
    *,
    good_time: tuple[int, int],
    excluded_severities: Iterable[str],
    earned_days_per_month_cap: int,
    minimum_served_percent: int,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    numerator, denominator = good_time
    if not (0 <= numerator < denominator <= SMALL_MAX):
        errors["good_time"] = [GOOD_TIME_RANGE]
    known = ", ".join(ChargeSeverity.values)
    unknown = [
        UNKNOWN_SEVERITY.format(severity=severity, known=known)
        for severity in excluded_severities
        if severity not in ChargeSeverity.values
    ]
    if unknown:
        errors["excluded_severities"] = unknown
    if not 0 <= earned_days_per_month_cap <= CAP_MAX:
        errors["earned_days_per_month_cap"] = [CAP_RANGE]
    if not 0 <= minimum_served_percent <= 100:
        errors["minimum_served_percent"] = [PERCENT_RANGE]
    return errors


def credit_rule_add(
    *,
    actor: User | None,
    facility: Facility,
    jurisdiction: Jurisdiction,
    applies_from: dt.date,
    good_time: tuple[int, int] = (0, 1),
    excluded_severities: Iterable[str] = (),
    earned_days_per_month_cap: int = 0,
    minimum_served_percent: int = 0,
    source: str,
) -> RuleChange:
    """The jurisdiction's next version, and every release date it moved.

    The version number is the highest so far plus one.  The new version
    applies to sentences imposed on or after ``applies_from``, which may lie in
    the past: every open booking of the agency whose person serves a sentence
    in the jurisdiction is recomputed (cause ``rule``), and the dates that
    moved are answered as changes to review.
    """
    _require_manage(actor, facility)
    excluded = sorted(set(excluded_severities))
    errors = _rule_errors(
        good_time=good_time, excluded_severities=excluded,
        earned_days_per_month_cap=earned_days_per_month_cap,
        minimum_served_percent=minimum_served_percent,
    )  # fmt: skip
    source = _text_errors(errors, "source", source, needed=SOURCE_NEEDED, most=SOURCE_MAX,
                          too_long=SOURCE_TOO_LONG)  # fmt: skip
    if jurisdiction.agency_id != facility.agency_id:
        errors["jurisdiction"] = [OTHER_AGENCY]
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        # Versions of one jurisdiction are numbered one at a time.  NO KEY: sentences and
        # courts referring to the jurisdiction (a KEY SHARE lock each) need not wait.
        locked = (
            Jurisdiction.objects.select_for_update(no_key=True)
            .select_related("agency")
            .get(pk=jurisdiction.pk)
        )
        latest = CreditRule.objects.filter(jurisdiction=locked).aggregate(v=Max("version"))["v"]
        rule = CreditRule.objects.create(
            jurisdiction=locked, version=(latest or 0) + 1, applies_from=applies_from,
            good_time_numerator=good_time[0], good_time_denominator=good_time[1],
            good_time_excluded_severities=excluded,
            earned_days_per_month_cap=earned_days_per_month_cap,
            minimum_served_percent=minimum_served_percent, source=source,
            created_at=clock.now(), created_by=actor,
        )  # fmt: skip
        detail = f"{locked.code} v{rule.version} (applies from {applies_from:%Y-%m-%d})"
        changes = recompute_for_rule(actor=actor, rule=rule, cause_detail=detail)
        audit_record(
            actor=actor, action="credit_rule.add", obj=rule, facility=facility, reason=source,
            changes={
                "jurisdiction": locked.code, "version": rule.version,
                "applies_from": applies_from, "good_time": f"{good_time[0]}/{good_time[1]}",
                "excluded_severities": excluded,
                "earned_days_per_month_cap": earned_days_per_month_cap,
                "minimum_served_percent": minimum_served_percent,
                # Each moved date has its own event (release_date.compute).
                "dates_moved": len(changes),
            },
        )  # fmt: skip
    return RuleChange(rule=rule, changes=changes)


__all__ = [
    "RuleChange",
    "court_create",
    "credit_rule_add",
    "jurisdiction_create",
    "rule_as_data",
]

"""Court API: jurisdictions, courts and credit rule versions (the agency's configuration).

They belong to the agency, so a facility only says whose: the one named, or
the caller's own.  Court staff read them (to open a case in the right court,
to see which rule version a date was computed under); the administrator and
the commander add them.  Adding a credit rule version answers the release
dates it moved, to be reviewed.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Schema, Status
from pydantic import Field

from cellblock.accounts.models import User
from cellblock.booking.models import ChargeSeverity
from cellblock.core.access import acting_user, api_requires, api_signed_in
from cellblock.core.errors import NotFound, PermissionDenied, ValidationFailed
from cellblock.core.ids import parse_public_id
from cellblock.core.roles import Perm
from cellblock.court.api import router
from cellblock.court.api.release_dates import ReleaseDateChangeOut, change_out
from cellblock.court.models import Court, CreditRule, Jurisdiction
from cellblock.court.services import config as services
from cellblock.facilities.models import Facility

# Reading the configuration: court staff and everyone who sees court records, and the
# administrator, who sets it up but sees no records of people.
READ_PERMS = (Perm.COURT_VIEW, Perm.CREDIT_RULES_MANAGE)
WHICH_FACILITY = "say which facility: you work at more than one agency's facilities."
NOT_MANAGER = "Credit rules of {agency} are added by its administrator or commander."


# --- Schemas ----------------------------------------------------------------------------------


class CreditRuleOut(Schema):
    id: uuid.UUID
    jurisdiction: str
    version: int
    label: str
    applies_from: dt.date
    good_time_numerator: int
    good_time_denominator: int
    excluded_severities: list[str]
    earned_days_per_month_cap: int
    minimum_served_percent: int
    source: str
    created_at: dt.datetime
    created_by: str | None


class JurisdictionOut(Schema):
    id: uuid.UUID
    code: str
    name: str
    rules: list[CreditRuleOut] = Field(description="Every version, newest first")


class JurisdictionIn(Schema):
    facility: uuid.UUID | None = Field(default=None, description="Default: your only agency")
    code: str = Field(max_length=20)
    name: str = Field(max_length=200)


class CourtOut(Schema):
    id: uuid.UUID
    code: str
    name: str
    jurisdiction: uuid.UUID
    jurisdiction_code: str
    location: str


class CourtIn(Schema):
    facility: uuid.UUID | None = Field(default=None, description="Default: your only agency")
    code: str = Field(max_length=20)
    name: str = Field(max_length=200)
    jurisdiction: uuid.UUID
    location: str = Field(default="", max_length=200)


class CreditRuleIn(Schema):
    facility: uuid.UUID | None = Field(
        default=None, description="Where you hold court.credit_rules; default: any of the agency"
    )
    applies_from: dt.date = Field(description="Sentences imposed on or after this day")
    good_time_numerator: int = Field(default=0, ge=0)
    good_time_denominator: int = Field(default=1, ge=1)
    excluded_severities: list[ChargeSeverity] = Field(default_factory=list)
    earned_days_per_month_cap: int = Field(default=0, ge=0)
    minimum_served_percent: int = Field(default=0, ge=0, le=100)
    source: str = Field(max_length=300, description="The statute or order it comes from")


class RuleChangeOut(Schema):
    rule: CreditRuleOut
    changes: list[ReleaseDateChangeOut] = Field(description="The release dates it moved")


def rule_out(rule: CreditRule, jurisdiction: Jurisdiction) -> CreditRuleOut:
    return CreditRuleOut(
        id=rule.public_id, jurisdiction=jurisdiction.code, version=rule.version,
        label=f"{jurisdiction.code} v{rule.version}", applies_from=rule.applies_from,
        good_time_numerator=rule.good_time_numerator,
        good_time_denominator=rule.good_time_denominator,
        excluded_severities=list(rule.good_time_excluded_severities or []),
        earned_days_per_month_cap=rule.earned_days_per_month_cap,
        minimum_served_percent=rule.minimum_served_percent, source=rule.source,
        created_at=rule.created_at,
        created_by=rule.created_by.get_username() if rule.created_by is not None else None,
    )  # fmt: skip


def jurisdiction_out(jurisdiction: Jurisdiction) -> JurisdictionOut:
    return JurisdictionOut(
        id=jurisdiction.public_id, code=jurisdiction.code, name=jurisdiction.name,
        rules=[rule_out(rule, jurisdiction) for rule in jurisdiction.credit_rules.all()],
    )  # fmt: skip


def court_out(court: Court) -> CourtOut:
    return CourtOut(
        id=court.public_id, code=court.code, name=court.name,
        jurisdiction=court.jurisdiction.public_id, jurisdiction_code=court.jurisdiction.code,
        location=court.location,
    )  # fmt: skip


# --- Access -----------------------------------------------------------------------------------


def _facilities(user: User, perms: tuple[Perm, ...]) -> set[int]:
    return {fid for perm in perms for fid in user.facilities_with(perm)}


def config_facility(
    user: User, facility: uuid.UUID | None, perms: tuple[Perm, ...] = READ_PERMS
) -> Facility:
    """The facility named (where the user holds one of ``perms``), or one of their agency's."""
    allowed = _facilities(user, perms)
    found = Facility.objects.select_related("agency").filter(pk__in=allowed)
    if facility is not None:
        chosen = found.filter(public_id=parse_public_id(facility, what="facility")).first()
        if chosen is None:
            raise NotFound(f"No facility with id {facility}.")
        return chosen
    facilities = list(found.order_by("pk"))
    # Configuration is the agency's: any of its facilities says whose.
    if not facilities or len({f.agency_id for f in facilities}) != 1:
        raise ValidationFailed.for_fields({"facility": [WHICH_FACILITY]})
    return facilities[0]


def jurisdiction_get_for_user(user: User, public_id: uuid.UUID) -> Jurisdiction:
    """A jurisdiction of an agency where the user reads court configuration; else 404."""
    agencies = Facility.objects.filter(pk__in=_facilities(user, READ_PERMS)).values("agency_id")
    jurisdiction = (
        Jurisdiction.objects.filter(public_id=public_id, agency_id__in=agencies)
        .select_related("agency")
        .first()
    )
    if jurisdiction is None:
        raise NotFound(f"No jurisdiction with id {public_id}.")
    return jurisdiction


def _managing_facility(
    user: User, facility: uuid.UUID | None, jurisdiction: Jurisdiction
) -> Facility:
    """Where the caller adds a version: the facility named, or one of the jurisdiction's agency."""
    if facility is not None:
        return config_facility(user, facility, (Perm.CREDIT_RULES_MANAGE,))
    manages = (
        Facility.objects.select_related("agency")
        .filter(
            pk__in=_facilities(user, (Perm.CREDIT_RULES_MANAGE,)), agency_id=jurisdiction.agency_id
        )
        .order_by("pk")
        .first()
    )
    if manages is None:
        raise PermissionDenied(
            NOT_MANAGER.format(agency=jurisdiction.agency.name), code="missing_role"
        )
    return manages


def _rules_newest_first() -> Prefetch[str]:
    return Prefetch(
        "credit_rules",
        queryset=CreditRule.objects.select_related("created_by").order_by("-version"),
    )


# --- Operations -------------------------------------------------------------------------------


@router.get("/jurisdictions", response=list[JurisdictionOut], auth=api_signed_in())
def list_jurisdictions(
    request: HttpRequest, facility: uuid.UUID | None = None
) -> list[JurisdictionOut]:
    """The agency's jurisdictions, each with every credit rule version."""
    chosen = config_facility(acting_user(request), facility)
    jurisdictions = Jurisdiction.objects.filter(agency_id=chosen.agency_id).prefetch_related(
        _rules_newest_first()
    )
    return [jurisdiction_out(jurisdiction) for jurisdiction in jurisdictions]


@router.post(
    "/jurisdictions", response={201: JurisdictionOut},
    auth=api_requires(Perm.CREDIT_RULES_MANAGE),
)  # fmt: skip
def create_jurisdiction(request: HttpRequest, payload: JurisdictionIn) -> Status[JurisdictionOut]:
    """A jurisdiction of the agency (409 ``jurisdiction_exists``); rules are added next."""
    user = acting_user(request)
    chosen = config_facility(user, payload.facility, (Perm.CREDIT_RULES_MANAGE,))
    created = services.jurisdiction_create(
        actor=user, facility=chosen, code=payload.code, name=payload.name
    )
    return Status(201, jurisdiction_out(created))


@router.get(
    "/jurisdictions/{uuid:jurisdiction_id}/credit-rules", response=list[CreditRuleOut],
    auth=api_signed_in(),
)  # fmt: skip
def list_credit_rules(request: HttpRequest, jurisdiction_id: uuid.UUID) -> list[CreditRuleOut]:
    """Every version of the jurisdiction's credit rules, newest first."""
    jurisdiction = jurisdiction_get_for_user(acting_user(request), jurisdiction_id)
    rules = CreditRule.objects.filter(jurisdiction=jurisdiction).select_related("created_by")
    return [rule_out(rule, jurisdiction) for rule in rules.order_by("-version")]


@router.post(
    "/jurisdictions/{uuid:jurisdiction_id}/credit-rules", response={201: RuleChangeOut},
    auth=api_requires(Perm.CREDIT_RULES_MANAGE),
)  # fmt: skip
def add_credit_rule(
    request: HttpRequest, jurisdiction_id: uuid.UUID, payload: CreditRuleIn
) -> Status[RuleChangeOut]:
    """The next version; every open booking it can touch is recomputed and the moves listed."""
    user = acting_user(request)
    jurisdiction = jurisdiction_get_for_user(user, jurisdiction_id)
    result = services.credit_rule_add(
        actor=user, facility=_managing_facility(user, payload.facility, jurisdiction),
        jurisdiction=jurisdiction, applies_from=payload.applies_from,
        good_time=(payload.good_time_numerator, payload.good_time_denominator),
        excluded_severities=[str(severity) for severity in payload.excluded_severities],
        earned_days_per_month_cap=payload.earned_days_per_month_cap,
        minimum_served_percent=payload.minimum_served_percent, source=payload.source,
    )  # fmt: skip
    return Status(
        201,
        RuleChangeOut(
            rule=rule_out(result.rule, jurisdiction),
            changes=[change_out(change) for change in result.changes],
        ),
    )


@router.get("/courts", response=list[CourtOut], auth=api_signed_in())
def list_courts(request: HttpRequest, facility: uuid.UUID | None = None) -> list[CourtOut]:
    """The agency's courts, with the jurisdiction each applies."""
    chosen = config_facility(acting_user(request), facility)
    courts = Court.objects.filter(agency_id=chosen.agency_id).select_related("jurisdiction")
    return [court_out(court) for court in courts]


@router.post(
    "/courts", response={201: CourtOut}, auth=api_requires(Perm.CREDIT_RULES_MANAGE)
)  # fmt: skip
def create_court(request: HttpRequest, payload: CourtIn) -> Status[CourtOut]:
    """A court of the agency under one of its jurisdictions (409 ``court_exists``)."""
    user = acting_user(request)
    chosen = config_facility(user, payload.facility, (Perm.CREDIT_RULES_MANAGE,))
    try:
        jurisdiction = jurisdiction_get_for_user(user, payload.jurisdiction)
    except NotFound as missing:
        raise ValidationFailed.for_fields({"jurisdiction": [missing.message]}) from None
    created = services.court_create(
        actor=user, facility=chosen, code=payload.code, name=payload.name,
        jurisdiction=jurisdiction, location=payload.location,
    )  # fmt: skip
    return Status(201, court_out(created))

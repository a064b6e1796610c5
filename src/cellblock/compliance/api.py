"""Compliance API: the alerts of now, the report of a date range, and the sweep.

Alerts are derived from the records when asked for (never stored as a
verdict); the report reads the episodes the sweep wrote.  A facility or
booking outside the caller's facilities is 404; a role that may not see the
board (or run the sweep) is 403.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from cellblock.booking.selectors import booking_get_for_user
from cellblock.compliance import rules
from cellblock.compliance.models import AlertEpisode
from cellblock.compliance.selectors import RuleTotals, alerts, episode_minutes, filtered, report
from cellblock.compliance.services import compliance_sweep
from cellblock.core import clock
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import NotFound, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.schedule import day_bounds, local_date
from cellblock.facilities.models import Facility
from cellblock.facilities.selectors import facility_get_for_user

router = Router()

# The report covers at most this many days at once.
MAX_REPORT_DAYS = 366
DEFAULT_REPORT_DAYS = 7
NAME_A_PLACE = "give the facility, or a booking to see one person's alerts."
NOT_A_SEVERITY = "must be warning or breach."
NOT_A_RULE = "must be one of the rule codes: {codes}."
TO_BEFORE_FROM = "must be on or after from."
RANGE_TOO_LONG = f"covers more than {MAX_REPORT_DAYS} days; ask for a shorter range."


# --- Alerts -------------------------------------------------------------------------


class ResponsibleOut(Schema):
    role: str
    label: str
    names: list[str] = Field(description="Staff holding the role now, by name")


class AlertOut(Schema):
    rule: str
    title: str
    severity: str = Field(description="warning or breach")
    number: int = Field(description="The figure: days, minutes, hours, meals or officers")
    unit: str
    figure: str = Field(description="The figure as staff read it, e.g. '130 min (2 h 10 min)'")
    limit: int
    source: str = Field(description="Where the limit comes from")
    since: dt.datetime = Field(description="When the condition began to hold")
    subject: str = Field(description="'<rule>:<booking number or place>', stable while it holds")
    message: str
    booking: str | None = Field(description="Booking number of the person, if about a person")
    person: str
    place: str
    responsible: list[ResponsibleOut]


def alert_out(alert: rules.Alert) -> AlertOut:
    return AlertOut(
        rule=alert.rule, title=alert.title, severity=alert.severity, number=alert.number,
        unit=alert.unit, figure=alert.figure, limit=alert.limit, source=alert.source,
        since=alert.since, subject=alert.subject, message=alert.message, booking=alert.booking,
        person=alert.person, place=alert.place,
        responsible=[
            ResponsibleOut(role=who.role, label=who.label, names=list(who.names))
            for who in alert.responsible
        ],
    )  # fmt: skip


def _check_filters(severity: str, rule: str) -> None:
    errors: dict[str, list[str]] = {}
    if severity and severity not in (rules.WARNING, rules.BREACH):
        errors["severity"] = [NOT_A_SEVERITY]
    if rule and rule not in rules.RULES:
        errors["rule"] = [NOT_A_RULE.format(codes=", ".join(rules.RULES))]
    if errors:
        raise ValidationFailed.for_fields(errors)


@router.get("/alerts", response=list[AlertOut], auth=api_requires(Perm.COMPLIANCE_VIEW))
def list_alerts(
    request: HttpRequest,
    facility: uuid.UUID | None = None,
    booking: str | None = None,
    severity: str = "",
    rule: str = "",
) -> list[AlertOut]:
    """The facility's alerts now (or one person's), breaches first, then the oldest first."""
    _check_filters(severity, rule)
    user = acting_user(request)
    if booking:
        held = booking_get_for_user(user, booking)
        if Perm.COMPLIANCE_VIEW not in user.perms_at(held.facility_id) or (
            facility is not None and held.facility.public_id != facility
        ):
            raise NotFound(f"No booking {booking}.")
        found = alerts(held.facility, clock.now(), booking=held)
    elif facility is not None:
        chosen = facility_get_for_user(user, facility, Perm.COMPLIANCE_VIEW)
        found = alerts(chosen, clock.now())
    else:
        raise ValidationFailed.for_fields({"facility": [NAME_A_PLACE]})
    return [alert_out(alert) for alert in filtered(found, severity=severity, rule=rule)]


# --- Report -------------------------------------------------------------------------


class EpisodeOut(Schema):
    id: uuid.UUID
    subject: str
    booking: str | None
    severity: str
    message: str
    since: dt.datetime
    opened_at: dt.datetime
    last_seen_at: dt.datetime
    cleared_at: dt.datetime | None
    worst_number: int
    minutes: int = Field(description="How long the condition held: since -> cleared (or now)")
    responsible: str


class RuleReportOut(Schema):
    rule: str
    title: str
    source: str
    episodes: int
    still_open: int
    minutes_in_range: int = Field(description="Minutes the condition held inside the range")
    longest_minutes: int
    items: list[EpisodeOut]


class ReportOut(Schema):
    facility: uuid.UUID
    from_: dt.date = Field(alias="from")
    to: dt.date
    episodes: int
    rules: list[RuleReportOut]


def episode_out(episode: AlertEpisode, now: dt.datetime) -> EpisodeOut:
    return EpisodeOut(
        id=episode.public_id, subject=episode.subject,
        booking=episode.booking.booking_number if episode.booking else None,
        severity=episode.severity, message=episode.message, since=episode.since,
        opened_at=episode.opened_at, last_seen_at=episode.last_seen_at,
        cleared_at=episode.cleared_at, worst_number=episode.worst_number,
        minutes=episode_minutes(episode, now), responsible=episode.responsible,
    )  # fmt: skip


def rule_report_out(totals: RuleTotals, now: dt.datetime) -> RuleReportOut:
    return RuleReportOut(
        rule=totals.rule.code, title=totals.rule.title, source=totals.rule.source,
        episodes=totals.count, still_open=totals.still_open,
        minutes_in_range=totals.minutes_in_range, longest_minutes=totals.longest_minutes,
        items=[episode_out(episode, now) for episode in totals.episodes],
    )  # fmt: skip


def report_range(
    facility: Facility, first: dt.date | None, last: dt.date | None, now: dt.datetime
) -> tuple[dt.date, dt.date]:
    """The facility-local days asked for (default: the last seven, today included)."""
    last = last or local_date(now, facility.timezone)
    first = first or last - dt.timedelta(days=DEFAULT_REPORT_DAYS - 1)
    if last < first:
        raise ValidationFailed.for_fields({"to": [TO_BEFORE_FROM]})
    if (last - first).days + 1 > MAX_REPORT_DAYS:
        raise ValidationFailed.for_fields({"from": [RANGE_TOO_LONG]})
    return first, last


@router.get("/report", response=ReportOut, by_alias=True, auth=api_requires(Perm.COMPLIANCE_VIEW))
def compliance_report(
    request: HttpRequest,
    facility: uuid.UUID,
    from_: dt.date | None = Query(None, alias="from"),  # noqa: B008
    to: dt.date | None = None,
) -> ReportOut:
    """Alert episodes overlapping the facility-local days ``from``..``to``, grouped by rule."""
    chosen = facility_get_for_user(acting_user(request), facility, Perm.COMPLIANCE_VIEW)
    now = clock.now()
    first, last = report_range(chosen, from_, to, now)
    starts_at = day_bounds(first, chosen.timezone)[0]
    ends_at = day_bounds(last, chosen.timezone)[1]
    totals = report(chosen, starts_at, ends_at, now)
    return ReportOut(
        facility=chosen.public_id, **{"from": first}, to=last,
        episodes=sum(t.count for t in totals), rules=[rule_report_out(t, now) for t in totals],
    )  # fmt: skip


# --- Sweep --------------------------------------------------------------------------


class SweepIn(Schema):
    facility: uuid.UUID


class SweepOut(Schema):
    at: dt.datetime
    opened: int
    cleared: int
    open: int
    superseded: bool
    opened_subjects: list[str]
    cleared_subjects: list[str]


@router.post("/sweep", response=SweepOut, auth=api_requires(Perm.COMPLIANCE_SWEEP))
def sweep(request: HttpRequest, payload: SweepIn) -> SweepOut:
    """Record the alerts of now as episodes: open the new, refresh the open, clear the gone."""
    user = acting_user(request)
    chosen = facility_get_for_user(user, payload.facility, Perm.COMPLIANCE_SWEEP)
    result = compliance_sweep(actor=user, facility=chosen)
    return SweepOut(
        at=result.at, opened=len(result.opened), cleared=len(result.cleared),
        open=result.open_now, superseded=result.superseded, opened_subjects=result.opened,
        cleared_subjects=result.cleared,
    )  # fmt: skip

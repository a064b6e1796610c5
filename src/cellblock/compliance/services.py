"""The compliance sweep: remember, for the report, when each alert opened and cleared.

Alerts are derived from the facts whenever they are asked for; the sweep
writes their history.  Each run first sends the requests left unanswered
past their deadline up to the commander (``requests_escalate_overdue``),
then opens an episode for every alert not yet open, refreshes the open ones
(last seen, worst figure, severity, message) and clears those whose
condition is gone, and records one audit event that says what opened, what
cleared and what was escalated.  The ``cellblock compliance sweep`` command
runs it on a schedule; supervisors can run it from the report page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import Booking
from cellblock.compliance import rules
from cellblock.compliance.models import AlertEpisode, Severity
from cellblock.compliance.selectors import alerts
from cellblock.core import clock
from cellblock.core.errors import PermissionDenied
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility
from cellblock.requests.services import requests_escalate_overdue

SWEEP_DENIED = "Running the compliance sweep at {facility} needs a supervisor or the commander."
# How many subjects the audit event lists by name (the counts are always complete).
AUDIT_SUBJECTS = 500
_RANK = {Severity.WARNING: 0, Severity.BREACH: 1}
SUBJECT_LENGTH = AlertEpisode._meta.get_field("subject").max_length or 200


@dataclass(frozen=True)
class SweepResult:
    facility: Facility
    at: dt.datetime
    opened: list[str] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)
    kept: int = 0
    # A newer sweep had already written its findings: this one wrote nothing.
    superseded: bool = False
    # The numbers of the requests this sweep escalated to the commander.
    escalated: list[str] = field(default_factory=list)

    @property
    def open_now(self) -> int:
        return len(self.opened) + self.kept

    def as_data(self) -> dict[str, object]:
        return {
            "opened": len(self.opened), "cleared": len(self.cleared), "open": self.open_now,
            "superseded": self.superseded, "escalated": len(self.escalated),
        }  # fmt: skip


def responsible_text(alert: rules.Alert) -> str:
    """ "Commander: Tsunade; Supervisor: Shizune" (cut to the episode's column)."""
    parts = [
        f"{who.label}: {', '.join(who.names)}" if who.names else who.label
        for who in alert.responsible
    ]
    return "; ".join(parts)[:200]


def _listed(subjects: list[str]) -> list[str]:
    if len(subjects) <= AUDIT_SUBJECTS:
        return subjects
    return [*subjects[:AUDIT_SUBJECTS], f"... and {len(subjects) - AUDIT_SUBJECTS} more"]


def compliance_sweep(*, actor: User | None, facility: Facility) -> SweepResult:
    """Bring the facility's alert episodes up to date with the alerts of now."""
    if actor is not None and Perm.COMPLIANCE_SWEEP not in actor.perms_at(facility.pk):
        raise PermissionDenied(SWEEP_DENIED.format(facility=facility.name), code="missing_role")
    now = clock.now()
    # Overdue requests go up to the commander first, so their alerts name who must act now.
    escalated = sorted(
        request.number for request in requests_escalate_overdue(facility=facility, now=now)
    )
    # Read first, outside the transaction: the rules read much and lock nothing.
    # Keyed as the episode column stores them (a housing rule's subject can be long).
    found = {alert.subject[:SUBJECT_LENGTH]: alert for alert in alerts(facility, now)}
    numbers = {alert.booking for alert in found.values() if alert.booking}
    booking_ids = dict(
        Booking.objects.filter(facility=facility, booking_number__in=numbers).values_list(
            "booking_number", "pk"
        )
    )
    with transaction.atomic():
        # Sweeps of one facility take turns; the row lock is held only while writing.
        Facility.objects.select_for_update().filter(pk=facility.pk).first()
        episodes = AlertEpisode.objects.filter(facility=facility)
        if episodes.filter(Q(last_seen_at__gt=now) | Q(cleared_at__gt=now)).exists():
            # A sweep that read later has written already; its picture is the newer one.
            return SweepResult(facility=facility, at=now, superseded=True, escalated=escalated)
        open_now = {
            e.subject: e for e in episodes.select_for_update().filter(cleared_at__isnull=True)
        }
        opened = [subject for subject in found if subject not in open_now]
        AlertEpisode.objects.bulk_create(
            [
                AlertEpisode(
                    facility=facility, rule=alert.rule, subject=subject,
                    booking_id=booking_ids.get(alert.booking or ""), severity=alert.severity,
                    message=alert.message[:500], since=alert.since, opened_at=now,
                    last_seen_at=now, worst_number=alert.number,
                    responsible=responsible_text(alert),
                )
                for subject, alert in ((s, found[s]) for s in opened)
            ]
        )  # fmt: skip
        kept: list[AlertEpisode] = []
        cleared: list[AlertEpisode] = []
        for subject, episode in open_now.items():
            alert = found.get(subject)
            if alert is None:
                episode.cleared_at = now
                cleared.append(episode)
                continue
            episode.last_seen_at = now
            episode.worst_number = max(episode.worst_number, alert.number)
            if _RANK[Severity(alert.severity)] > _RANK[Severity(episode.severity)]:
                episode.severity = alert.severity
            episode.message = alert.message[:500]
            episode.responsible = responsible_text(alert)
            kept.append(episode)
        AlertEpisode.objects.bulk_update(cleared, ["cleared_at"])
        AlertEpisode.objects.bulk_update(
            kept, ["last_seen_at", "worst_number", "severity", "message", "responsible"]
        )
        result = SweepResult(
            facility=facility, at=now, opened=sorted(opened),
            cleared=sorted(e.subject for e in cleared), kept=len(kept), escalated=escalated,
        )  # fmt: skip
        audit_record(
            actor=actor, action="compliance.sweep", obj=facility, facility=facility,
            changes={
                **result.as_data(), "opened_subjects": _listed(result.opened),
                "cleared_subjects": _listed(result.cleared),
                "escalated_requests": _listed(result.escalated),
            },
        )  # fmt: skip
    return result

"""The release checklist: which steps each kind of release needs, and where each one stands.

Four steps are records (property, money, the medical discharge note, visits
cancelled) that someone completes through ``release/services/steps.py``.  The
fifth, *no open holds, warrants or other cases*, is never ticked by hand: it
is done while nothing holds the person, read live from the court records
until the release completes, when it is stored with the rest.

What holds a person depends on the kind of release: a warrant or detainer
holds everyone; a charge still awaiting its verdict on another case holds
someone leaving on time served, an acquittal, a furlough or an assignment
(bail is the release on pending charges); a sentence not yet served holds
someone released on bail or an acquittal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from cellblock.accounts.models import User
from cellblock.core import clock
from cellblock.court.models import CaseCharge, Hold, Sentence
from cellblock.court.selectors import active_sentences, open_holds, pending_charges
from cellblock.court.services.release_dates import release_date_of
from cellblock.release.models import (
    Release,
    ReleaseKind,
    ReleaseStatus,
    ReleaseStep,
    ReleaseStepCode,
)

_ALL = tuple(ReleaseStepCode.values)

# The steps a release must complete before it is completed, by kind.  A transfer hands
# property, money and a medical summary over with the person; its holds go with them.
REQUIRED_STEPS: dict[str, tuple[str, ...]] = {
    ReleaseKind.TIME_SERVED: _ALL,
    ReleaseKind.BAIL: _ALL,
    ReleaseKind.ACQUITTAL: _ALL,
    # Without a return; with one it is a temporary absence (TEMPORARY_STEPS).
    ReleaseKind.ASSIGNMENT: _ALL,
    ReleaseKind.TRANSFER: (
        ReleaseStepCode.PROPERTY_RETURNED,
        ReleaseStepCode.MONEY_RETURNED,
        ReleaseStepCode.MEDICAL_DISCHARGE,
        ReleaseStepCode.VISITS_CANCELLED,
    ),
    # A temporary absence keeps its property, money and bed.
    ReleaseKind.FURLOUGH: (
        ReleaseStepCode.HOLDS_CLEAR,
        ReleaseStepCode.MEDICAL_DISCHARGE,
        ReleaseStepCode.VISITS_CANCELLED,
    ),
    # Recorded at once, with a reason: there is nobody left to work a checklist for.
    ReleaseKind.ESCAPE: (),
    ReleaseKind.DEATH: (),
}
TEMPORARY_STEPS = REQUIRED_STEPS[ReleaseKind.FURLOUGH]

# Who or what holds the person, by kind of release (see the module's docstring).
HELD_BY_HOLDS = frozenset(
    kind for kind, steps in REQUIRED_STEPS.items() if ReleaseStepCode.HOLDS_CLEAR in steps
)
HELD_BY_PENDING_CHARGES = frozenset(
    {
        ReleaseKind.TIME_SERVED,
        ReleaseKind.ACQUITTAL,
        ReleaseKind.FURLOUGH,
        ReleaseKind.ASSIGNMENT,
    }
)
HELD_BY_SENTENCES = frozenset({ReleaseKind.BAIL, ReleaseKind.ACQUITTAL})

# A transfer's property, money and medical steps go with the person, not to them.
TRANSFER_LABELS: dict[str, str] = {
    ReleaseStepCode.PROPERTY_RETURNED: "Property handed over with the person",
    ReleaseStepCode.MONEY_RETURNED: "Money handed over with the person",
    ReleaseStepCode.MEDICAL_DISCHARGE: "Medical transfer summary",
}

HOLD_BLOCKER = "{kind} {reference} from {issued_by}"
CHARGE_BLOCKER = "case {docket} count {count} ({statute}) awaits its verdict"
SENTENCE_BLOCKER = "serving a sentence in case {docket} until {until}"
NO_DATE = "its release date is computed"


def required_steps(kind: str, *, temporary: bool = False) -> tuple[str, ...]:
    """The steps a release of ``kind`` needs; an assignment with a return is temporary."""
    if temporary:
        return TEMPORARY_STEPS
    return REQUIRED_STEPS[kind]


def steps_of(release: Release) -> tuple[str, ...]:
    return required_steps(release.kind, temporary=release.is_temporary)


def step_label(code: str, kind: str) -> str:
    if kind == ReleaseKind.TRANSFER and code in TRANSFER_LABELS:
        return TRANSFER_LABELS[code]
    return str(ReleaseStepCode(code).label)


def local_today(zone: str, now: dt.datetime | None = None) -> dt.date:
    """The calendar day at ``now`` in the facility's ``zone``: release dates are local dates."""
    return clock.local(now or clock.now(), zone).date()


# --- What holds a person (the same words on the checklist and the board) ------------------


def hold_blocker(hold: Hold) -> str:
    return HOLD_BLOCKER.format(
        kind=hold.get_kind_display(), reference=hold.reference, issued_by=hold.issued_by
    )


def charge_blocker(charge: CaseCharge) -> str:
    return CHARGE_BLOCKER.format(
        docket=charge.case.docket_number, count=charge.count_number, statute=charge.statute
    )


def sentence_blocker(sentence: Sentence, release_on: dt.date | None) -> str:
    until = release_on.isoformat() if release_on is not None else NO_DATE
    return SENTENCE_BLOCKER.format(docket=sentence.case.docket_number, until=until)


def blockers_for(
    kind: str,
    *,
    holds: Iterable[Hold],
    charges: Iterable[CaseCharge],
    sentences: Iterable[Sentence] = (),
    release_on: dt.date | None = None,
    today: dt.date | None = None,
) -> list[str]:
    """What keeps a person held against a release of ``kind`` (empty: nothing)."""
    found: list[str] = []
    if kind in HELD_BY_HOLDS:
        found += [hold_blocker(hold) for hold in holds]
    if kind in HELD_BY_PENDING_CHARGES:
        found += [charge_blocker(charge) for charge in charges]
    # A sentence still running keeps a bailed or acquitted person inside; one whose
    # release date has come does not (time served will release them).
    due = release_on is not None and today is not None and release_on <= today
    if kind in HELD_BY_SENTENCES and not due:
        found += [sentence_blocker(sentence, release_on) for sentence in sentences]
    return found


def live_blockers(release: Release, today: dt.date | None = None) -> list[str]:
    """What holds the person of ``release`` now, from the court records."""
    booking = release.booking
    kind = release.kind
    if ReleaseStepCode.HOLDS_CLEAR not in steps_of(release):
        return []
    release_date = release_date_of(booking) if kind in HELD_BY_SENTENCES else None
    return blockers_for(
        kind,
        holds=open_holds(booking) if kind in HELD_BY_HOLDS else (),
        charges=pending_charges(booking.person) if kind in HELD_BY_PENDING_CHARGES else (),
        sentences=active_sentences(booking.person) if kind in HELD_BY_SENTENCES else (),
        release_on=release_date.release_on if release_date is not None else None,
        today=today or local_today(booking.facility.timezone),
    )


# --- The checklist as it stands ------------------------------------------------------------


@dataclass(frozen=True)
class StepState:
    code: str
    label: str
    required: bool
    done: bool
    completed_at: dt.datetime | None = None
    completed_by: User | None = None
    note: str = ""
    blockers: list[str] = field(default_factory=list)
    # Money handed over, for the money step.
    amount: Decimal | None = None


def release_steps(release: Release) -> list[StepState]:
    """Every step of the checklist in order, whether ``release`` needs it, and where it stands.

    While the release is in preparation the holds step is read live (done when
    nothing holds the person); afterwards every step is what was recorded.
    """
    required = steps_of(release)
    recorded = {
        row.step: row
        for row in ReleaseStep.objects.filter(release=release).select_related("completed_by")
    }
    live = release.status == ReleaseStatus.PREPARING
    states: list[StepState] = []
    for code in ReleaseStepCode.values:
        row = recorded.get(code)
        blockers: list[str] = []
        if code == ReleaseStepCode.HOLDS_CLEAR and live and code in required:
            blockers = live_blockers(release)
            done = not blockers
        else:
            done = row is not None and row.completed_at is not None
        states.append(
            StepState(
                code=code, label=step_label(code, release.kind), required=code in required,
                done=done, completed_at=row.completed_at if row else None,
                completed_by=row.completed_by if row else None, note=row.note if row else "",
                blockers=blockers, amount=row.amount if row else None,
            )
        )  # fmt: skip
    return states


def missing_steps(states: Iterable[StepState]) -> list[StepState]:
    """The required steps not done yet, in checklist order."""
    return [state for state in states if state.required and not state.done]
